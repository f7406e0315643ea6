"""Toy evaluation: PacGAN mode coverage, exact and critic W1, k-NN PRDC (all from the core)."""

from __future__ import annotations

from typing import Any, Callable

from torch import Tensor

from wgan_core.metrics import critic_w_estimate, mode_coverage, prdc, w1_exact
from wgan_core.spaces import EuclideanSpace

from .data import ToyData

#: Samples per side for the exact W1 (the LP is cubic in this; 1000 takes about a second).
W1_SAMPLES = 1000


def evaluate(generated: Tensor, real: Tensor, data: ToyData,
             critic: Callable[..., Tensor], scale: float,
             real_again: Tensor | None = None) -> dict[str, Any]:
    """Metrics of generated vs real points (both in data units).

    ``real_again``, a second independent real sample, gives ``w1_floor``: the exact W1 between
    two real samples of the same size, the value a perfect generator would get (finite
    samples of a mixture never match exactly).
    """
    metrics: dict[str, Any] = {}
    if data.modes is not None:
        metrics.update(mode_coverage(generated, data.modes, data.std))
    n = min(W1_SAMPLES, len(generated), len(real))
    metrics["w1_exact"] = w1_exact(real[:n], generated[:n], EuclideanSpace())
    if real_again is not None:
        metrics["w1_floor"] = w1_exact(real[:n], real_again[:n], EuclideanSpace())
    # The critic sees scaled points; with target slope 1/scale its values are in data units.
    metrics["w1_critic"] = critic_w_estimate(critic, real * scale, generated * scale)
    metrics.update(prdc(real[:n], generated[:n], k=5))
    return metrics

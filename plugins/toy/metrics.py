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


_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_NONNEG = {"type": "number", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}
#: KL(generated || uniform over modes) >= 0; inf (null in JSON) with no high-quality sample.
_KL = {"type": ["number", "null"], "minimum": 0}


def _sample_metrics(prefix: str = "") -> dict[str, Any]:
    """What ``evaluate`` reports of one set of samples (``prefix`` dot_ for refined ones)."""
    return {f"{prefix}w1_exact": _NONNEG,
            f"{prefix}precision": _SHARE, f"{prefix}recall": _SHARE,
            f"{prefix}coverage": _SHARE, f"{prefix}density": _NONNEG,  # density may exceed 1
            f"{prefix}modes_covered": _COUNT, f"{prefix}high_quality_fraction": _SHARE,
            f"{prefix}reverse_kl": _KL}


#: JSON Schema of a toy run's metrics.json. Mode coverage needs a mixture's modes (ring8,
#: grid25; not swissroll or --data points); the dot_ keys come with DOT refinement
#: (--dot-steps > 0, the default), which also records its slope dot_k_eff.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "toy metrics.json",
    "type": "object",
    "required": ["w1_exact", "w1_floor", "w1_critic", "precision", "recall", "coverage",
                 "density", "dataset", "steps", "constraint", "train_seconds", "wall_seconds"],
    "properties": {
        **_sample_metrics(), **_sample_metrics("dot_"),
        "modes_total": {"type": "integer", "minimum": 1},
        "w1_floor": _NONNEG,
        "w1_critic": {"type": "number"},  # a critic's estimate may fall below 0
        "dot_k_eff": _NONNEG,
        "dot_seconds": _NONNEG,
        "dataset": {"type": "string", "minLength": 1},
        "steps": _COUNT,
        "constraint": {"enum": ["gp", "sn", "clip", "lp", "none"]},
        "train_seconds": _NONNEG,
        "wall_seconds": _NONNEG,
    },
    "dependentRequired": {
        "modes_total": ["modes_covered", "high_quality_fraction", "reverse_kl"],
        "dot_k_eff": ["dot_w1_exact", "dot_precision", "dot_recall", "dot_coverage",
                      "dot_density", "dot_seconds"],
    },
    "allOf": [
        {"if": {"properties": {"dataset": {"enum": ["ring8", "grid25"]}}},
         "then": {"required": ["modes_total"]}},
        {"if": {"required": ["dot_k_eff", "modes_total"]},
         "then": {"required": ["dot_modes_covered", "dot_high_quality_fraction",
                               "dot_reverse_kl"]}},
    ],
}

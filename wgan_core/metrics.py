"""Domain-free metrics: exact W1, the critic's estimate, mode coverage, k-NN PRDC."""

from __future__ import annotations

import contextlib
import io
import math
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from . import tensors as T
from .spaces import EuclideanSpace, MetricSpace
from .tensors import Sample


def _weights(w: Tensor | np.ndarray | None, n: int) -> np.ndarray:
    if w is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(w.detach().cpu() if isinstance(w, Tensor) else w, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative, one per sample, not all zero")
    return w / w.sum()


def w1_exact(x: Sample, y: Sample, space: MetricSpace | None = None,
             x_weights: Tensor | None = None, y_weights: Tensor | None = None) -> float:
    """Exact Wasserstein-1 distance between two empirical distributions.

    Solved as a linear program (POT's network simplex, ``ot.emd2``) on the space's distance
    matrix, so it is exact for the samples given (cost O(n^3); keep n in the low thousands).
    """
    import ot

    space = space if space is not None else EuclideanSpace()
    cost = space.distance(x, y).detach().cpu().numpy().astype(np.float64)
    a = _weights(x_weights, cost.shape[0])
    b = _weights(y_weights, cost.shape[1])
    return float(ot.emd2(a, b, cost, numItermax=10_000_000))


@torch.no_grad()
def critic_w_estimate(critic: Callable[..., Tensor], real: Sample, fake: Sample,
                      cond: Tensor | None = None, weight: Tensor | None = None) -> float:
    """The critic's dual estimate E_w[f(real)] - E[f(fake)].

    A critic held at the space's target slope is 1-Lipschitz in the space's own distance, so
    the estimate is already in the units of ``space.distance`` (and of ``w1_exact``)."""
    s_real = critic(real, cond)
    s_fake = critic(fake, cond)
    if weight is None:
        w = s_real.mean()
    else:
        w = (weight * s_real).sum() / weight.sum()
    return float((w - s_fake.mean()).item())


def mode_coverage(samples: Tensor | np.ndarray, modes: Tensor | np.ndarray, std: float,
                  threshold_std: float = 3.0) -> dict[str, float]:
    """Mode coverage as in PacGAN (Lin et al., 2018) and VEEGAN.

    Each sample is assigned to its nearest mode; it is *high quality* when within
    ``threshold_std * std`` of that mode. A mode is covered when at least one high-quality
    sample is assigned to it. Reverse KL is KL(generated || uniform) over modes, computed on
    the high-quality samples' mode histogram (0 means perfectly balanced).
    """
    s = np.asarray(samples, dtype=np.float64)
    m = np.asarray(modes, dtype=np.float64)
    d = np.linalg.norm(s[:, None, :] - m[None, :, :], axis=2)
    nearest = d.argmin(axis=1)
    high = d[np.arange(len(s)), nearest] <= threshold_std * std
    counts = np.bincount(nearest[high], minlength=len(m)).astype(np.float64)
    covered = int((counts > 0).sum())
    if counts.sum() > 0:
        p = counts / counts.sum()
        q = 1.0 / len(m)
        nz = p > 0
        reverse_kl = float((p[nz] * np.log(p[nz] / q)).sum())
    else:
        reverse_kl = math.inf
    return {"modes_covered": covered, "modes_total": len(m),
            "high_quality_fraction": float(high.mean()), "reverse_kl": reverse_kl}


def prdc(real_features: Tensor | np.ndarray, fake_features: Tensor | np.ndarray,
         k: int = 5) -> dict[str, float]:
    """k-NN precision, recall, density and coverage (Naeem et al., 2020), through the
    authors' own ``prdc`` package."""
    from prdc import compute_prdc

    def arr(x: Tensor | np.ndarray) -> np.ndarray:
        if isinstance(x, Tensor):
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float32)
        return x.reshape(x.shape[0], -1)

    r, f = arr(real_features), arr(fake_features)
    if min(len(r), len(f)) <= k:
        raise ValueError(f"prdc needs more than k={k} samples on each side")
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints its sample counts
        out = compute_prdc(r, f, nearest_k=k)
    return {key: float(v) for key, v in out.items()}


def flatten_features(x: Sample) -> Tensor:
    """Feature rows for PRDC from any sample (tensors flattened and concatenated)."""
    return T.flatten(x)

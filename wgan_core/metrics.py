"""Domain-free metrics: exact W1, the critic's estimate, mode coverage, k-NN PRDC."""

from __future__ import annotations

import contextlib
import io
import math
from typing import Callable

import numpy as np
import torch
from torch import Tensor

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


def _rows(x: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(x, Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float32)
    return x.reshape(x.shape[0], -1)


def prdc_per_sample(real_features: Tensor | np.ndarray, fake_features: Tensor | np.ndarray,
                    k: int = 5, chunk: int = 2048) -> dict[str, np.ndarray]:
    """Per-sample k-NN values of Naeem et al. (2020), so that group-wise metrics can split them:

    - ``real_covered`` [n_real]: a generated sample lies inside this real sample's k-NN ball
      (its mean is ``coverage``);
    - ``real_recalled`` [n_real]: this real sample lies inside some generated k-NN ball
      (mean: ``recall``);
    - ``fake_precise`` [n_fake]: this generated sample lies inside some real k-NN ball
      (mean: ``precision``);
    - ``fake_density`` [n_fake]: how many real balls hold it, divided by k (mean: ``density``).

    The ``prdc`` package returns the four aggregates only, so the radii come from scikit-learn's
    NearestNeighbors (the k-th neighbour besides the point itself, as ``prdc`` counts it) and
    the real-vs-fake distances are reduced chunk by chunk (never an n_real x n_fake matrix in
    memory); the strict ``<`` comparisons are ``prdc``'s. Tests check the means against it."""
    from sklearn.metrics import pairwise_distances
    from sklearn.neighbors import NearestNeighbors

    r, f = _rows(real_features), _rows(fake_features)
    if min(len(r), len(f)) <= k:
        raise ValueError(f"k-NN metrics need more than k={k} samples on each side")

    def radii(x: np.ndarray) -> np.ndarray:
        # Querying the fitted points themselves returns each point first (distance 0), as in
        # prdc's k+1 smallest distances of a row of the self-distance matrix.
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
        return dist[:, -1].astype(np.float32)

    r_radii, f_radii = radii(r), radii(f)
    nearest_fake = np.full(len(r), np.inf, dtype=np.float32)
    recalled = np.zeros(len(r), dtype=bool)
    precise = np.zeros(len(f), dtype=bool)
    density = np.zeros(len(f), dtype=np.float64)
    for start in range(0, len(f), chunk):
        d = pairwise_distances(f[start:start + chunk], r).astype(np.float32)  # [c, n_real]
        inside_real = d < r_radii[None, :]
        precise[start:start + chunk] = inside_real.any(axis=1)
        density[start:start + chunk] = inside_real.sum(axis=1) / k
        recalled |= (d < f_radii[start:start + chunk, None]).any(axis=0)
        np.minimum(nearest_fake, d.min(axis=0), out=nearest_fake)
    return {"real_covered": nearest_fake < r_radii, "real_recalled": recalled,
            "fake_precise": precise, "fake_density": density}

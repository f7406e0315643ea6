"""Discriminator optimal transport (DOT; Tanaka, NeurIPS 2019): move samples with the critic.

A trained Wasserstein critic approximates the Kantorovich potential between the generated
and the real distribution, so it says where each generated sample should go. DOT moves each
sample y0 to (a local minimum of)

    ||y - y0||  -  f(y) / K_eff

where K_eff is the critic's largest measured slope on the data: a sample climbs the critic
while the climb pays for the distance travelled, and stops where it no longer does. It is a
sampling-time method (like the truncation trick): the generator is unchanged, the refined
samples cost ``steps`` critic forward/backward passes each, and a report should give the raw
and the refined numbers side by side.

Written here by hand: no maintained library implements DOT. Distances are Euclidean on the
flattened sample, in the coordinates the critic sees (any tensor shape; not graphs).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .models import Critic, frozen


def effective_lipschitz(critic: Critic, points: Tensor, cond: Tensor | None = None,
                        pairs: int = 4096, generator: torch.Generator | None = None) -> float:
    """K_eff of DOT: the largest |f(a) - f(b)| / ||a - b|| over random pairs of ``points``.

    Pass real and generated samples together, so the pairs span both distributions."""
    n = points.shape[0]
    if n < 2:
        raise ValueError("need at least two points to measure a slope")
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    i = torch.randint(0, n, (pairs,), generator=g).to(points.device)
    j = torch.randint(0, n, (pairs,), generator=g).to(points.device)
    keep = i != j
    i, j = i[keep], j[keep]
    with torch.no_grad():
        scores = critic(points, cond)
        gaps = (scores[i] - scores[j]).abs()
        dist = (points[i] - points[j]).flatten(1).norm(dim=1)
    ok = dist > 1e-12
    if not ok.any():
        raise ValueError("all sampled pairs coincide; cannot measure a slope")
    return float((gaps[ok] / dist[ok]).max())


def dot_refine(critic: Critic, samples: Tensor, k_eff: float, steps: int = 30,
               lr: float = 0.01, cond: Tensor | None = None, delta: float = 1e-3) -> Tensor:
    """DOT in sample space: ``steps`` Adam steps per sample on ||y - y0 + delta|| - f(y)/k_eff.

    ``delta`` keeps the norm differentiable at the start (y = y0), as in the paper's
    Algorithm 1. Samples are independent (the critic has no batch statistics), so the whole
    batch is refined at once. Returns new tensors; the critic's parameters are not touched."""
    if k_eff <= 0:
        raise ValueError(f"k_eff must be positive, got {k_eff}")
    start = samples.detach()
    y = start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y], lr=lr)
    with frozen(critic):
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            travel = (y - start + delta).flatten(1).norm(dim=1)
            loss = (travel - critic(y, cond) / k_eff).sum()
            loss.backward()
            optimizer.step()
    return y.detach()


def check_dot_options(steps: int, lr: float, slope_factor: float) -> None:
    """Raise ConfigError naming the first DOT option (``dot_steps``, ``dot_lr``,
    ``dot_slope_factor``) out of range; the plugins that offer DOT validate with this."""
    from .errors import ConfigError

    if steps < 0:
        raise ConfigError(f"dot_steps must be >= 0, got {steps}")
    if not lr > 0:
        raise ConfigError(f"dot_lr must be positive, got {lr}")
    if not 0 < slope_factor <= 1:
        raise ConfigError(f"dot_slope_factor must be in (0, 1], got {slope_factor}")

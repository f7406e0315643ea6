"""A critic trained alone, between two fixed samples: the Wasserstein estimate the adversarial
game relies on, measured where the answer is known (graphgen's check against the exact W1,
the theory gallery, the constraint tests)."""

from __future__ import annotations

from typing import Callable, Literal, Union

import torch
from torch import Tensor, nn

from .constraints import Constraint, NoConstraint
from .spaces import EuclideanSpace, MetricSpace
from .tensors import Sample

#: A fixed sample, or ``draw(generator) -> Sample`` called at every step.
SampleOrSampler = Union[Sample, Callable[[torch.Generator], Sample]]


def fit_critic(critic: nn.Module, real: SampleOrSampler, fake: SampleOrSampler, *,
               constraint: Constraint | None = None, space: MetricSpace | None = None,
               steps: int = 1000, lr: float = 1e-3,
               optimizer: Literal["adam", "rmsprop"] = "adam",
               cond: Tensor | None = None, seed: int = 0) -> nn.Module:
    """Train ``critic`` alone to maximise ``E_real[f] - E_fake[f]`` under ``constraint`` (its
    penalty added, its ``prepare`` and ``after_step`` applied) in ``space``; returns the
    critic (as the constraint prepared it).

    ``real`` and ``fake`` are fixed samples, or samplers called with this fit's own
    ``torch.Generator`` (seeded with ``seed``, which the penalty's random points also draw
    from). Adam with betas (0, 0.9), the WGAN-GP pairing, or RMSprop, WGAN's own pairing for
    weight clipping. The learning rate decays linearly to zero, so the critic ends at a
    stationary point of its objective (what theory describes), not wherever the last steps
    left it: results then depend on the objective, not on one machine's float rounding."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    space = space if space is not None else EuclideanSpace()
    constraint = constraint if constraint is not None else NoConstraint()
    critic = constraint.prepare(critic, space)
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(critic.parameters(), lr=lr,
                                                      betas=(0.0, 0.9))
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(critic.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer '{optimizer}' (adam or rmsprop)")
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / steps))
    rng = torch.Generator().manual_seed(seed)

    def score(x: Sample) -> Tensor:
        return critic(x) if cond is None else critic(x, cond)

    for _ in range(steps):
        r = real(rng) if callable(real) else real
        f = fake(rng) if callable(fake) else fake
        loss = score(f).mean() - score(r).mean()
        loss = loss + constraint.penalty(critic, r, f, cond, space, rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        constraint.after_step(critic)
    return critic

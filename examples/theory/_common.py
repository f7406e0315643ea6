"""Shared plumbing of the theory gallery: the command line, a critic-only training loop, the
figure writer. Every script imports only this and the public ``wgan_core`` API."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import Tensor, nn

from wgan_core import Constraint, EuclideanSpace, MetricSpace


def parse(argv: Sequence[str] | None, doc: str | None) -> argparse.Namespace:
    """``--quick`` (a seconds-long version) and ``--out`` (where the figure goes)."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a seconds-long version")
    p.add_argument("--out", default="theory-figures", help="folder for the figure")
    return p.parse_args(list(argv) if argv is not None else None)


def train_critic(critic: nn.Module, constraint: Constraint, real_fn: Callable[[torch.Generator], Tensor],
                 fake_fn: Callable[[torch.Generator], Tensor], steps: int, lr: float = 1e-3,
                 space: MetricSpace | None = None, optimizer: str = "adam",
                 seed: int = 1) -> nn.Module:
    """Train the critic alone between two fixed samplers, as tests/core/test_constraints.py.

    The learning rate decays linearly to zero, so the critic ends at a stationary point of
    its objective (what theory describes), not wherever the last steps left it."""
    space = space if space is not None else EuclideanSpace()
    critic = constraint.prepare(critic, space)
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    else:  # WGAN's own pairing for weight clipping
        opt = torch.optim.RMSprop(critic.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        real, fake = real_fn(g), fake_fn(g)
        loss = critic(fake).mean() - critic(real).mean()
        loss = loss + constraint.penalty(critic, real, fake, None, space, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        constraint.after_step(critic)
    return critic


def save(fig, out: str, name: str) -> Path:
    """Write the figure small (dpi 80): the gallery commits its PNGs."""
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    path = path / f"{name}.png"
    fig.savefig(path, dpi=80, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def figure(ncols: int = 2, width: float = 4.2, height: float = 3.2):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(1, ncols, figsize=(width * ncols, height))


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start

"""BatchNorm breaks the per-sample gradient penalty: the same input's slope changes with the
rest of its batch; LayerNorm or no normalisation does not.

Claim (Gulrajani et al., 2017, sec. 4: "no critic batch normalization"). The penalty
constrains |∇_x f(x)| sample by sample, which presumes f(x) is a function of x alone. A
critic with BatchNorm in training mode scores x with the batch's mean and variance, so its
score and its slope at x depend on which other samples share the batch (and the gradient
of the batch's summed score at x picks up x's effect on every other sample's score).
LayerNorm normalises within the sample, so slope and score are the batch's business no
longer.

Set-up. Three critics of the same shape, 2 -> 64 -> 64 -> 1 with ReLU: plain (no
normalisation, like MLPCritic), LayerNorm after each hidden linear layer, BatchNorm1d
(training mode, as during critic updates). A fixed point x0 = (0.5, -0.3) is put in 50
batches of 64 whose other 63 points are drawn from wgan_core.datasets.ring8 (plus noise
σ 0.3), and once in a batch of its own size 64 filled with copies of ring points far
away. Measured, first at initialisation and then after training each critic alone
(GradientPenalty(λ=10), ring8 against N(0, 0.1² I), 300 steps): the relative spread
(std / mean) of x0's slope, as EuclideanSpace.slopes and so the penalty compute it, and of
its score, over the 50 batches.

Found (default run, see README). Holds. Without normalisation and with LayerNorm x0's
slope and score are identical in all 50 batches (spread 0, also among far points); with
BatchNorm x0's slope spreads by 38 % (init) and 36 % (trained: from 0.11 to 0.95 for one
and the same input) and its score by 68 % and 133 %.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402
from wgan_core import fit_critic  # noqa: E402

from wgan_core import Critic, EuclideanSpace, GradientPenalty  # noqa: E402
from wgan_core.datasets import ring8  # noqa: E402

RING = ring8()
X0 = torch.tensor([[0.5, -0.3]])


class NormCritic(Critic):
    """Linear -> [norm] -> ReLU twice, then a linear score; norm in {none, layer, batch}."""

    def __init__(self, norm: str, hidden: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size = 2
        for _ in range(2):
            layers.append(nn.Linear(size, hidden))
            if norm == "layer":
                layers.append(nn.LayerNorm(hidden))
            elif norm == "batch":
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.ReLU())
            size = hidden
        layers.append(nn.Linear(size, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def measure(critic: nn.Module, batches: int) -> dict:
    """x0's slope and score in many batches, x0 always in row 0."""
    critic.train()  # BatchNorm as during critic updates: batch statistics
    space = EuclideanSpace()
    g = torch.Generator().manual_seed(11)
    slopes, scores = [], []
    for _ in range(batches):
        others = RING.sample(63, g) + 0.3 * torch.randn(63, 2, generator=g)
        batch = torch.cat([X0, others])
        slopes.append(space.slopes(lambda x: critic(x), batch)[0].item())
        with torch.no_grad():
            scores.append(critic(batch)[0].item())
    s, f = torch.tensor(slopes, dtype=torch.float64), torch.tensor(scores, dtype=torch.float64)
    far = torch.cat([X0, RING.sample(63, g) * 5])  # the same x0 among far-away points
    far_slope = space.slopes(lambda x: critic(x), far)[0].item()
    return {"slope_mean": s.mean().item(), "slope_spread": (s.std() / s.mean().abs()).item(),
            "score_spread": (f.std() / f.abs().mean()).item(), "slope_min": s.min().item(),
            "slope_max": s.max().item(), "far_slope": far_slope, "slopes": slopes}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    batches, steps = (20, 100) if args.quick else (50, 300)
    rows = {}
    for norm in ("none", "layer", "batch"):
        torch.manual_seed(0)
        critic = NormCritic(norm)
        at_init = measure(critic, batches)
        critic = fit_critic(critic, lambda g: RING.sample(64, g),
                            lambda g: 0.1 * torch.randn(64, 2, generator=g),
                            constraint=GradientPenalty(10.0), steps=steps, seed=1)
        trained = measure(critic, batches)
        rows[norm] = {"init": at_init, "trained": trained}
    print(f"{'norm':>6} {'when':>8} {'x0 slope mean':>14} {'slope spread':>13} {'min':>7} "
          f"{'max':>7} {'among far pts':>14} {'score spread':>13}")
    for norm, r in rows.items():
        for when in ("init", "trained"):
            m = r[when]
            print(f"{norm:>6} {when:>8} {m['slope_mean']:14.4f} {m['slope_spread']:13.2e} "
                  f"{m['slope_min']:7.4f} {m['slope_max']:7.4f} {m['far_slope']:14.4f} "
                  f"{m['score_spread']:13.2e}")
    fig, (ax1, ax2) = figure()
    for norm, mark in (("none", "o"), ("layer", "s"), ("batch", "^")):
        ax1.plot(rows[norm]["trained"]["slopes"], mark, ms=4, label=norm)
    ax1.set(xlabel="batch (x0 plus 63 other points)", ylabel="slope at x0",
            title="one input, many batches (trained critics)")
    ax1.legend(fontsize=8)
    names = list(rows)
    ax2.bar(range(3), [max(rows[n]["trained"]["slope_spread"], 1e-12) for n in names],
            tick_label=names)
    ax2.set(yscale="log", ylabel="std / mean of x0's slope", title="batch dependence")
    path = save(fig, args.out, "batchnorm_penalty")
    print(f"figure {path}; {timer():.1f} s")
    for r in rows.values():
        for m in r.values():
            del m["slopes"]
    return {"rows": rows, "figure": str(path)}


if __name__ == "__main__":
    main()

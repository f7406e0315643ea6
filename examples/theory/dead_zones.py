"""Dead zones: where a ReLU critic's gradient is zero, a gradient penalty cannot see its slope.

Claim. A gradient penalty acts through the gradient it measures. At a point where every
path through a ReLU critic is switched off, ∇x f = 0: the penalty there is at its largest,
λ (0/K - 1)^2 = λ, yet its derivative with respect to the weights is exactly zero, so it
cannot restore the slope; a leaky-ReLU critic never has an exactly zero gradient.

Set-up. P: three Gaussian blobs (σ 0.2), Q = P + v, |v| = 2 (W1 = 2). A narrow deep critic,
2 -> 4 x 6 hidden -> 1 (wgan_core.models.mlp), with ReLU or LeakyReLU(0.2) and the same
initial weights (seeds 0..7), GradientPenalty(λ=10) on interpolates, Adam (0, 0.9) at a
large learning rate 1e-2 (constant), 300 steps, batch 128. On 2000 fixed transport-path
points x + t v: the share with an exactly zero gradient (the core's per-sample norm
sqrt(|g|^2 + 1e-12) at its 1e-6 floor) at initialisation, its largest value over training
(every 25 steps) and at the end; the share below 1e-3; the mean slope there; the W
estimate on 4096 fresh samples against W1 = 2; and the norm of the penalty's gradient with
respect to the weights, taken over the zero-gradient points alone (what the penalty "sees"
of them).

Found (default run, see README). Holds at the points; the zones themselves are mostly
transient. ReLU: 6 of 8 initial critics have exactly-zero-gradient points on the transport
paths (7 % to 100 % of them; seed 7 grows a 63 % dead zone during training). Over those
points the penalty is λ = 10 per point and its weight gradient exactly 0.0. Where part of
the paths was dead, training cleared it through the live points (0 % at the end in 7 of 8
seeds, estimate/W1 0.99-1.17: the W term and the penalty at live points move the ReLU
boundaries); the critic dead on all of the paths and data (seed 2) stays a constant for
ever: penalty 10, gradient 0, estimate 0 instead of W1 = 2. LeakyReLU(0.2) with the same
initial weights: never an exactly zero gradient, though at initialisation up to 100 % of
the path slopes are below 1e-3 (smallest 1.7e-6, the 0.2^6 of six negative slopes); all 8
train, estimate/W1 0.96-1.18, seed 2 included (0.96).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402

from wgan_core import Critic, EuclideanSpace, GradientPenalty, critic_w_estimate  # noqa: E402
from wgan_core.models import mlp  # noqa: E402

LAMBDA = 10.0
SHIFT = torch.tensor([1.2, -1.6])  # |v| = 2
BASE = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])
WIDTH, DEPTH, LR = 4, 6, 1e-2
ZERO = 1.01e-6  # a zero gradient: the core's per-sample norm is sqrt(|g|^2 + 1e-12)
NEAR = 1e-3  # a slope the penalty barely moves
SPACE = EuclideanSpace()


def blobs(n: int, g: torch.Generator) -> torch.Tensor:
    return BASE[torch.randint(0, 3, (n,), generator=g)] + 0.2 * torch.randn(n, 2, generator=g)


class NarrowCritic(Critic):
    def __init__(self, leaky: bool) -> None:
        super().__init__()
        act = (lambda: nn.LeakyReLU(0.2)) if leaky else nn.ReLU
        self.net = mlp([2] + [WIDTH] * DEPTH + [1], act)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def path_points(n: int = 2000) -> torch.Tensor:
    g = torch.Generator().manual_seed(5)
    return blobs(n, g) + torch.rand(n, 1, generator=g) * SHIFT


def slopes(critic: nn.Module, points: torch.Tensor) -> torch.Tensor:
    return SPACE.slopes(lambda p: critic(p), points)


def blind_gradient(critic: nn.Module, points: torch.Tensor) -> tuple[float, float]:
    """The penalty over the zero-gradient points alone, and the norm of its weight gradient."""
    dead = points[slopes(critic, points) < ZERO]
    if len(dead) == 0:
        return 0.0, float("nan")
    value = GradientPenalty(LAMBDA, on="real").penalty(critic, dead, dead, None, SPACE)
    grads = torch.autograd.grad(value, list(critic.parameters()), allow_unused=True)
    norm = sum(float(g.pow(2).sum()) for g in grads if g is not None) ** 0.5
    return float(value.detach()), norm


def run(seed: int, leaky: bool, steps: int, n: int) -> dict:
    torch.manual_seed(seed)
    critic = NarrowCritic(leaky)
    penalty = GradientPenalty(LAMBDA)
    pts = path_points()
    s0 = slopes(critic, pts)
    blind0 = blind_gradient(critic, pts)
    opt = torch.optim.Adam(critic.parameters(), lr=LR, betas=(0.0, 0.9))
    g = torch.Generator().manual_seed(100 + seed)
    history = [float((s0 < ZERO).float().mean())]
    near = [float((s0 < NEAR).float().mean())]
    for i in range(steps):
        real, fake = blobs(n, g), blobs(n, g) + SHIFT
        loss = critic(fake).mean() - critic(real).mean() + penalty.penalty(critic, real, fake, None,
                                                                           SPACE, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (i + 1) % 25 == 0:
            s = slopes(critic, pts)
            history.append(float((s < ZERO).float().mean()))
            near.append(float((s < NEAR).float().mean()))
    s1 = slopes(critic, pts)
    blind1 = blind_gradient(critic, pts)
    ge = torch.Generator().manual_seed(9)
    p = blobs(4096, ge)
    est = critic_w_estimate(lambda x, c=None: critic(x), p, p + SHIFT)
    return {"seed": seed, "leaky": leaky, "zero_share_init": history[0],
            "zero_share_max": max(history), "zero_share_end": history[-1], "history": history,
            "near_share_init": near[0], "near_share_max": max(near),
            "min_slope_init": float(s0.min()), "mean_slope_end": float(s1.mean()),
            "estimate_ratio": est / 2.0, "blind_penalty_init": blind0[0],
            "blind_grad_init": blind0[1], "blind_penalty_end": blind1[0],
            "blind_grad_end": blind1[1]}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    seeds, steps, n = (range(4), 100, 128) if args.quick else (range(8), 300, 128)
    rows = [run(s, leaky, steps, n) for leaky in (False, True) for s in seeds]
    print(f"{'critic':>6} {'seed':>4} {'zero@init':>9} {'max':>6} {'end':>6} {'<1e-3@0':>7} "
          f"{'min slope0':>10} "
          f"{'slope end':>9} {'est/W1':>7} {'blind pen':>9} {'its grad':>8}")
    for r in rows:
        print(f"{'leaky' if r['leaky'] else 'relu':>6} {r['seed']:4d} {r['zero_share_init']:9.3f} "
              f"{r['zero_share_max']:6.3f} {r['zero_share_end']:6.3f} {r['near_share_init']:7.3f} "
              f"{r['min_slope_init']:10.2e} "
              f"{r['mean_slope_end']:9.3f} {r['estimate_ratio']:7.3f} "
              f"{r['blind_penalty_init']:9.3f} {r['blind_grad_init']:8.1e}")
    relu = [r for r in rows if not r["leaky"]]
    leaky = [r for r in rows if r["leaky"]]
    summary = {
        "relu_seeds_with_dead_points": sum(r["zero_share_init"] > 0 for r in relu),
        "relu_fully_dead": [r["seed"] for r in relu if r["zero_share_end"] == 1.0],
        "relu_cleared": [r["seed"] for r in relu if 0 < r["zero_share_max"] and r["zero_share_end"] == 0],
        "blind_grad_max": max((r["blind_grad_init"] for r in relu if r["zero_share_init"] > 0),
                              default=0.0),
        "leaky_zero_share_max": max(r["zero_share_max"] for r in leaky),
        "leaky_min_slope": min(r["min_slope_init"] for r in leaky),
        "leaky_near_share_max": max(r["near_share_max"] for r in leaky),
    }
    print(f"ReLU: {summary['relu_seeds_with_dead_points']}/{len(relu)} initial critics with "
          f"zero-gradient path points; penalty weight-gradient over them at most "
          f"{summary['blind_grad_max']:.1e}; cleared by training: seeds {summary['relu_cleared']}; "
          f"dead for good: seeds {summary['relu_fully_dead']}. Leaky: largest zero share "
          f"{summary['leaky_zero_share_max']:.3f}, smallest slope {summary['leaky_min_slope']:.1e}, "
          f"largest share below {NEAR:g} {summary['leaky_near_share_max']:.3f}")
    fig, (ax1, ax2) = figure()
    x = [25 * i for i in range(len(relu[0]["history"]))]
    for r in relu:
        ax1.plot(x, r["history"], "-", lw=1, label=f"seed {r['seed']}")
    for r in leaky:
        ax1.plot(x, r["history"], ":", color="gray", lw=1)
    ax1.set(xlabel="critic step", ylabel="share of path points with zero gradient",
            title="ReLU (lines) vs leaky (dotted)")
    ax1.legend(fontsize=6, ncol=2)
    width = 0.38
    idx = torch.arange(len(relu)).float()
    ax2.bar(idx - width / 2, [r["estimate_ratio"] for r in relu], width, label="ReLU")
    ax2.bar(idx + width / 2, [r["estimate_ratio"] for r in leaky], width, label="leaky ReLU")
    ax2.axhline(1.0, color="k", ls="--", lw=1)
    ax2.set(xlabel="seed (same initial weights)", ylabel="W estimate / W1 after training",
            title="a fully dead critic never trains")
    ax2.legend(fontsize=8)
    path = save(fig, args.out, "dead_zones")
    print(f"figure {path}; {timer():.1f} s")
    for r in rows:
        del r["history"]
    return {"rows": rows, **summary, "figure": str(path)}


if __name__ == "__main__":
    main()

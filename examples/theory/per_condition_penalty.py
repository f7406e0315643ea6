"""Per-condition penalty: a conditional critic whose scale differs by class, under one global
gradient penalty and under a per-class one (GradientPenalty with ``groups``).

Claim. A conditional critic is a family of critics, one per class, each of which must be
1-Lipschitz. A single penalty averaged over the whole batch leaves one class's slope above
the target; averaging the penalty class by class (``groups`` = the labels) holds every class.

Set-up. Two classes with different scales: class 0 is three Gaussian blobs (σ 0.2) against
the same blobs shifted by v, |v| = 1 (W1 = 1); class 1 is that picture times 8 (W1 = 8).
Fake samples are the real ones shifted (paired), so every interpolate lies on a transport
path. The critic is shared with class multipliers, f(x, c) = exp(l_c) h(x) (h an
MLPCritic(2, hidden=64), l_c learnt), trained alone to a stationary point (Adam, linear LR
decay, 600 steps, batch 256) under GradientPenalty(λ=10) with groups=None ("global") or
groups=labels ("per class"), class 1 drawn with frequency p1 = 0.5, 0.1 and 0.9. Measured on
fresh paired samples: each class's mean slope on its transport paths and its W estimate.

Theory (this script's own derivation). For a pure shift the optimal critic of class c is
linear with slope a_c along v, and class c enters the critic loss as
p_c [ -a_c W_c + λ_c (a_c - 1)^2 ], so a_c = 1 + W_c / (2 λ_c). The global penalty weights a
class's penalty like its W term (λ_c = λ: a_c = 1 + W_c/(2λ), whatever p_c); the per-class
mean over K = 2 groups gives each class weight 1/K against its W term's p_c
(λ_c = λ / (K p_c): a_c = 1 + K p_c W_c / (2λ)). So a per-class penalty is not "holding
all": it re-weights, tightening a rare class and loosening a common one, and with balanced
classes it changes nothing.

Found (default run, see README). Holds only in part, as derived. The global penalty leaves
the class with the larger W1 above target at every frequency: slope 1.36-1.39 (predicted
1.40) against 1.05-1.06 for class 0. The per-class penalty brings it to 1.075 (predicted
1.08) when that class is rare (p1 = 0.1; class 0 loosens to 1.086, predicted 1.09), changes
nothing when balanced (1.386 / 1.049 against 1.391 / 1.051), and makes it worse when it is
common (p1 = 0.9: 1.68, predicted 1.72). Every slope is within 3.8 % of its prediction (the
worst: the rare class at the strongest effective weight, slowest to converge).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402

from wgan_core import Critic, EuclideanSpace, GradientPenalty, MLPCritic, critic_w_estimate  # noqa: E402

LAMBDA = 10.0
SHIFT = torch.tensor([0.6, -0.8])  # |v| = 1
BASE = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])
SCALE = torch.tensor([1.0, 8.0])  # class c is the class-0 picture times SCALE[c]: W1_c = SCALE[c]
FREQUENCIES = (0.5, 0.1, 0.9)


class MultiplierCritic(Critic):
    """f(x, c) = exp(l_c) h(x): one shared critic, one learnt scale per class."""

    def __init__(self, n_classes: int = 2) -> None:
        super().__init__()
        self.h = MLPCritic(2, hidden=64)
        self.log_scale = nn.Parameter(torch.zeros(n_classes))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        assert cond is not None
        return self.log_scale[cond].exp() * self.h(x)


def draw(n: int, p1: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels, real points and their paired fakes."""
    labels = (torch.rand(n, generator=g) < p1).long()
    base = BASE[torch.randint(0, 3, (n,), generator=g)] + 0.2 * torch.randn(n, 2, generator=g)
    k = SCALE[labels].unsqueeze(1)
    return labels, k * base, k * (base + SHIFT)


def predicted(p1: float, per_class: bool) -> list[float]:
    p = [1 - p1, p1]
    return [1 + (2 * p[c] if per_class else 1.0) * float(SCALE[c]) / (2 * LAMBDA) for c in (0, 1)]


def run(p1: float, per_class: bool, steps: int, n: int) -> dict:
    torch.manual_seed(0)
    critic = MultiplierCritic()
    penalty = GradientPenalty(LAMBDA)
    space = EuclideanSpace()
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        labels, real, fake = draw(n, p1, g)
        loss = critic(fake, labels).mean() - critic(real, labels).mean()
        loss = loss + penalty.penalty(critic, real, fake, labels, space, g,
                                      groups=labels if per_class else None)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    g = torch.Generator().manual_seed(7)
    slopes, estimates = [], []
    for c in (0, 1):
        labels, real, fake = draw(4096, float(c), g)
        t = torch.rand(4096, 1, generator=g)
        slopes.append(space.slopes(lambda x: critic(x, labels), real + t * (fake - real)).mean().item())
        estimates.append(critic_w_estimate(critic, real, fake, labels) / float(SCALE[c]))
    pred = predicted(p1, per_class)
    return {"p1": p1, "per_class": per_class, "slope": slopes, "predicted_slope": pred,
            "estimate_ratio": estimates,
            "off": max(abs(s / q - 1) for s, q in zip(slopes, pred))}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    steps, n = (200, 128) if args.quick else (600, 256)
    rows = [run(p1, per_class, steps, n) for p1 in FREQUENCIES for per_class in (False, True)]
    print(f"{'p1':>5} {'penalty':>9} {'slope 0':>8} {'(pred)':>7} {'slope 1':>8} {'(pred)':>7} "
          f"{'est/W1 0':>9} {'est/W1 1':>9}")
    for r in rows:
        print(f"{r['p1']:5.2f} {'per class' if r['per_class'] else 'global':>9} "
              f"{r['slope'][0]:8.3f} {r['predicted_slope'][0]:7.3f} {r['slope'][1]:8.3f} "
              f"{r['predicted_slope'][1]:7.3f} {r['estimate_ratio'][0]:9.3f} "
              f"{r['estimate_ratio'][1]:9.3f}")
    fig, (ax1, ax2) = figure()
    x = torch.arange(len(FREQUENCIES)).float()
    for ax, c in ((ax1, 0), (ax2, 1)):
        for shift, per_class, color in ((-0.18, False, "C0"), (0.18, True, "C1")):
            sel = [r for r in rows if r["per_class"] == per_class]
            ax.bar(x + shift, [r["slope"][c] - 1 for r in sel], 0.34, bottom=1, color=color,
                   label="per-class penalty" if per_class else "global penalty")
            ax.plot(x + shift, [r["predicted_slope"][c] for r in sel], "k_", ms=14, mew=2,
                    label="predicted" if per_class else None)
        ax.axhline(1.0, color="k", ls="--", lw=1)
        ax.set_xticks(x, [f"p1={p:g}" for p in FREQUENCIES])
        ax.set(ylim=(0.95, None), ylabel="mean slope on transport paths",
               title=f"class {c}, W1 = {SCALE[c]:g}")
        ax.legend(fontsize=8)
    path = save(fig, args.out, "per_condition_penalty")
    worst = max(r["off"] for r in rows)
    print(f"worst |slope / predicted - 1| {worst:.2%}; figure {path}; {timer():.1f} s")
    return {"rows": rows, "worst_off": worst, "figure": str(path)}


if __name__ == "__main__":
    main()

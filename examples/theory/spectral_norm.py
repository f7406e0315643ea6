"""Spectral normalization: the critic's slope never exceeds the product of its layers'
spectral norms (<= 1), and how loose that bound is grows with depth.

Claim (Miyato et al., 2018). With every weight matrix divided by its spectral norm and
1-Lipschitz activations (ReLU), the critic is 1-Lipschitz: |∇f(x)| <= Π_i σ(W_i) <= 1 for
every x. The bound is a product of worst cases, one per layer, so the critic's real slope
can sit well below it, and a critic that cannot reach slope 1 on the transport paths
underestimates W1.

Set-up. Two pairs of distributions in the plane. "shift": P three Gaussian blobs (σ 0.2),
Q = P + v, |v| = 2 (W1 = 2, transport paths x -> x + v, the optimal critic linear).
"ring": P = wgan_core.datasets.ring8, Q = N(0, 0.1² I) (W1 ≈ 0.9, transport radial, the
optimal critic the cone |x|, which a ReLU network must fold to make). MLPCritic(2, hidden=64, depth=d) for d = 1, 2, 4, 8 hidden layers under
SpectralNormalization(), trained alone to a stationary point (Adam, linear LR decay, 800
steps, batch 256). Measured after training (eval mode): each layer's spectral norm
(torch.linalg.matrix_norm(W, 2) of the normalised weight) and their product; the slope at
4000 points on the transport paths (x + t v for the shift; real/fake interpolates for
the ring, radial there), its max over those and 4000 points of a wide Gaussian (σ 3); the
W estimate on 8192 fresh samples against w1_exact (1024 samples).

Found (default run, see README). The theorem holds: the largest measured slope never
exceeds Π σ(W_i). The "<= 1" half holds only approximately: with one power iteration per
step (torch's default) the normalised layers' norms read up to 1.031 and their product up to
1.057 (ring, 8 hidden layers). How loose: on the shift (linear optimum) the slope reaches
0.990–0.995 at every depth and the estimate 0.979–0.984 of W1; on the ring (cone optimum)
the slope reaches only 0.51 (1 hidden layer) to 0.66 (4 and 8) and the estimate 0.38 to
0.63 of W1.
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

from wgan_core import (EuclideanSpace, MLPCritic, SpectralNormalization,  # noqa: E402
                       critic_w_estimate, w1_exact)
from wgan_core.datasets import ring8  # noqa: E402

RING = ring8()

SHIFT = torch.tensor([1.2, -1.6])  # |v| = 2
BASE = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])


def blobs(n: int, g: torch.Generator) -> torch.Tensor:
    idx = torch.randint(0, 3, (n,), generator=g)
    return BASE[idx] + 0.2 * torch.randn(n, 2, generator=g)


def sampler(data: str, side: str):
    """The real or fake sampler of a data pair: fn(n, g) -> points."""
    if data == "shift":
        return (lambda n, g: blobs(n, g)) if side == "real" else (lambda n, g: blobs(n, g) + SHIFT)
    return (lambda n, g: RING.sample(n, g)) if side == "real" else \
        (lambda n, g: 0.1 * torch.randn(n, 2, generator=g))


def run(data: str, depth: int, steps: int, n: int) -> dict:
    real, fake = sampler(data, "real"), sampler(data, "fake")
    torch.manual_seed(0)
    critic = fit_critic(MLPCritic(2, hidden=64, depth=depth), lambda g: real(n, g),
                        lambda g: fake(n, g), constraint=SpectralNormalization(), steps=steps,
                        seed=1)
    critic.eval()  # eval: the weights used are the stored normalised ones, no power step
    with torch.no_grad():
        norms = [torch.linalg.matrix_norm(m.weight, ord=2).item()
                 for m in critic.modules() if isinstance(m, nn.Linear)]
    bound = float(torch.tensor(norms).prod())
    space = EuclideanSpace()
    g = torch.Generator().manual_seed(5)
    if data == "shift":
        paths = blobs(4000, g) + torch.rand(4000, 1, generator=g) * SHIFT
    else:
        paths = space.interpolate(real(4000, g), fake(4000, g), g)
    path_slopes = space.slopes(lambda p: critic(p), paths)
    wide_slopes = space.slopes(lambda p: critic(p), 3 * torch.randn(4000, 2, generator=g))
    est = critic_w_estimate(lambda p, c=None: critic(p), real(8192, g), fake(8192, g))
    exact = w1_exact(real(1024, g), fake(1024, g))
    return {"data": data, "depth": depth, "layer_norms": norms, "bound": bound,
            "max_layer_norm": max(norms),
            "path_mean_slope": path_slopes.mean().item(), "path_max_slope": path_slopes.max().item(),
            "wide_max_slope": wide_slopes.max().item(),
            "max_slope": max(path_slopes.max().item(), wide_slopes.max().item()),
            "estimate": est, "w1_exact": exact, "estimate_ratio": est / exact}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    depths = [1, 4] if args.quick else [1, 2, 4, 8]
    steps, n = (200, 64) if args.quick else (800, 256)
    rows = [run(data, d, steps, n) for data in ("shift", "ring") for d in depths]
    print(f"{'data':>5} {'depth':>5} {'Π σ_i':>7} {'max σ_i':>8} {'max slope':>10} {'path mean':>10} "
          f"{'path max':>9} {'estimate / W1':>14}")
    for r in rows:
        print(f"{r['data']:>5} {r['depth']:5d} {r['bound']:7.4f} {r['max_layer_norm']:8.4f} {r['max_slope']:10.4f} "
              f"{r['path_mean_slope']:10.4f} {r['path_max_slope']:9.4f} {r['estimate_ratio']:14.4f}")
    fig, (ax1, ax2) = figure()
    ds = depths
    ax1.plot(ds, [r["bound"] for r in rows[:len(ds)]], "k--", label="Π σ(W_i) (the bound)")
    for data, sel in (("shift", rows[:len(ds)]), ("ring", rows[len(ds):])):
        ax1.plot(ds, [r["max_slope"] for r in sel], "o-", label=f"{data}: largest slope")
        ax1.plot(ds, [r["path_mean_slope"] for r in sel], "s:", label=f"{data}: mean on paths")
    ax1.set(xscale="log", xticks=ds, xticklabels=[str(d) for d in ds], ylim=(0, 1.1),
            xlabel="hidden layers", ylabel="slope", title="slope vs the spectral bound")
    ax1.legend(fontsize=8)
    for data, sel in (("shift", rows[:len(ds)]), ("ring", rows[len(ds):])):
        ax2.plot(ds, [r["estimate_ratio"] for r in sel], "o-", label=data)
    ax2.legend(fontsize=8)
    ax2.axhline(1.0, color="k", ls="--", lw=1)
    ax2.set(xscale="log", xticks=ds, xticklabels=[str(d) for d in ds], ylim=(0, 1.1),
            xlabel="hidden layers", ylabel="W estimate / W1 exact", title="what the bound costs")
    path = save(fig, args.out, "spectral_norm")
    print(f"largest slope / bound over all depths: "
          f"{max(r['max_slope'] / r['bound'] for r in rows):.4f}; figure {path}; {timer():.1f} s")
    return {"rows": rows, "figure": str(path)}


if __name__ == "__main__":
    main()

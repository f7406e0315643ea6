"""The manifold dilemma: data on a curve in a higher-dimensional space.

Claim (Arjovsky & Bottou, 2017; the manifold view of GAN training). When the data lie on a
low-dimensional manifold, almost every interpolate between a real and a fake sample lies
off it, and the critic's gradient at the data is mostly normal to the manifold: it tells
the generator how to reach the curve, hardly where to go along it, so mode coverage along
the curve suffers, and more so as the ambient dimension grows.

Set-up. The curve: the unit circle in a random 2-plane of R^D (a random orthonormal D x 2
frame E, seed 0), D = 2, 8, 32; the data: 8 modes evenly on it (ring8's layout), each a
Gaussian in the angle (σ 0.05 rad), points exactly on the circle. Geometry: the share of
interpolates between data and fake points farther than 3σ from the circle, for fake points
N(0, 0.5² I_D) and for fake points on the circle itself (uniform angle: chords still leave a
curved manifold). Critic alone (MLPCritic(D, hidden=64), GradientPenalty(λ=10), Adam with LR
decay, 400 steps, batch 256) between the data and N(0, 0.5² I_D): at 2048 data points, the
tangential share |g_T| / |g| of the critic's gradient g (g_T: its component along the
circle's tangent), against E|u . t| = Γ(D/2)/(sqrt(π) Γ((D+1)/2)) for a random direction u
(2/π in the plane, about sqrt(2/(πD))), and the in-plane share.
Training: wgan_core.Trainer (MLPGenerator(2 -> D, 64 x 3), MLPCritic(D, 64), n_critic 5,
batch 128, lr 5e-4, 300 steps, seeds 0 and 1), per D: mode_coverage of 2048 samples (nearest mode, within
3σ = 0.15), the samples' mean distance to the circle, and the tangential share of the
critic's gradient at the generated samples.

Found (default run, see README). The geometry holds; the coverage consequence does not show.
Interpolates off the curve (farther than 3σ): 74 %, 90 %, 95 % for D = 2, 8, 32 with
Gaussian fakes, and 48 % at every D even with fakes on the curve (chords). The converged
critic's gradient at the data is mostly normal: tangential share 0.23, 0.12, 0.055 against
0.64, 0.29, 0.14 for a random direction (2.5-2.8 x less); in-plane share 1 (D = 2), 0.63,
0.19. But in training (two seeds, 300 steps) coverage along the curve does not get worse
with D: modes covered 5 and 2 (D = 2), 8 and 8 (D = 8), 8 and 7 (D = 32), high-quality
fraction 0.047, 0.156, 0.100 (D = 2 is the slowest to reach the curve: mean distance 0.46
against 0.21); the tangential share at the generated points, 0.51, 0.22, 0.18, is about
that of a random direction (0.64, 0.29, 0.14).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Sequence

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402
from wgan_core import fit_critic  # noqa: E402

from wgan_core import (Batch, EuclideanSpace, GradientPenalty, MLPCritic, MLPGenerator,  # noqa: E402
                       TrainConfig, Trainer, mode_coverage)

SIGMA = 0.05  # angular spread of a mode (radians); on the unit circle also its arc length
ANGLES = torch.arange(8) * (2 * math.pi / 8)
SPACE = EuclideanSpace()
DIMS = (2, 8, 32)


class Curve:
    """The unit circle in a random 2-plane of R^D and 8 modes on it."""

    def __init__(self, dim: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.frame = torch.linalg.qr(torch.randn(dim, 2, generator=g))[0] if dim > 2 else torch.eye(2)
        self.dim = dim
        self.modes = self.embed(ANGLES)

    def embed(self, angle: torch.Tensor) -> torch.Tensor:
        return torch.stack([angle.cos(), angle.sin()], dim=1) @ self.frame.T

    def sample(self, n: int, g: torch.Generator) -> torch.Tensor:
        a = ANGLES[torch.randint(0, 8, (n,), generator=g)] + SIGMA * torch.randn(n, generator=g)
        return self.embed(a)

    def distance(self, x: torch.Tensor) -> torch.Tensor:
        """Distance of each point to the circle."""
        inplane = x @ self.frame
        off = x - inplane @ self.frame.T
        return ((inplane.norm(dim=1) - 1).pow(2) + off.pow(2).sum(dim=1)).sqrt()

    def tangent(self, x: torch.Tensor) -> torch.Tensor:
        """The circle's unit tangent at the point nearest to each x (in the plane)."""
        inplane = x @ self.frame
        a = torch.atan2(inplane[:, 1], inplane[:, 0])
        return torch.stack([-a.sin(), a.cos()], dim=1) @ self.frame.T


def shares(critic, curve: Curve, x: torch.Tensor) -> tuple[float, float]:
    """Mean tangential and in-plane shares |g_T|/|g|, |g_plane|/|g| of the gradient at x."""
    x = x.clone().requires_grad_(True)
    g = torch.autograd.grad(critic(x).sum(), x)[0]
    norm = g.norm(dim=1).clamp_min(1e-12)
    tangential = (g * curve.tangent(x.detach())).sum(dim=1).abs() / norm
    inplane = (g @ curve.frame).norm(dim=1) / norm
    return float(tangential.mean()), float(inplane.mean())


def random_share(dim: int) -> float:
    """E|u . t| for a uniformly random unit u in R^D and a fixed unit t:
    Γ(D/2) / (sqrt(π) Γ((D+1)/2)), about sqrt(2/(πD)); 2/π in the plane."""
    return math.exp(math.lgamma(dim / 2) - math.lgamma((dim + 1) / 2)) / math.sqrt(math.pi)


def geometry(curve: Curve, n: int = 4096) -> dict:
    g = torch.Generator().manual_seed(2)
    real = curve.sample(n, g)
    gauss = 0.5 * torch.randn(n, curve.dim, generator=g)
    on_curve = curve.embed(2 * math.pi * torch.rand(n, generator=g))
    out = {}
    for name, fake in (("gaussian", gauss), ("on_curve", on_curve)):
        inter = SPACE.interpolate(real, fake, g)
        out[f"off_share_{name}"] = float((curve.distance(inter) > 3 * SIGMA).float().mean())
    return out


def critic_alone(curve: Curve, steps: int, n: int) -> dict:
    torch.manual_seed(0)
    critic = fit_critic(MLPCritic(curve.dim, hidden=64), lambda g: curve.sample(n, g),
                        lambda g: 0.5 * torch.randn(n, curve.dim, generator=g),
                        constraint=GradientPenalty(10.0), steps=steps, seed=1)
    g = torch.Generator().manual_seed(4)
    t, p = shares(lambda x: critic(x), curve, curve.sample(2048, g))
    return {"tangential_share": t, "inplane_share": p}


def train(curve: Curve, steps: int, seed: int = 0) -> dict:
    cfg = TrainConfig(steps=steps, batch_size=128, n_critic=5, lr_g=5e-4, lr_c=5e-4,
                      # the recipe these figures were made with (the core's defaults then)
                      constraint="gp", lr_schedule="constant", ema_decay=0.999,
                      log_every=10**9, checkpoint_every=10**9, device="cpu", seed=seed)
    torch.manual_seed(seed)
    trainer = Trainer(MLPGenerator(2, curve.dim, hidden=64, depth=3), MLPCritic(curve.dim, hidden=64),
                      lambda n, g: Batch(real=curve.sample(n, g)), cfg,
                      constraint=GradientPenalty(10.0))
    trainer.fit()
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        fake = trainer.generator(trainer.generator.sample_latent(2048, g))
    cov = mode_coverage(fake, curve.modes, SIGMA)
    assert trainer.critic is not None
    critic = trainer.critic
    t, p = shares(lambda x: critic(x), curve, fake)
    return {"modes": cov["modes_covered"], "high_quality": cov["high_quality_fraction"],
            "reverse_kl": cov["reverse_kl"], "distance_to_curve": float(curve.distance(fake).mean()),
            "fake_tangential_share": t, "fake_inplane_share": p}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    c_steps, c_n, g_steps = (200, 128, 60) if args.quick else (400, 256, 300)
    seeds = (0,) if args.quick else (0, 1)
    rows = []
    for dim in DIMS:
        curve = Curve(dim)
        runs = [train(curve, g_steps, s) for s in seeds]
        mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
        rows.append({"dim": dim, "random_share": random_share(dim), **geometry(curve),
                     **critic_alone(curve, c_steps, c_n), **mean,
                     "modes_per_seed": [r["modes"] for r in runs],
                     "high_quality_per_seed": [r["high_quality"] for r in runs]})
    print(f"{'D':>3} {'off (gauss)':>11} {'off (curve)':>11} {'tang@data':>9} {'random':>7} "
          f"{'plane@data':>10} | {'modes':>5} {'high-q':>6} {'dist':>6} {'tang@fake':>9}  (mean of "
          f"{len(seeds)} seeds; modes per seed)")
    for r in rows:
        print(f"{r['dim']:3d} {r['off_share_gaussian']:11.3f} {r['off_share_on_curve']:11.3f} "
              f"{r['tangential_share']:9.3f} {r['random_share']:7.3f} {r['inplane_share']:10.3f} | "
              f"{r['modes']:5.1f} {r['high_quality']:6.3f} {r['distance_to_curve']:6.3f} "
              f"{r['fake_tangential_share']:9.3f}  {r['modes_per_seed']}")
    fig, (ax1, ax2) = figure()
    d = list(DIMS)
    ax1.plot(d, [r["off_share_gaussian"] for r in rows], "o-", label="interpolates off curve (fake ~ N)")
    ax1.plot(d, [r["off_share_on_curve"] for r in rows], "o--", label="... (fake on the curve)")
    ax1.plot(d, [r["tangential_share"] for r in rows], "s-", label="tangential share of ∇f at data")
    ax1.plot(d, [r["random_share"] for r in rows], "k:", lw=1, label="same for a random direction")
    ax1.set(xscale="log", xlabel="ambient dimension D", ylim=(0, 1.05), title="geometry, critic alone")
    ax1.legend(fontsize=7)
    ax2.plot(d, [r["modes"] / 8 for r in rows], "^-", label="modes covered / 8")
    ax2.plot(d, [r["high_quality"] for r in rows], "s-", label="high-quality fraction")
    ax2.plot(d, [r["fake_tangential_share"] for r in rows], "o-", label="tangential share at fakes")
    ax2.plot(d, [r["random_share"] for r in rows], "k:", lw=1, label="same for a random direction")
    ax2.set(xscale="log", xlabel="ambient dimension D", ylim=(0, 1.05),
            title=f"Trainer, {g_steps} steps, mean of {len(seeds)} seeds")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.minorticks_off()
        ax.set_xticks(d, [str(x) for x in d])
    path = save(fig, args.out, "manifold")
    print(f"figure {path}; {timer():.1f} s")
    return {"rows": rows, "figure": str(path)}


if __name__ == "__main__":
    main()

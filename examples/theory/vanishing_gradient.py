"""Vanishing vs constant gradient: a WGAN critic's pull on the generator does not fade with
distance; a standard (BCE) GAN discriminator's does.

Claim (Arjovsky et al., 2017, sec. 2 and Example 1). Real δ0, fake δa. W1(δ0, δa) = |a| is
smooth in a with gradient 1 everywhere, while JS(δ0, δa) = log 2 for every a ≠ 0: a
discriminator near its optimum gives the generator (almost) no gradient, the more so the
farther apart the two are. Under a soft gradient penalty of weight λ the trained critic's
slope along the segment, i.e. the generator's gradient, is 1 + a/(2λ) (the convex problem
along the segment; see tests/core/test_constraints.py).

Set-up. The points sit on the x axis of the plane, (0, 0) and (a, 0), with MLPCritic(2,
hidden=64) (in 1-D a penalised critic can be trapped at the wrong sign: turning slope +1 into
-1 passes through slope 0, which the penalty prices at λ, far more than the W term gains; in
2-D the gradient rotates at constant norm), trained alone to a stationary point (Adam, linear LR
decay to zero, 1000 steps; 400 with --quick) for each a: the WGAN critic under GradientPenalty(λ=100); the
discriminator with the same network, optimizer and schedule on the BCE loss (logit =
network output). Measured at the fake point θ = a: |dL_G/dθ| for WGAN (L_G = -f(θ)), for the
minimax GAN (L_G = log(1 - D(θ))) and for the non-saturating GAN (L_G = -log D(θ)); the
critic's W estimate f(0) - f(a) and the discriminator's JS estimate
log 2 + (log D(0) + log(1 - D(a))) / 2.

Found (default run, see README). Holds. The WGAN gradient equals 1 + a/(2λ) within 0.06 %
for every a in 0.25 … 8 and its estimate tracks a(1 + a/(2λ)) (8.319 at a = 8); the minimax
GAN gradient is below 3e-8 at every a and falls a further 370-fold from a = 0.25 to a = 8,
while the JS estimate sits at log 2 = 0.6931 for every a.
The non-saturating loss keeps a gradient, but it is not the slope of any distance (it is set
by the discriminator's logit, not by a).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402
from wgan_core import fit_critic  # noqa: E402

from wgan_core import GradientPenalty, MLPCritic  # noqa: E402

LAMBDA = 100.0


def train_bce(net: torch.nn.Module, a: float, steps: int, lr: float = 1e-3, n: int = 128) -> torch.nn.Module:
    """The standard GAN discriminator between δ0 and δa (the core has no JS loss: it is a
    WGAN library, so the BCE loss lives here). Same optimizer and schedule as the critic."""
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.0, 0.9))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    real, fake = point(0.0, n), point(a, n)
    for _ in range(steps):
        loss = F.softplus(-net(real)).mean() + F.softplus(net(fake)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return net


def point(a: float, n: int = 1) -> torch.Tensor:
    """n copies of (a, 0)."""
    return torch.tensor([a, 0.0]).expand(n, 2).clone()


def grad_at(fn, a: float) -> float:
    """|d fn(θ) / dθ| at θ = (a, 0)."""
    theta = point(a).requires_grad_(True)
    (g,) = torch.autograd.grad(fn(theta).sum(), theta)
    return g.norm().item()


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    distances = [0.5, 8.0] if args.quick else [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    steps = 400 if args.quick else 1000
    n = 32 if args.quick else 128  # batch: only the penalty's interpolates are random
    rows = []
    for a in distances:
        torch.manual_seed(0)
        critic = fit_critic(MLPCritic(2, hidden=64), lambda g: point(0.0, n), lambda g,
                            a=a: point(a, n), constraint=GradientPenalty(LAMBDA), steps=steps,
                            seed=1)
        torch.manual_seed(0)
        disc = train_bce(MLPCritic(2, hidden=64), a, steps, n=n)
        with torch.no_grad():
            w_est = (critic(point(0.0)) - critic(point(a))).item()
            lr_, lf = disc(point(0.0)).item(), disc(point(a)).item()
        js_est = math.log(2) - 0.5 * (F.softplus(torch.tensor(-lr_)) + F.softplus(torch.tensor(lf))).item()
        rows.append({
            "a": a,
            "wgan_grad": grad_at(lambda t: -critic(t), a),
            "wgan_expected": 1 + a / (2 * LAMBDA),
            "w_estimate": w_est,
            "minimax_grad": grad_at(lambda t: -F.softplus(disc(t)), a),   # log(1 - σ(l))
            "nonsat_grad": grad_at(lambda t: F.softplus(-disc(t)), a),    # -log σ(l)
            "js_estimate": js_est,
        })
    print(f"{'a':>6} {'WGAN grad':>10} {'1+a/2λ':>8} {'W est':>7} {'minimax grad':>13} "
          f"{'non-sat grad':>13} {'JS est':>7}   (log 2 = {math.log(2):.4f})")
    for r in rows:
        print(f"{r['a']:6.2f} {r['wgan_grad']:10.4f} {r['wgan_expected']:8.4f} "
              f"{r['w_estimate']:7.3f} {r['minimax_grad']:13.3e} {r['nonsat_grad']:13.3e} "
              f"{r['js_estimate']:7.4f}")

    fig, (ax1, ax2) = figure()
    a_s = [r["a"] for r in rows]
    ax1.plot(a_s, [r["wgan_grad"] for r in rows], "o-", label="WGAN-GP critic")
    ax1.plot(a_s, [r["wgan_expected"] for r in rows], "k--", lw=1, label="1 + a/(2λ)")
    ax1.plot(a_s, [r["minimax_grad"] for r in rows], "s-", label="GAN, minimax")
    ax1.plot(a_s, [r["nonsat_grad"] for r in rows], "^-", label="GAN, non-saturating")
    ax1.set(xscale="log", yscale="log", xlabel="distance a", ylabel="|dL_G/dθ| at θ = a",
            title="generator gradient")
    ax1.legend(fontsize=8)
    ax2.plot(a_s, [r["w_estimate"] for r in rows], "o-", label="critic W estimate")
    ax2.plot(a_s, a_s, "k--", lw=1, label="W1 = a")
    ax2.plot(a_s, [r["js_estimate"] for r in rows], "s-", label="discriminator JS estimate")
    ax2.axhline(math.log(2), color="gray", ls=":", label="log 2")
    ax2.set(xscale="log", yscale="log", xlabel="distance a", title="divergence estimates")
    ax2.legend(fontsize=8)
    path = save(fig, args.out, "vanishing_gradient")
    worst = max(abs(r["wgan_grad"] / r["wgan_expected"] - 1) for r in rows)
    fade = rows[-1]["minimax_grad"] / rows[0]["minimax_grad"]
    print(f"WGAN gradient vs 1 + a/(2λ): worst relative error {worst:.2%}; minimax GAN "
          f"gradient at a={a_s[-1]:g} / at a={a_s[0]:g}: {fade:.2e}; figure {path}; "
          f"{timer():.1f} s")
    return {"rows": rows, "wgan_worst_rel_error": worst, "minimax_fade": fade,
            "figure": str(path)}


if __name__ == "__main__":
    main()

"""λ as a control parameter: the Dirac-GAN, linearised at its equilibrium.

Claim (Mescheder et al., 2018). Real data δ0, generator δθ, linear critic f(x) = ψx. Without
a penalty the game circles its equilibrium (θ, ψ) = (0, 0) (simultaneous gradient steps spiral
out); a zero-centred penalty on the real points makes it locally convergent, and its weight
acts as a damping: below a critical weight the update's eigenvalues are a complex pair (a
stable spiral), above it two real ones (a stable node). The two-sided WGAN-GP penalty has no
equilibrium at θ = 0 to linearise.

Set-up. The penalty is wgan_core's ZeroCentredPenalty(weight=λ, on="real") (R1;
GradientPenalty pulls slopes to the target K, which cannot be 0), here λ E|∂f/∂x|^2 = λψ^2 (Mescheder's γ/2 ψ^2 with
γ = 2λ). Critic loss f(fake) - f(real) + λψ^2 = ψθ + λψ^2, generator loss -f(fake) = -ψθ.
One training step with step size h = 0.1, plain gradient descent, either simultaneous (both
gradients at (θ, ψ)) or alternating (critic first, as wgan_core.Trainer does, then the
generator against the updated critic), through the core's own penalty (autograd.grad with
create_graph). Its Jacobian at (0, 0) comes from torch.autograd.functional.jacobian (the
penalty's requires_grad_/autograd.grad cannot run under torch.func.jacrev).

Theory (derived here, state (θ, ψ)). ODE: θ' = ψ, ψ' = -θ - 2λψ, Jacobian [[0, 1], [-1, -2λ]],
eigenvalues -λ ± sqrt(λ² - 1): critical λ* = 1 (γ* = 2), and the slowest eigenvalue's real
part, -λ for λ < 1 and -λ + sqrt(λ²-1) above, is most negative at λ*: critical damping.
Simultaneous steps M = I + hJ: eigenvalues 1 + hμ, the same λ* = 1 for every h; stable for
h/2 < λ < 1/h + h/4 (at λ = 0: |1 ± ih| = sqrt(1 + h²) > 1, the spiral out). Alternating
steps M = [[1 - h², h(1 - 2hλ)], [-h, 1 - 2hλ]] (both orders have trace 2 - h² - 2hλ and
determinant 1 - 2hλ): the discriminant vanishes at hλ = h - h²/2, λ* = 1 - h/2 = 0.95;
stable for 0 < λ < 1/h - h/4 (at λ = 0 the determinant is 1: a closed cycle, no spiral
out). WGAN-GP, λ(|ψ| - 1)^2: ψ' = -θ - 2λ sgn(ψ)(|ψ| - 1) jumps by 4λ across ψ = 0, so there
is no linearisation; the critic holds |ψ| near 1 and ψ only changes sign once |θ| passes
2λ, so θ should swing through a cycle of amplitude about 2λ instead of converging.

Found (default run, see README). Holds; every number from the Jacobian of the actual step.
The Jacobian equals the analytic M to 1.4e-17. Critical weight by bisection on its
discriminant: simultaneous λ* = 1.0000, alternating λ* = 0.9500 (analytic 1 and 1 - h/2).
Spectral radius at λ = 0: 1.0050 simultaneous (= sqrt(1 + h²), spirals out), 1.0000
alternating (cycles); smallest at λ*, 0.9000 for both (1 - h, and the double root
(2 - h² - 2hλ*)/2). From (θ, ψ) = (1, 0), 400 steps: λ = 0.3 spirals (complex eigenvalues,
θ changes sign 12 times, |z| 4e-5 simultaneous / 5e-6 alternating at the end), λ = 3 is a
node (real eigenvalues, θ never changes sign, |z| 1e-3: overdamped, slower). WGAN-GP (λ = 1,
the core's GradientPenalty on interpolates, alternating): no convergence; θ swings between
the two pseudo-equilibria ±2λ (amplitude 2.000 over the last 1500 steps, |z| never below
1.14, 10 sign changes); the Jacobian at (0, 0) has an eigenvalue of modulus 2e5 (the
penalty's kink at ψ = 0, smoothed only by the core's 1e-12 inside the norm).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, figure, parse, save  # noqa: E402

from wgan_core import Constraint, EuclideanSpace, GradientPenalty, ZeroCentredPenalty  # noqa: E402

H = 0.1
SPACE = EuclideanSpace()


def step(z: torch.Tensor, constraint: Constraint, alternating: bool, h: float = H) -> torch.Tensor:
    """One gradient step of the Dirac-GAN from z = (θ, ψ), differentiable in z."""
    theta, psi = z[0], z[1]
    real = torch.zeros(1, 1, dtype=z.dtype)

    def critic_grad(theta: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
        critic = lambda x, cond=None: psi * x.squeeze(-1)  # noqa: E731
        fake = theta.reshape(1, 1)
        loss = critic(fake).mean() - critic(real).mean()
        loss = loss + constraint.penalty(critic, real, fake, None, SPACE)
        return torch.autograd.grad(loss, psi, create_graph=True)[0]

    def generator_grad(theta: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
        # G(θ) = θ, so dL/dθ = dL/d(fake): the gradient at the sample, the critic held fixed
        # (differentiating in θ itself would also follow ψ's dependence on θ when alternating).
        fake = theta.reshape(1, 1)
        return torch.autograd.grad(-(psi * fake).mean(), fake, create_graph=True)[0].reshape(())

    new_psi = psi - h * critic_grad(theta, psi)
    new_theta = theta - h * generator_grad(theta, new_psi if alternating else psi)
    return torch.stack([new_theta, new_psi])


def jacobian(constraint: Constraint, alternating: bool, at: Sequence[float] = (0.0, 0.0)) -> torch.Tensor:
    z = torch.tensor(at, dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda v: step(v, constraint, alternating), z)


def analytic(lam: float, alternating: bool, h: float = H) -> torch.Tensor:
    if alternating:
        return torch.tensor([[1 - h * h, h * (1 - 2 * h * lam)], [-h, 1 - 2 * h * lam]],
                            dtype=torch.float64)
    return torch.eye(2, dtype=torch.float64) + h * torch.tensor([[0.0, 1.0], [-1.0, -2 * lam]],
                                                                dtype=torch.float64)


def discriminant(m: torch.Tensor) -> float:
    return float(m.trace() ** 2 - 4 * m.det())


def radius(m: torch.Tensor) -> float:
    return float(torch.linalg.eigvals(m).abs().max())


def critical(alternating: bool, lo: float = 0.01, hi: float = 3.0, iters: int = 40) -> float:
    """λ where the Jacobian's eigenvalues turn from complex (discriminant < 0) to real."""
    for _ in range(iters):
        mid = (lo + hi) / 2
        if discriminant(jacobian(ZeroCentredPenalty(mid), alternating)) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def trajectory(constraint: Constraint, alternating: bool, steps: int,
               start: Sequence[float] = (1.0, 0.0)) -> torch.Tensor:
    z = torch.tensor(start, dtype=torch.float64)
    path = [z]
    for _ in range(steps):
        z = step(z.clone().requires_grad_(True), constraint, alternating).detach()
        path.append(z)
    return torch.stack(path)


def sign_changes(x: torch.Tensor) -> int:
    s = torch.sign(x[x.abs() > 1e-12])
    return int((s[1:] != s[:-1]).sum())


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse(argv, __doc__)
    timer = Timer()
    torch.set_num_threads(1)
    n_traj, n_gp = (200, 600) if args.quick else (400, 3000)
    grid = [i / 20 for i in range(0, 61)] if not args.quick else [i / 4 for i in range(0, 13)]

    jac_error = max(float((jacobian(ZeroCentredPenalty(lam), alt) - analytic(lam, alt)).abs().max())
                    for lam in (0.0, 0.5, 1.0, 2.0) for alt in (False, True))
    crit = {"simultaneous": critical(False), "alternating": critical(True)}
    crit_analytic = {"simultaneous": 1.0, "alternating": 1 - H / 2}
    radii = {name: [radius(jacobian(ZeroCentredPenalty(lam), alt)) for lam in grid]
             for name, alt in (("simultaneous", False), ("alternating", True))}
    print(f"h = {H}: |Jacobian of the step - analytic M| <= {jac_error:.1e}")
    for name in crit:
        r = radii[name]
        best = min(range(len(grid)), key=lambda i: r[i])
        print(f"{name:>12}: critical λ {crit[name]:.4f} (analytic {crit_analytic[name]:.4f}); "
              f"spectral radius at λ=0 {r[0]:.4f}, smallest {r[best]:.4f} at λ={grid[best]:g}")

    trajs = {}
    rows = []
    for lam in (0.3, 3.0):
        for name, alt in (("simultaneous", False), ("alternating", True)):
            path = trajectory(ZeroCentredPenalty(lam), alt, n_traj)
            trajs[(lam, name)] = path
            m = jacobian(ZeroCentredPenalty(lam), alt)
            rows.append({"lambda": lam, "mode": name, "complex": discriminant(m) < 0,
                         "radius": radius(m), "theta_sign_changes": sign_changes(path[:, 0]),
                         "final_norm": float(path[-1].norm())})
    for r in rows:
        print(f"R1 λ={r['lambda']:g} {r['mode']:>12}: eigenvalues {'complex' if r['complex'] else 'real'}, "
              f"radius {r['radius']:.4f}; θ sign changes {r['theta_sign_changes']}, "
              f"|z| after {n_traj} steps {r['final_norm']:.2e}")

    gp_lambda = 1.0
    gp_path = trajectory(GradientPenalty(gp_lambda), True, n_gp)
    late = gp_path[n_gp // 2:]
    gp_amplitude = float(late[:, 0].abs().max())
    gp_jac = jacobian(GradientPenalty(gp_lambda), True)
    gp_eig = float(torch.linalg.eigvals(gp_jac).abs().max())
    gp = {"lambda": gp_lambda, "amplitude": gp_amplitude, "predicted_amplitude": 2 * gp_lambda,
          "late_min_norm": float(late.norm(dim=1).min()), "jacobian_radius": gp_eig,
          "theta_sign_changes": sign_changes(late[:, 0])}
    print(f"WGAN-GP λ={gp_lambda:g}, alternating: θ amplitude over the last {n_gp // 2} steps "
          f"{gp_amplitude:.3f} (2λ = {2 * gp_lambda:g}), smallest |z| {gp['late_min_norm']:.3f}, "
          f"{gp['theta_sign_changes']} sign changes; Jacobian radius at (0,0) {gp_eig:.3g}")

    fig, (ax1, ax2, ax3) = figure(3, width=3.6)
    for name, style in (("simultaneous", "-"), ("alternating", "--")):
        ax1.plot(grid, radii[name], style, label=f"{name} (λ*={crit[name]:.3f})")
        ax1.axvline(crit[name], color="gray", ls=style, lw=0.8)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set(xlabel="R1 weight λ", ylabel="spectral radius of the step", ylim=(0.85, 1.02),
            title=f"Jacobian at (0,0), h={H}")
    ax1.legend(fontsize=7)
    for (lam, name), path in trajs.items():
        if name == "alternating":
            ax2.plot(path[:, 0], path[:, 1], lw=1, label=f"λ={lam:g} " +
                     ("spiral" if lam < 1 else "node"))
    ax2.set(xlabel="θ", ylabel="ψ", title="R1, alternating, from (1, 0)")
    ax2.legend(fontsize=7)
    ax3.plot(gp_path[:, 0], gp_path[:, 1], lw=0.6)
    ax3.axvline(2 * gp_lambda, color="gray", ls=":", lw=0.8)
    ax3.axvline(-2 * gp_lambda, color="gray", ls=":", lw=0.8)
    ax3.set(xlabel="θ", ylabel="ψ", title=f"WGAN-GP λ={gp_lambda:g}: a cycle, |θ| to 2λ")
    path = save(fig, args.out, "dirac_gan")
    print(f"figure {path}; {timer():.1f} s")
    return {"jacobian_error": jac_error, "critical": crit, "critical_analytic": crit_analytic,
            "radius_at_zero": {k: v[0] for k, v in radii.items()},
            "min_radius": {k: min(v) for k, v in radii.items()},
            "rows": rows, "gp": gp, "figure": str(path)}


if __name__ == "__main__":
    main()

"""A plain PyTorch WGAN loop on grid25 with the toy plugin's default settings (not a test).

It checks that the toy results come from the game, not from ``wgan_core.Trainer``: the same
networks, data normalization, penalty (one-sided, WGAN-LP, as the toy's default; ``--penalty
gp`` for the two-sided WGAN-GP one; target slope in data units), Adam (0, 0.9) at lr 1e-3 with
linear decay, latent 8, batch 256, n_critic 5 and 3000 steps, written straight in PyTorch,
evaluated with the same PacGAN protocol (raw samples, no DOT). Prints one line per seed.

    OMP_NUM_THREADS=1 python benchmarks/toy_reference.py --seeds 0 1 [--penalty gp]
"""

from __future__ import annotations

import argparse
import time

import torch

from wgan_core.metrics import mode_coverage
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_plugins.toy.data import builtin
from wgan_plugins.toy.plugin import data_scale

STEPS, BATCH, N_CRITIC, LATENT, HIDDEN, LR, PENALTY = 3000, 256, 5, 8, 256, 1e-3, 10.0


def train(seed: int, one_sided: bool) -> dict[str, float]:
    data = builtin("grid25")
    scale = data_scale(data, True)  # the networks see data / std, as in the toy plugin
    torch.manual_seed(seed)
    G, D = MLPGenerator(LATENT, 2, HIDDEN), MLPCritic(2, HIDDEN)
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=(0.0, 0.9))
    decay = lambda s: max(0.0, 1 - s / STEPS)  # noqa: E731
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)]
    rng = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(STEPS):
        for _ in range(N_CRITIC):
            real = data.sample(BATCH, rng) * scale
            fake = G(torch.randn(BATCH, LATENT)).detach()
            eps = torch.rand(BATCH, 1)
            inter = (eps * real + (1 - eps) * fake).requires_grad_(True)
            grad = torch.autograd.grad(D(inter).sum(), inter, create_graph=True)[0]
            # slope 1 in data units = slope 1/scale on the scaled inputs
            excess = grad.norm(2, dim=1) * scale - 1
            if one_sided:  # WGAN-LP: only slopes above the target are penalized
                excess = excess.clamp(min=0.0)
            penalty = PENALTY * (excess ** 2).mean()
            loss = D(fake).mean() - D(real).mean() + penalty
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
        for p in D.parameters():
            p.requires_grad_(False)
        loss_g = -D(G(torch.randn(BATCH, LATENT))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)
        for s in schedules:
            s.step()
    with torch.no_grad():
        z = torch.randn(2500, LATENT, generator=torch.Generator().manual_seed(seed + 1))
        fake = G(z) / scale
    metrics = mode_coverage(fake, data.modes, data.std)
    metrics["seconds"] = time.perf_counter() - start
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--penalty", choices=["lp", "gp"], default="lp")
    args = parser.parse_args()
    for seed in args.seeds:
        m = train(seed, one_sided=args.penalty == "lp")
        print(f"reference ({args.penalty}) seed {seed}: "
              f"modes {m['modes_covered']} / {m['modes_total']}, "
              f"high quality {100 * m['high_quality_fraction']:.1f} %, "
              f"reverse KL {m['reverse_kl']:.3f}, {m['seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()

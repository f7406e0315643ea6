"""Speed of one generator step (with n_critic critic steps) of our trainer against a plain
reference loop, and across constraints. Prints a table; not a test.

    python benchmarks/core_step.py [--steps 60] [--repeats 3]

The reference is the canonical WGAN-GP toy loop written straight in PyTorch (as in the
WGAN-GP authors' toy script): separate critic passes for real, fake and interpolates. Both
use the same 3x256 MLPs, batch 256, n_critic 5, Adam(0, 0.9), 2-D data, in one process.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from wgan_core.config import TrainConfig
from wgan_core.data import Batch
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.trainer import Trainer

BATCH, N_CRITIC, HIDDEN = 256, 5, 256


def source(n: int, g: torch.Generator) -> Batch:
    return Batch(real=torch.randn(n, 2, generator=g) * 2.0)


def reference_loop(steps: int) -> float:
    """Seconds per generator step of the plain loop."""
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2, HIDDEN), MLPCritic(2, HIDDEN)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
    g = torch.Generator().manual_seed(0)

    def one() -> None:
        for _ in range(N_CRITIC):
            real = source(BATCH, g).real
            fake = G(torch.randn(BATCH, 2)).detach()
            d_real, d_fake = D(real).mean(), D(fake).mean()
            eps = torch.rand(BATCH, 1)
            inter = (eps * real + (1 - eps) * fake).requires_grad_(True)
            grad = torch.autograd.grad(D(inter).sum(), inter, create_graph=True)[0]
            gp = 10.0 * ((grad.norm(2, dim=1) - 1) ** 2).mean()
            loss = d_fake - d_real + gp
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
        for p in D.parameters():
            p.requires_grad_(False)
        loss_g = -D(G(torch.randn(BATCH, 2))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)

    for _ in range(5):
        one()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    return (time.perf_counter() - start) / steps


class AdamVariantTrainer(Trainer):
    """The Trainer with torch's foreach or fused Adam kernels (same update, other rounding)."""

    adam: dict = {}

    def _optimizers(self):  # type: ignore[override]
        cfg = self.config
        make = lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.0, 0.9),  # noqa: E731
                                                   **self.adam)
        return make(self.generator.parameters(), cfg.lr_g), make(self.critic.parameters(),
                                                                  cfg.lr_c)


def our_loop(steps: int, constraint: str = "gp", ema: float = 0.0, adam: str = "") -> float:
    """Seconds per generator step of wgan_core's Trainer (no logging in the timed part)."""
    torch.manual_seed(0)
    cfg = TrainConfig(steps=steps + 5, batch_size=BATCH, n_critic=N_CRITIC, constraint=constraint,
                      device="cpu", log_every=10**9, checkpoint_every=10**9, ema_decay=ema)
    cls: type[Trainer] = Trainer
    if adam:
        cls = type(f"{adam}AdamTrainer", (AdamVariantTrainer,), {"adam": {adam: True}})
    trainer = cls(MLPGenerator(2, 2, HIDDEN), MLPCritic(2, HIDDEN), source, cfg)
    times = []

    class Timer:
        def __init__(self) -> None:
            self.last = time.perf_counter()

    from wgan_core.callbacks import Callback

    class Clock(Callback):
        def on_step_end(self, tr, step, stats):
            now = time.perf_counter()
            if step > 5:
                times.append(now - clock.last)
            clock.last = now

    clock = Timer()
    trainer.callbacks.append(Clock())
    trainer.fit()
    return sum(times) / len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}, "
          f"n_critic {N_CRITIC}, MLP 3x{HIDDEN}; median of {args.repeats} x {args.steps} steps")
    times: dict[str, list[float]] = {"ref": [], "": [], "foreach": [], "fused": []}
    for _ in range(args.repeats):  # interleaved so machine noise hits all alike
        times["ref"].append(reference_loop(args.steps))
        for adam in ("", "foreach", "fused"):
            times[adam].append(our_loop(args.steps, adam=adam))
    r = statistics.median(times["ref"])
    print()
    print("| loop | ms / generator step | ratio to reference |")
    print("|---|---:|---:|")
    print(f"| plain PyTorch WGAN-GP reference | {1000 * r:.1f} | 1.00 |")
    for adam, label in (("", "wgan_core Trainer, gp"), ("foreach", "... with foreach Adam"),
                        ("fused", "... with fused Adam")):
        o = statistics.median(times[adam])
        print(f"| {label} | {1000 * o:.1f} | {o / r:.2f} |")
    print()
    print("| constraint | ms / generator step | ratio to gp |")
    print("|---|---:|---:|")
    rows = {}
    for name in ["gp", "lp", "sn", "clip", "none"]:
        rows[name] = statistics.median(our_loop(args.steps, name) for _ in range(args.repeats))
    for name, t in rows.items():
        print(f"| {name} | {1000 * t:.1f} | {t / rows['gp']:.2f} |")
    ema = statistics.median(our_loop(args.steps, "gp", 0.999) for _ in range(args.repeats))
    print(f"| gp + EMA of G | {1000 * ema:.1f} | {ema / rows['gp']:.2f} |")


if __name__ == "__main__":
    main()

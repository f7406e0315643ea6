"""Benchmark of the superres plugin (not a test): prints two tables.

1. Quality and wall time of the default ``wgan run superres``: Y-channel PSNR / SSIM (border =
   scale) and high-frequency energy ratio on the held-out photos, for bicubic, the
   pixel-loss (L1) model and the adversarial model.
2. Training throughput (HR patches per second) of our adversarial step (core Trainer: WGAN-GP
   with the fused critic pass, EMA, logging) against a plain, hand-written SRGAN-style step
   (one discriminator update with the non-saturating BCE loss, one generator update with
   L1 + adv_weight x BCE) on the same networks and batches.

Usage::

    python benchmarks/superres.py                     # trains the default run first
    python benchmarks/superres.py --run-dir RUN_DIR   # reuse a finished default run
    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/superres.py   # pinned to one core

Context (SRGAN paper, Ledig et al. 2017, Set5 x4, Y-channel PSNR): bicubic 28.43 dB,
SRResNet 32.05 dB, SRGAN 29.40 dB. Those are GPU-days of training on ImageNet; ours is a
few CPU minutes on eight photos, on different test photos and a different (Gaussian-prefiltered)
degradation, so only the ordering, not the numbers, is comparable.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

from wgan_core.config import build_config
from wgan_core.phases import Phase
from wgan_core.trainer import Trainer
from wgan_plugins.superres.config import SuperResConfig
from wgan_plugins.superres.data import PatchSource, default_photos
from wgan_plugins.superres.models import SRCritic
from wgan_plugins.superres.plugin import l1_loss, make_generator


def quality_table(run_dir: Path) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    print(f"\nDefault run: {run_dir}  (x{m['scale']}; held out: {', '.join(m['test_images'])})")
    print(f"wall time {m['seconds_total']:.0f} s  (L1 phase {m['seconds_pretrain']:.0f} s, "
          f"adversarial phase {m['seconds_adversarial']:.0f} s)")
    rows = [("bicubic", "bicubic"), ("pixel-loss (L1)", "l1"), ("adversarial (WGAN-GP)", "sr")]
    print(f"\n| {'method':<22} | PSNR-Y dB | SSIM-Y | HF ratio | gain vs bicubic |")
    print(f"|{'-' * 24}|-----------|--------|----------|-----------------|")
    for label, key in rows:
        gain = m[f"psnr_{key}"] - m["psnr_bicubic"]
        print(f"| {label:<22} | {m[f'psnr_{key}']:9.2f} | {m[f'ssim_{key}']:.4f} | "
              f"{m[f'hf_ratio_{key}']:8.3f} | {gain:+14.2f}  |")
    print("\nper image (PSNR-Y dB bicubic / L1 / adversarial):")
    for name, r in m["per_image"].items():
        print(f"  {name:<12} {r['psnr_bicubic']:.2f} / {r['psnr_l1']:.2f} / {r['psnr_sr']:.2f}")


def throughput_table(config: SuperResConfig, steps: int) -> None:
    """Patches per second of our adversarial step vs a plain SRGAN-style step."""
    train, _ = default_photos()
    source = PatchSource(train, config.patch_size, config.scale)
    torch.manual_seed(0)
    highpass = config.scale if config.critic_highpass else 0
    ours = Trainer(make_generator(config), SRCritic(config.critic_channels, highpass), source,
                   replace(config, log_every=10 ** 9, device="cpu"),
                   phase=Phase.from_config(config, steps=steps + 2),
                   extra_loss=l1_loss, adversarial_weight=config.adv_weight)
    ours.train_steps(2)  # warm-up
    start = time.perf_counter()
    ours.train_steps(steps)
    t_ours = time.perf_counter() - start
    per_step_ours = config.batch_size * (config.n_critic + 1)

    torch.manual_seed(0)
    g, d = make_generator(config), SRCritic(config.critic_channels, highpass)
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_c, betas=(0.9, 0.999))
    rng = torch.Generator().manual_seed(0)

    def reference_step() -> None:
        batch = source(config.batch_size, rng)
        fake = g(batch.gen_input)
        real_logit, fake_logit = d(batch.real), d(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                  + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        logit = d(fake)
        loss_g = F.l1_loss(fake, batch.real) + config.adv_weight * \
            F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    for _ in range(2):
        reference_step()
    start = time.perf_counter()
    for _ in range(steps):
        reference_step()
    t_ref = time.perf_counter() - start

    threads = torch.get_num_threads()
    print(f"\nTraining throughput, {steps} adversarial steps each, batch {config.batch_size}, "
          f"{config.patch_size}px HR patches, torch threads {threads}:")
    rows = [(f"ours: core Trainer, WGAN-GP, n_critic={config.n_critic}, EMA", t_ours),
            ("reference: plain SRGAN-style step (BCE, no GP)", t_ref)]
    print(f"| {'step':<48} | s/step | HR patches/s |")
    print(f"|{'-' * 50}|--------|--------------|")
    for label, t in rows:
        print(f"| {label:<48} | {t / steps:6.3f} | {steps * config.batch_size / t:12.1f} |")
    print(f"(ours draws {per_step_ours} patches per generator step: n_critic critic batches "
          f"+ 1 generator batch; the reference reuses one batch for both updates; "
          f"ours / reference time = {t_ours / t_ref:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="A finished default run to report (default: train one now).")
    parser.add_argument("--speed-steps", type=int, default=20)
    args = parser.parse_args()
    run_dir = args.run_dir
    if run_dir is None:
        run_dir = Path("runs") / f"bench-superres-{time.strftime('%Y%m%d-%H%M%S')}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wgan_cli", "run", "superres", "--out",
                        str(run_dir)], check=True)
        print(f"`wgan run superres` wall time including start-up: "
              f"{time.perf_counter() - start:.0f} s")
    config = build_config(SuperResConfig, {})
    quality_table(run_dir)
    throughput_table(config, args.speed_steps)


if __name__ == "__main__":
    main()

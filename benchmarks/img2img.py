"""img2img quality and speed: the default run against pix2pix's own recipe, one markdown table.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/img2img.py [--out DIR] [options of the run]

Rows, all on the held-out photos at full size (tiled), same networks, same crops and steps:

- L1-only: the default run's L1 phase (``--pretrain-steps``);
- WGAN-GP: the default run (``wgan run img2img``), L1 phase then λ L1 + Wasserstein loss;
- WGAN-GP + condition penalty: the same adversarial phase with ``--condition-penalty W``;
- pix2pix (BCE): pix2pix's loss on the same networks from the same L1 weights: a binary
  cross-entropy PatchGAN (the critic's patch map as logits), λ = 100, Adam 2e-4, β = (0.5, 0.999),
  the same number of steps and the same generator EMA for evaluation (a small hand loop).

The wall time of the default run is printed too (the target: at most 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import wgan
from wgan_core.checkpoint import load_checkpoint, load_sampling_generator
from wgan_core.config import build_config
from wgan_core.trainer import Trainer
from wgan_plugins.img2img.config import Img2ImgConfig
from wgan_plugins.img2img.data import PairSource, load_pairs
from wgan_plugins.img2img.models import PatchCritic, UNetGenerator
from wgan_plugins.img2img.plugin import (evaluate, l1_loss, make_constraint, make_generator,
                                         phases)


def pix2pix_reference(config: Img2ImgConfig, l1_model: UNetGenerator, source: PairSource
                      ) -> tuple[UNetGenerator, float]:
    """pix2pix's objective on our networks: G minimises BCE(D(x, G(x)), 1) + λ L1, D minimises
    BCE(D(x, y), 1) + BCE(D(x, G(x)), 0), one D step per G step. Returns the EMA generator
    and the training patches per second."""
    torch.manual_seed(config.seed + 1)
    g = make_generator(config)
    g.load_state_dict(l1_model.state_dict())
    g.train()
    d = PatchCritic(config.critic_channels)
    ema = copy.deepcopy(g).eval()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(config.seed + 1)
    bce = F.binary_cross_entropy_with_logits
    started = time.perf_counter()
    for step in range(config.steps):
        batch = source(config.batch_size, rng)
        fake = g(batch.gen_input)
        real_map = d.patch_map(batch.real, batch.cond)
        fake_map = d.patch_map(fake.detach(), batch.cond)
        loss_d = 0.5 * (bce(real_map, torch.ones_like(real_map))
                        + bce(fake_map, torch.zeros_like(fake_map)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        fake_map = d.patch_map(fake, batch.cond)
        loss_g = (bce(fake_map, torch.ones_like(fake_map))
                  + config.l1_weight * F.l1_loss(fake, batch.real))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)
        with torch.no_grad():  # the same EMA (with warm-up) the core Trainer keeps
            decay = min(config.ema_decay, (1.0 + step) / (10.0 + step))
            for e, p in zip(ema.parameters(), g.parameters()):
                e.lerp_(p, 1.0 - decay)
    return ema, config.steps * config.batch_size / (time.perf_counter() - started)


def condition_penalty_run(config: Img2ImgConfig, weight: float, l1_model: UNetGenerator,
                          source: PairSource, run_dir: Path) -> tuple[UNetGenerator, float]:
    """The default adversarial phase with ``--condition-penalty weight``, from the same L1 model."""
    cfg = replace(config, condition_penalty=weight)
    torch.manual_seed(cfg.seed + 1)
    g = make_generator(cfg)
    g.load_state_dict(l1_model.state_dict())
    started = time.perf_counter()
    trainer = Trainer(g, PatchCritic(cfg.critic_channels), source, cfg,
                      phase=phases(cfg)[1], constraint=make_constraint(cfg), run_dir=run_dir,
                      extra_loss=l1_loss(cfg.l1_weight), adversarial_weight=cfg.adv_weight,
                      device="cpu").fit()
    return trainer.sampling_generator.eval(), cfg.steps * cfg.batch_size / (
        time.perf_counter() - started)


def row(name: str, m: dict[str, Any], key: str, rate: float) -> str:
    return (f"| {name} | {m[f'l1_error_{key}']:.4f} | {m[f'psnr_{key}']:.2f} | "
            f"{m[f'ssim_{key}']:.3f} | {m[f'swd_{key}']:.1f} | {m[f'swd_paired_{key}']:.1f} | "
            f"{m[f'hf_ratio_{key}']:.2f} | "
            f"{rate:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Folder for the runs.")
    parser.add_argument("--condition-penalty", type=float, default=1.0)
    parser.add_argument("option", nargs="*", help="key=value options of the run (TOML values)")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    for item in args.option:
        key, value = item.split("=", 1)
        options[key] = json.loads(value) if value[:1] in "0123456789-[{\"tf" else value
    out = args.out or Path(tempfile.mkdtemp(prefix="img2img-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    result = wgan.run("img2img", out=out / "default", quiet=True, device="cpu", **options)
    wall_default = time.perf_counter() - started
    m = result.metrics
    config = build_config(Img2ImgConfig, {**options, "device": "cpu"})
    train, test = load_pairs(config, warn=lambda msg: print(msg, file=sys.stderr))
    source = PairSource(train, config.crop_size)
    ckpt = load_checkpoint(out / "default" / "checkpoints" / "pretrain.pt")
    l1_model = load_sampling_generator(make_generator(config), ckpt)

    started = time.perf_counter()
    cond_model, cond_rate = condition_penalty_run(config, args.condition_penalty, l1_model,
                                                  source, out / "condition")
    m_cond, _ = evaluate(test, l1_model, cond_model, config, out / "condition")
    wall_cond = time.perf_counter() - started

    started = time.perf_counter()
    ref_model, ref_rate = pix2pix_reference(config, l1_model, source)
    (out / "pix2pix").mkdir(exist_ok=True)
    m_ref, _ = evaluate(test, l1_model, ref_model, config, out / "pix2pix")
    wall_ref = time.perf_counter() - started
    json.dump({"default": m, "condition": m_cond, "pix2pix": m_ref},
              open(out / "benchmark.json", "w"), indent=1, default=float)

    print(f"\nimg2img, task {config.task}: {config.pretrain_steps} L1 steps + {config.steps} "
          f"adversarial steps, batch {config.batch_size}, {config.crop_size}-px crops; "
          f"held-out {', '.join(p.name for p in test)} at full size\n")
    print("| model | L1 | PSNR (dB) | SSIM | SWD ×10³ (ProGAN) | SWD paired ×10³ | HF ratio | "
          "training patches/s |")
    print("|---|---|---|---|---|---|---|---|")
    print(row("L1-only", m, "l1", m["patches_per_second_pretrain"]))
    print(row(f"WGAN-GP (default, adv-weight {config.adv_weight:g})", m, "adv",
              m["patches_per_second_adversarial"]))
    print(row(f"WGAN-GP + condition penalty {args.condition_penalty:g}", m_cond, "adv",
              cond_rate))
    print(row("pix2pix reference (BCE PatchGAN, λ = 100)", m_ref, "adv", ref_rate))
    for swd in ("swd", "swd_paired"):
        print(f"\n{swd} per level (finest first), WGAN-GP: "
              f"{', '.join(f'{v:.1f}' for v in m[f'{swd}_levels_adv'])}; L1-only: "
              f"{', '.join(f'{v:.1f}' for v in m[f'{swd}_levels_l1'])}")
    print(f"wall time: default run {wall_default:.0f} s; condition-penalty phase + evaluation "
          f"{wall_cond:.0f} s; pix2pix phase + evaluation {wall_ref:.0f} s; runs in {out}")


if __name__ == "__main__":
    main()

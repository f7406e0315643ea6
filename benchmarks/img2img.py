"""img2img quality and speed: the default run against pix2pix's own recipe, one markdown table.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/img2img.py [--seeds 0 1 2] [--out DIR]
        [--condition-penalty W] [key=value options of the run]

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
from wgan_plugins.img2img.models import UNetGenerator
from wgan_plugins.img2img.plugin import (evaluate, l1_loss, make_constraint, make_critic,
                                         make_generator, phases)


def pix2pix_reference(config: Img2ImgConfig, l1_model: UNetGenerator, source: PairSource
                      ) -> tuple[UNetGenerator, float]:
    """pix2pix's objective on our networks: G minimises BCE(D(x, G(x)), 1) + λ L1, D minimises
    BCE(D(x, y), 1) + BCE(D(x, G(x)), 0), one D step per G step. Returns the EMA generator
    and the training patches per second."""
    torch.manual_seed(config.seed + 1)
    g = make_generator(config)
    g.load_state_dict(l1_model.state_dict())
    g.train()
    d = make_critic(config)
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
    trainer = Trainer(g, make_critic(cfg), source, cfg,
                      phase=phases(cfg)[1], constraint=make_constraint(cfg), run_dir=run_dir,
                      extra_loss=l1_loss(cfg.l1_weight), adversarial_weight=cfg.adv_weight,
                      device="cpu").fit()
    return trainer.sampling_generator.eval(), cfg.steps * cfg.batch_size / (
        time.perf_counter() - started)


METRICS = (("l1_error", "L1", 4), ("psnr", "PSNR (dB)", 2), ("ssim", "SSIM", 3),
           ("swd", "SWD ×10³ (ProGAN)", 1), ("swd_paired", "SWD paired ×10³", 1),
           ("hf_ratio", "HF ratio", 2))


def cell(values: list[float], digits: int) -> str:
    """One value, or the mean ± the sample standard deviation over seeds."""
    t = torch.tensor(values, dtype=torch.float64)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{t.mean():.{digits}f} ± {t.std():.{digits}f}"


def measure(options: dict[str, Any], seed: int, out: Path, condition_penalty: float
            ) -> tuple[dict[str, tuple[dict[str, Any], str, float]], dict[str, float]]:
    """Every row of one seed: {row name: (metrics, key, training patches/s)} and wall times."""
    started = time.perf_counter()
    result = wgan.run("img2img", out=out / "default", quiet=True, device="cpu",
                      **{**options, "seed": seed})
    walls = {"default run": time.perf_counter() - started}
    m = result.metrics
    config = build_config(Img2ImgConfig, {**options, "seed": seed, "device": "cpu"})
    train, test = load_pairs(config, warn=lambda msg: print(msg, file=sys.stderr))
    source = PairSource(train, config.crop_size)
    ckpt = load_checkpoint(out / "default" / "checkpoints" / "pretrain.pt")
    l1_model = load_sampling_generator(make_generator(config), ckpt)
    rows = {"L1-only": (m, "l1", m["patches_per_second_pretrain"]),
            f"WGAN-GP (default, adv-weight {config.adv_weight:g})":
                (m, "adv", m["patches_per_second_adversarial"])}
    if condition_penalty > 0:
        started = time.perf_counter()
        cond_model, cond_rate = condition_penalty_run(config, condition_penalty, l1_model,
                                                      source, out / "condition")
        m_cond, _ = evaluate(test, l1_model, cond_model, config, out / "condition")
        rows[f"WGAN-GP + condition penalty {condition_penalty:g}"] = (m_cond, "adv", cond_rate)
        walls["condition-penalty phase + evaluation"] = time.perf_counter() - started
    started = time.perf_counter()
    ref_model, ref_rate = pix2pix_reference(config, l1_model, source)
    (out / "pix2pix").mkdir(exist_ok=True)
    m_ref, _ = evaluate(test, l1_model, ref_model, config, out / "pix2pix")
    rows["pix2pix reference (BCE PatchGAN, λ = 100)"] = (m_ref, "adv", ref_rate)
    walls["pix2pix phase + evaluation"] = time.perf_counter() - started
    json.dump({name: metrics for name, (metrics, _, _) in rows.items()},
              open(out / "benchmark.json", "w"), indent=1, default=float)
    return rows, walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Folder for the runs.")
    parser.add_argument("--condition-penalty", type=float, default=1.0,
                        help="Weight of the condition-penalty row (0: skip that row).")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="Seeds to run; with several, each cell is mean ± std over them.")
    parser.add_argument("option", nargs="*", help="key=value options of the run (TOML values)")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    for item in args.option:
        key, value = item.split("=", 1)
        try:  # a TOML/JSON value (number, true, "text"), else the bare word as text
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    out = args.out or Path(tempfile.mkdtemp(prefix="img2img-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    per_seed = []
    for seed in args.seeds:
        rows, walls = measure(options, seed, out / f"seed{seed}", args.condition_penalty)
        per_seed.append(rows)
        print(f"seed {seed}: " + "; ".join(f"{k} {v:.0f} s" for k, v in walls.items()),
              flush=True)

    config = build_config(Img2ImgConfig, {**options, "device": "cpu"})
    print(f"\nimg2img, task {config.task}, upsample {config.upsample}: {config.pretrain_steps} "
          f"L1 steps + {config.steps} adversarial steps, batch {config.batch_size}, "
          f"{config.crop_size}-px crops; held-out photos at full size; seeds "
          f"{' '.join(map(str, args.seeds))}" + (" (mean ± std)" if len(args.seeds) > 1 else "")
          + "\n")
    print("| model | " + " | ".join(title for _, title, _ in METRICS)
          + " | training patches/s |")
    print("|---|" + "---|" * (len(METRICS) + 1))
    for name in per_seed[0]:
        cells = [cell([float(rows[name][0][f"{metric}_{rows[name][1]}"]) for rows in per_seed],
                      digits) for metric, _, digits in METRICS]
        rate = sum(rows[name][2] for rows in per_seed) / len(per_seed)
        print(f"| {name} | " + " | ".join(cells) + f" | {rate:.0f} |")
    # What the critic changes, seed by seed: the relative SWD change and the PSNR cost.
    adv = next(n for n in per_seed[0] if n.startswith("WGAN-GP (default"))
    for swd in ("swd", "swd_paired"):
        gains = [100 * (rows[adv][0][f"{swd}_adv"] / rows["L1-only"][0][f"{swd}_l1"] - 1)
                 for rows in per_seed]
        print(f"\n{swd}: WGAN-GP against L1-only, per seed: "
              f"{', '.join(f'{g:+.1f} %' for g in gains)}")
    costs = [rows["L1-only"][0]["psnr_l1"] - rows[adv][0]["psnr_adv"] for rows in per_seed]
    print(f"PSNR cost of the critic, per seed: {', '.join(f'{c:.2f} dB' for c in costs)}")
    print(f"runs in {out}")


if __name__ == "__main__":
    main()

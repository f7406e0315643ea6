"""Benchmark of training precision (not a test): superres and img2img at 32 and bf16-mixed.

1. Speed: samples per second of each plugin's default training step (the pixel-loss phase's
   generator step and the adversarial phase's critic + generator step, default configs), at
   32 and bf16-mixed, interleaved (32, bf16, 32, bf16, ...) so that a machine shared with other
   work slows both alike; the ratio is bf16 over 32 from the medians of one run. Each
   measurement runs in a fresh process, so its peak memory is its own: peak resident set size
   while training minus the resident set size before the first step (``resource.getrusage``
   ``ru_maxrss``, and ``/proc/self/statm`` for the baseline). tracemalloc would miss torch's
   tensors, which are not allocated through Python.
2. Quality: the default ``wgan run superres`` / ``wgan run img2img`` (shorter with ``--steps``
   and ``--pretrain-steps``) at 32 and bf16-mixed over ``--seeds``: superres's held-out PSNR-Y
   of the adversarial model, img2img's held-out SWD of the adversarial model. Evaluation runs
   in float32 in both cases: only training differs.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/precision.py                        # everything
    OMP_NUM_THREADS=1 python benchmarks/precision.py --skip-quality --speed-steps 5 --repeats 3
    OMP_NUM_THREADS=1 python benchmarks/precision.py --skip-speed --seeds 0 1 2 \\
        --pretrain-steps 300 --steps 60
    OMP_NUM_THREADS=1 python benchmarks/precision.py --skip-quality --channels-last  # NHWC

Targets of the feature: bf16-mixed at least 1.6x faster, PSNR-Y within 0.1 dB and SWD within
5 % of float32. bf16 is fast only where the hardware computes it natively (the first line says
whether this machine does: ``wgan_core.precision.native_bf16``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGINS = ("superres", "img2img")
PRECISIONS = ("32", "bf16-mixed")


# ---------------------------------------------------------------------- one measurement

def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def measure(plugin: str, phase_name: str, precision: str, steps: int,
            channels_last: bool = False) -> dict[str, float]:
    """Samples/s and peak memory of ``steps`` training steps of one phase (in this process);
    ``channels_last``: networks and batches in the NHWC memory format."""
    import torch

    from wgan_core.config import build_config
    from wgan_core.trainer import Trainer

    torch.manual_seed(0)
    if plugin == "superres":
        from wgan_plugins.superres import plugin as P
        from wgan_plugins.superres.data import PatchSource, default_photos
        from wgan_plugins.superres.models import SRCritic

        config = build_config(P.SuperResConfig, {"precision": precision, "device": "cpu"})
        train, _ = default_photos()
        source = PatchSource(train, config.patch_size, config.scale)
        phase = {p.name: p for p in P.phases(config)}[phase_name]
        critic = (SRCritic(config.critic_channels,
                           highpass_scale=config.scale if config.critic_highpass else 0)
                  if phase.adversarial else None)
        trainer = Trainer(P.make_generator(config), critic, source, config, phase=phase,
                          extra_loss=P.l1_loss, adversarial_weight=config.adv_weight,
                          device="cpu")
    else:
        from wgan_plugins.img2img import plugin as P
        from wgan_plugins.img2img.data import PairSource, load_pairs
        from wgan_plugins.img2img.models import PatchCritic

        config = build_config(P.Img2ImgConfig, {"precision": precision, "device": "cpu"})
        train, _ = load_pairs(config, warn=lambda m: None)
        source = PairSource(train, config.crop_size)
        phase = {p.name: p for p in P.phases(config)}[phase_name]
        critic = PatchCritic(config.critic_channels) if phase.adversarial else None
        trainer = Trainer(P.make_generator(config), critic, source, config, phase=phase,
                          constraint=P.make_constraint(config) if critic is not None else None,
                          extra_loss=P.l1_loss(config.l1_weight),
                          adversarial_weight=config.adv_weight, device="cpu")
    if channels_last:
        from wgan_core import tensors as T

        cl = torch.channels_last
        for module in (trainer.generator, trainer.critic, trainer.ema):
            if module is not None:
                module.to(memory_format=cl)

        def nhwc(x):
            return T.apply(lambda t: t.contiguous(memory_format=cl) if t.dim() == 4 else t, x)

        draw = trainer.data
        trainer.data = lambda n, g: _nhwc_batch(draw(n, g), nhwc)
    baseline = _rss_kib()
    trainer.train_steps(2)  # warm-up (oneDNN picks its kernels on first use)
    started = time.perf_counter()
    trainer.train_steps(steps)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    per_step = config.batch_size * ((config.n_critic if critic is not None else 0) + 1)
    return {"samples_per_s": steps * per_step / seconds, "peak_mib": (peak - baseline) / 1024}


def _nhwc_batch(batch, nhwc):
    from dataclasses import replace

    return replace(batch, real=nhwc(batch.real),
                   gen_input=None if batch.gen_input is None else nhwc(batch.gen_input),
                   cond=None if batch.cond is None else nhwc(batch.cond))


def measure_in_subprocess(plugin: str, phase: str, precision: str, steps: int) -> dict:
    """``precision`` may end in ``+cl``: that precision with channels_last."""
    out = subprocess.run([sys.executable, __file__, "--measure", plugin, phase, precision,
                          str(steps)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- tables

def speed_table(steps: int, repeats: int, variants: tuple[str, str] = PRECISIONS) -> None:
    """``variants``: the two settings compared (a precision, or ``32+cl``: float32 with
    channels_last), the second against the first."""
    import torch

    a, b = variants
    print(f"\n## Speed: {steps} steps a measurement, {repeats} interleaved repeats, "
          f"{torch.get_num_threads()} thread(s); median samples/s\n")
    print(f"| plugin | phase | samples/s {a} | samples/s {b} | {b} / {a} | "
          f"peak MiB {a} | peak MiB {b} |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for plugin in PLUGINS:
        for phase in ("pretrain", "adversarial"):
            runs: dict[str, list[dict]] = {v: [] for v in variants}
            for _ in range(repeats):
                for variant in variants:  # interleaved: a, b, a, b, ...
                    runs[variant].append(measure_in_subprocess(plugin, phase, variant, steps))
            rate = {v: statistics.median(r["samples_per_s"] for r in runs[v]) for v in runs}
            mem = {v: statistics.median(r["peak_mib"] for r in runs[v]) for v in runs}
            every = " / ".join(f"{r['samples_per_s']:.1f}" for v in variants for r in runs[v])
            print(f"| {plugin} | {phase} | {rate[a]:.1f} | {rate[b]:.1f} | "
                  f"{rate[b] / rate[a]:.2f}x | {mem[a]:.0f} | {mem[b]:.0f} |", flush=True)
            print(f"<!-- {plugin} {phase} every measurement ({a} ..., {b} ...): {every} -->",
                  flush=True)


def quality_table(seeds: list[int], steps: int | None, pretrain_steps: int | None) -> None:
    import torch

    from wgan import registry
    from wgan_core.runs import execute

    print(f"\n## Quality: seeds {seeds}, steps {steps or 'default'}, pretrain steps "
          f"{pretrain_steps or 'default'}, {torch.get_num_threads()} thread(s)\n")
    print("| plugin | metric | 32 (mean ± sd) | bf16-mixed (mean ± sd) | bf16 − 32 | "
          "train s 32 | train s bf16 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for plugin, key in (("superres", "psnr_sr"), ("img2img", "swd_adv")):
        values: dict[str, list[float]] = {p: [] for p in PRECISIONS}
        seconds: dict[str, list[float]] = {p: [] for p in PRECISIONS}
        for seed in seeds:
            for precision in PRECISIONS:
                options = {"seed": seed, "precision": precision, "device": "cpu"}
                if steps is not None:
                    options["steps"] = steps
                if pretrain_steps is not None:
                    options["pretrain_steps"] = pretrain_steps
                with tempfile.TemporaryDirectory() as tmp:
                    result = execute(registry.get(plugin), options, out=Path(tmp) / "run",
                                     progress=False, echo=lambda m: None)
                values[precision].append(float(result.metrics[key]))
                seconds[precision].append(result.metrics["seconds_pretrain"]
                                          + result.metrics["seconds_adversarial"])
                print(f"<!-- {plugin} seed {seed} {precision}: {key} "
                      f"{values[precision][-1]:.4f}, {seconds[precision][-1]:.0f} s -->",
                      flush=True)

        def stat(xs: list[float]) -> str:
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            return f"{statistics.mean(xs):.3f} ± {sd:.3f}"

        diff = statistics.mean(values["bf16-mixed"]) - statistics.mean(values["32"])
        rel = diff / statistics.mean(values["32"]) * 100
        label = "PSNR-Y dB (adversarial)" if plugin == "superres" else "SWD (adversarial)"
        print(f"| {plugin} | {label} | {stat(values['32'])} | {stat(values['bf16-mixed'])} | "
              f"{diff:+.3f} ({rel:+.1f} %) | {statistics.mean(seconds['32']):.0f} | "
              f"{statistics.mean(seconds['bf16-mixed']):.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed-steps", type=int, default=10,
                        help="training steps a speed measurement times (after 2 warm-up)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved speed repeats")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None,
                        help="adversarial steps of the quality runs (default: the plugins')")
    parser.add_argument("--pretrain-steps", type=int, default=None,
                        help="pixel-loss steps of the quality runs (default: the plugins')")
    parser.add_argument("--channels-last", action="store_true",
                        help="speed part: float32 against float32 with channels_last")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--measure", nargs=4, metavar=("PLUGIN", "PHASE", "PRECISION", "STEPS"),
                        help=argparse.SUPPRESS)  # one measurement, in a fresh process
    args = parser.parse_args()
    if args.measure:
        plugin, phase, variant, steps = args.measure
        precision, _, layout = variant.partition("+")
        print(json.dumps(measure(plugin, phase, precision, int(steps), layout == "cl")))
        return
    import torch

    from wgan_core.precision import native_bf16

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}, native bf16: {native_bf16('cpu')}")
    if not args.skip_speed:
        speed_table(args.speed_steps, args.repeats,
                    ("32", "32+cl") if args.channels_last else PRECISIONS)
    if not args.skip_quality:
        quality_table(args.seeds, args.steps, args.pretrain_steps)


if __name__ == "__main__":
    main()

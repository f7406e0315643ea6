"""Benchmark of training precision (not a test): superres and img2img at 32 and bf16-mixed.

1. Speed: samples per second of each plugin's default training step (the pixel-loss phase's
   generator step and the adversarial phase's critic + generator step, default configs), at
   32 and bf16-mixed (networks and batches in the plugins' own layout, channels_last), or
   with ``--channels-last`` float32 in NCHW against channels_last. Both trainers live in one process and their steps alternate one by one
   (32, bf16, 32, bf16, ...), so that a machine shared with other work slows both alike;
   samples/s comes from each setting's median step, the ratio from one run. Peak memory is
   measured in a fresh process per setting (3 steps), so the peak is its own: peak resident set
   size while training (``resource.getrusage`` ``ru_maxrss``, the peak reset first through
   ``/proc/self/clear_refs``) minus the resident set size before the first step
   (``/proc/self/statm``). tracemalloc
   would miss torch's tensors, which are not allocated through Python.
2. Quality: the default ``wgan run superres`` / ``wgan run img2img`` (shorter with ``--steps``
   and ``--pretrain-steps``) at 32 and bf16-mixed over ``--seeds``: superres's held-out PSNR-Y
   of the adversarial model, img2img's held-out SWD of the adversarial model. Evaluation runs
   in float32 in both cases: only training differs.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/precision.py                        # everything
    OMP_NUM_THREADS=1 python benchmarks/precision.py --skip-quality --speed-steps 10
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
from dataclasses import replace
from pathlib import Path
from typing import Any

PLUGINS = ("superres", "img2img")
PRECISIONS = ("32", "bf16-mixed")


# ---------------------------------------------------------------------- one measurement

def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def build(plugin: str, phase_name: str, variant: str) -> tuple[Any, int]:
    """The Trainer of one phase of a plugin's default training in a setting (a precision, or
    ``32+cl``: float32 with networks and batches in the channels_last memory format) and the
    samples one of its steps trains on."""
    import torch

    from wgan_core.config import build_config
    from wgan_core.trainer import Trainer

    precision, _, layout = variant.partition("+")
    torch.manual_seed(0)
    if plugin == "superres":
        from wgan_plugins.superres import plugin as P
        from wgan_plugins.superres.data import PatchSource, default_photos

        config = build_config(P.SuperResConfig, {"precision": precision, "device": "cpu"})
        train, _ = default_photos()
        source = PatchSource(train, config.patch_size, config.scale,
                             memory_format=P.MEMORY_FORMAT)
        phase = {p.name: p for p in P.phases(config)}[phase_name]
        critic = P.make_critic(config) if phase.adversarial else None
        trainer = Trainer(P.make_generator(config), critic, source, config, phase=phase,
                          extra_loss=P.l1_loss, adversarial_weight=config.adv_weight,
                          device="cpu")
    else:
        from wgan_plugins.img2img import plugin as P
        from wgan_plugins.img2img.data import PairSource, load_pairs

        config = build_config(P.Img2ImgConfig, {"precision": precision, "device": "cpu"})
        train, _ = load_pairs(config, warn=lambda m: None)
        source = PairSource(train, config.crop_size, memory_format=P.MEMORY_FORMAT)
        phase = {p.name: p for p in P.phases(config)}[phase_name]
        critic = P.make_critic(config) if phase.adversarial else None
        trainer = Trainer(P.make_generator(config), critic, source, config, phase=phase,
                          constraint=P.make_constraint(config) if critic is not None else None,
                          extra_loss=P.l1_loss(config.l1_weight),
                          adversarial_weight=config.adv_weight, device="cpu")
    if layout:  # "cl" or "nchw": this layout, whatever the plugin's own
        fmt = torch.channels_last if layout == "cl" else torch.contiguous_format
        for module in (trainer.generator, trainer.critic, trainer.ema):
            if module is not None:
                module.to(memory_format=fmt)
        draw = trainer.data
        trainer.data = lambda n, g: _with_layout(draw(n, g), fmt)
    return trainer, config.batch_size * ((config.n_critic if critic is not None else 0) + 1)


def _with_layout(batch: Any, fmt: Any) -> Any:
    from wgan_core import tensors as T

    def laid(x: Any) -> Any:
        return T.apply(lambda t: t.contiguous(memory_format=fmt) if t.dim() == 4 else t, x)

    return replace(batch, real=laid(batch.real),
                   gen_input=None if batch.gen_input is None else laid(batch.gen_input),
                   cond=None if batch.cond is None else laid(batch.cond))


def memory(plugin: str, phase: str, variant: str, steps: int) -> dict[str, float]:
    """Peak RSS of ``steps`` training steps over the RSS before them, in a fresh process. The
    peak is reset to the current RSS first (Linux: ``/proc/self/clear_refs``), so loading the
    data before training does not count; then ``ru_maxrss`` is the training's peak."""
    trainer, _ = build(plugin, phase, variant)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the peak RSS ("high water mark") to the current RSS
    baseline = _rss_kib()
    trainer.train_steps(steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"peak_mib": (peak - baseline) / 1024}


def alternate(plugin: str, phase: str, variants: list[str], steps: int) -> dict[str, list]:
    """Seconds of each training step of every setting, the settings' steps alternated one by
    one (a, b, a, b, ...) in one process: load from other work hits all of them alike."""
    trainers = [build(plugin, phase, v)[0] for v in variants]
    for trainer in trainers:
        trainer.train_steps(2)  # warm-up (oneDNN picks its kernels on first use)
    times: dict[str, list] = {v: [] for v in variants}
    for _ in range(steps):
        for variant, trainer in zip(variants, trainers):
            started = time.perf_counter()
            trainer.train_steps(1)
            times[variant].append(time.perf_counter() - started)
    return times


def in_subprocess(*args: str) -> Any:
    out = subprocess.run([sys.executable, __file__, "--measure", *args], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- tables

def speed_table(steps: int, variants: tuple[str, str] = PRECISIONS) -> None:
    """``variants``: the two settings compared (a precision, or ``32+cl``), the second
    against the first."""
    import torch

    a, b = variants
    print(f"\n## Speed: {steps} alternated steps per setting, {torch.get_num_threads()} "
          f"thread(s); samples/s from the median step; peak RSS over 3 steps\n")
    print(f"| plugin | phase | samples/s {a} | samples/s {b} | {b} / {a} | "
          f"peak MiB {a} | peak MiB {b} |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for plugin in PLUGINS:
        for phase in ("pretrain", "adversarial"):
            times = in_subprocess("alternate", plugin, phase, f"{a},{b}", str(steps))
            per_step = in_subprocess("samples", plugin, phase)["samples"]
            rate = {v: per_step / statistics.median(times[v]) for v in variants}
            mem = {v: in_subprocess("memory", plugin, phase, v, "3")["peak_mib"]
                   for v in variants}
            print(f"| {plugin} | {phase} | {rate[a]:.1f} | {rate[b]:.1f} | "
                  f"{rate[b] / rate[a]:.2f}x | {mem[a]:.0f} | {mem[b]:.0f} |", flush=True)
            quartiles = {v: statistics.quantiles(times[v], n=4) if len(times[v]) > 1 else
                         times[v] * 3 for v in variants}
            print(f"<!-- {plugin} {phase} seconds/step quartiles: " + "; ".join(
                f"{v} " + " / ".join(f"{q:.3f}" for q in quartiles[v]) for v in variants)
                + " -->", flush=True)


def quality_table(seeds: list[int], steps: int | None, pretrain_steps: int | None,
                  plugins: tuple[str, ...] = PLUGINS) -> None:
    import torch

    from wgan import registry
    from wgan_core.runs import execute

    print(f"\n## Quality: seeds {seeds}, steps {steps or 'default'}, pretrain steps "
          f"{pretrain_steps or 'default'}, {torch.get_num_threads()} thread(s)\n")
    print("| plugin | metric | 32 (mean ± sd) | bf16-mixed (mean ± sd) | bf16 − 32 | "
          "train s 32 | train s bf16 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    keys = {"superres": "psnr_sr", "img2img": "swd_adv"}
    for plugin, key in ((p, keys[p]) for p in plugins):
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
    parser.add_argument("--speed-steps", type=int, default=20,
                        help="timed training steps per setting (alternated, after 2 warm-up)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None,
                        help="adversarial steps of the quality runs (default: the plugins')")
    parser.add_argument("--pretrain-steps", type=int, default=None,
                        help="pixel-loss steps of the quality runs (default: the plugins')")
    parser.add_argument("--channels-last", action="store_true",
                        help="speed part: float32 in NCHW against float32 in channels_last")
    parser.add_argument("--plugins", nargs="+", default=list(PLUGINS), choices=PLUGINS,
                        help="plugins of the quality part")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)  # in a fresh process
    args = parser.parse_args()
    if args.measure:
        kind, plugin, phase, *rest = args.measure
        if kind == "alternate":
            result: Any = alternate(plugin, phase, rest[0].split(","), int(rest[1]))
        elif kind == "memory":
            result = memory(plugin, phase, rest[0], int(rest[1]))
        else:
            result = {"samples": build(plugin, phase, "32")[1]}
        print(json.dumps(result))
        return
    import torch

    from wgan_core.precision import native_bf16

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}, native bf16: {native_bf16('cpu')}")
    if not args.skip_speed:
        speed_table(args.speed_steps,
                    ("32+nchw", "32+cl") if args.channels_last else PRECISIONS)
    if not args.skip_quality:
        quality_table(args.seeds, args.steps, args.pretrain_steps, tuple(args.plugins))


if __name__ == "__main__":
    main()

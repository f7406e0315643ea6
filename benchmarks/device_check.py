"""One command that exercises the GPU path (not a test): every built-in plugin's default
networks trained through the core Trainer for a fixed number of steps at 32 and bf16-mixed,
under the gradient penalty and under spectral normalization.

Prints, per plugin and precision: samples per second (gp), peak device memory (CUDA's
``max_memory_allocated``; not measured on a CPU, where one process's peak never goes down) and
the GP-step / SN-step time ratio (what the penalty's double backward costs over a
spectrally normalised critic). Batches are random tensors of each plugin's shapes (graphgen's
are its built-in graphs): this checks the compute path, not the data.

Usage::

    python benchmarks/device_check.py                    # on a CUDA machine: default models
    python benchmarks/device_check.py --steps 50
    OMP_NUM_THREADS=1 python benchmarks/device_check.py --quick   # tiny models, CPU, seconds

``--quick`` uses each plugin's ``smoke_overrides`` (the contract tests' tiny models) and 2
steps; bf16-mixed is left out where torch cannot compute bf16 on the device.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from typing import Any, Callable

import torch

PLUGINS = ("toy", "superres", "img2img", "graphgen", "federated", "fairness")


def _config(name: str, quick: bool, device: str) -> Any:
    from wgan import registry
    from wgan_core.config import build_config

    plugin = registry.get(name)
    options = dict(plugin.smoke_overrides) if quick else {}
    options.pop("steps", None)
    options.pop("rounds", None)
    options["device"] = device
    return build_config(plugin.config_class, options)


def _models_and_source(name: str, config: Any) -> tuple[Any, Any, Callable, dict[str, Any]]:
    """(generator, critic, data source, extra Trainer arguments) of a plugin's defaults."""
    from wgan_core.data import Batch, TensorSource

    def gaussian(dim: int) -> Callable:
        return lambda n, g: Batch(real=torch.randn(n, dim, generator=g))

    if name == "toy":
        from wgan_plugins.toy.models import build_models

        return (*build_models(config, 2), gaussian(2), {})
    if name == "federated":
        from wgan_plugins.federated.models import build_models

        return (*build_models(config, 2, 1), gaussian(2), {})
    if name == "fairness":
        from wgan_plugins.fairness.models import build_models

        return (*build_models(config, 2), gaussian(2), {})
    if name == "superres":
        from wgan_plugins.superres import plugin as P
        from wgan_plugins.superres.data import downscale
        from wgan_plugins.superres.models import SRCritic

        def patches(n: int, g: torch.Generator) -> Batch:
            hr = torch.rand(n, 3, config.patch_size, config.patch_size, generator=g)
            return Batch(real=hr, gen_input=downscale(hr, config.scale))

        critic = SRCritic(config.critic_channels,
                          highpass_scale=config.scale if config.critic_highpass else 0)
        return (P.make_generator(config), critic, patches,
                {"extra_loss": P.l1_loss, "adversarial_weight": config.adv_weight})
    if name == "img2img":
        from wgan_plugins.img2img import plugin as P
        from wgan_plugins.img2img.models import PatchCritic

        def pairs(n: int, g: torch.Generator) -> Batch:
            c = config.crop_size
            source = torch.rand(n, 3, c, c, generator=g)
            return Batch(real=torch.rand(n, 3, c, c, generator=g), gen_input=source,
                         cond=source)

        return (P.make_generator(config), PatchCritic(config.critic_channels), pairs,
                {"extra_loss": P.l1_loss(config.l1_weight),
                 "adversarial_weight": config.adv_weight})
    if name == "graphgen":
        from wgan_plugins.graphgen.data import graphs_to_tensors
        from wgan_plugins.graphgen.graphs import build_graph_models, load_graph_split

        _, train, test = load_graph_split(config)
        nodes = config.max_nodes or max(g.number_of_nodes() for g in train + test)
        return (*build_graph_models(config, nodes), TensorSource(graphs_to_tensors(train, nodes)),
                {})
    raise ValueError(f"unknown plugin '{name}'")


def time_steps(name: str, config: Any, steps: int) -> dict[str, float]:
    """Seconds per step and peak device memory of ``steps`` adversarial steps."""
    from wgan_core.phases import Phase
    from wgan_core.trainer import Trainer

    torch.manual_seed(0)
    generator, critic, source, extra = _models_and_source(name, config)
    trainer = Trainer(generator, critic, source, config,
                      phase=Phase("check", steps=steps + 1, lr_g=config.lr_g, lr_c=config.lr_c),
                      **extra)
    cuda = trainer.device.type == "cuda"
    trainer.train_steps(1)  # warm-up: kernels chosen, memory pools filled
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    stats = trainer.train_steps(steps)
    if cuda:
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - started) / steps
    if not all(math.isfinite(v) for v in stats.values()):
        raise RuntimeError(f"{name}: non-finite losses {stats}")
    samples = config.batch_size * (config.n_critic + 1)
    return {"seconds": seconds, "samples_per_s": samples / seconds,
            "peak_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else math.nan}


def check(quick: bool = False, steps: int | None = None, plugins: tuple[str, ...] = PLUGINS,
          echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run the check and print its table; returns one row per plugin and precision."""
    from wgan_core.precision import bf16_available, native_bf16

    device = "cuda" if torch.cuda.is_available() else "cpu"
    steps = steps if steps is not None else (2 if quick else 20)
    precisions = ["32"] + (["bf16-mixed"] if bf16_available(device) else [])
    where = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    echo(f"device {device} ({where}), native bf16 {native_bf16(device)}, torch "
         f"{torch.__version__}, {torch.get_num_threads()} thread(s), {steps} steps, "
         f"{'tiny (smoke) models' if quick else 'default models'}")
    echo("\n| plugin | precision | samples/s (gp) | peak MiB | GP step / SN step |")
    echo("|---|---|---:|---:|---:|")
    rows = []
    for name in plugins:
        base = _config(name, quick, device)
        for precision in precisions:
            config = replace(base, precision=precision)
            gp = time_steps(name, replace(config, constraint="gp"), steps)
            sn = time_steps(name, replace(config, constraint="sn"), steps)
            row = {"plugin": name, "precision": precision, **gp,
                   "gp_over_sn": gp["seconds"] / sn["seconds"]}
            rows.append(row)
            peak = "n/a" if math.isnan(row["peak_mib"]) else f"{row['peak_mib']:.0f}"
            echo(f"| {name} | {precision} | {row['samples_per_s']:.1f} | {peak} | "
                 f"{row['gp_over_sn']:.2f} |")
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny models (the plugins' smoke settings), 2 steps")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per measurement")
    parser.add_argument("--plugins", nargs="+", default=list(PLUGINS), choices=PLUGINS)
    args = parser.parse_args(argv)
    if not args.quick and not torch.cuda.is_available():
        print("no CUDA device: the default models run on the CPU (slow); --quick for the tiny "
              "check")
    return check(args.quick, args.steps, tuple(args.plugins))


if __name__ == "__main__":
    main()

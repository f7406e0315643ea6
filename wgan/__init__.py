"""wgan: the Python API that the ``wgan`` command wraps, with the command's semantics.

    import wgan

    result = wgan.run("toy", out="runs/ring", dataset="ring8", steps=500)
    result.metrics["modes_covered"], result.run_dir
    trained = wgan.load("runs/ring")          # its config and trained sampling generator
    points = trained.generator.sample(1000)
    wgan.sample("runs/ring", n=500, output="ring.csv")
    wgan.run("toy", resume="runs/ring", steps=1000)

Plugins are found by name through the entry-point group ``wgan.plugins`` (``wgan.registry``).
Every error a user can act on is a ``wgan_core.WganError`` with a one-line message; the
command line prints it and exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wgan_core.errors import ConfigError
from wgan_core.plugin import Plugin, RunResult
from wgan_core.runs import execute, load_run
from wgan_core.trainer import resolve_device
from wgan_core.units import in_data_units

from . import registry
from .audit import AuditResult, audit
from .registry import PluginEntry, plugin_of_run

__all__ = ["AuditResult", "LoadedRun", "PluginEntry", "apply", "audit", "load", "plugin_of_run",
           "plugins", "run", "sample"]


def plugins() -> list[PluginEntry]:
    """Every registered plugin, sorted by name, not yet imported: ``entry.plugin`` loads and
    validates one (a plugin that fails to load or validate has ``entry.error`` instead)."""
    return registry.discover()


def run(name: str, out: str | Path | None = None, config: str | Path | None = None,
        resume: str | Path | None = None, quiet: bool = False, **options: Any) -> RunResult:
    """``wgan run NAME``: train plugin ``name`` in a new folder ``out`` (default
    ``runs/NAME-TIMESTAMP``), or continue the run in ``resume``. ``config`` is a TOML file of
    options; keyword ``options`` (``steps=500``) override it. Returns the metrics and
    artifacts, with ``run_dir`` set."""
    plugin = registry.get(name)
    return execute(plugin, options, out=None if out is None else Path(out),
                   config_file=None if config is None else Path(config),
                   resume=None if resume is None else Path(resume), progress=not quiet)


@dataclass
class LoadedRun:
    """A trained run: its plugin, validated config, sampling generator (EMA weights when the
    run kept them, eval mode) and folder."""

    plugin: Plugin
    config: Any
    generator: torch.nn.Module
    run_dir: Path


def load(run_dir: str | Path, device: str = "cpu", *, plugin: Plugin | None = None
         ) -> LoadedRun:
    """The config and the trained sampling generator of a run folder. ``plugin``: the plugin
    that made it (default: the registered plugin its config.toml names)."""
    run_dir = Path(run_dir)
    plugin = plugin if plugin is not None else plugin_of_run(run_dir)
    if plugin.load_generator is None:
        raise ConfigError(f"plugin '{plugin.name}' does not hand out its generator")
    dev = resolve_device(device)
    config, checkpoint = load_run(run_dir, plugin, map_location=dev)
    generator = plugin.load_generator(run_dir, config, checkpoint)
    # The plugin builds and loads its network; the core undoes the normalization the
    # trainer stored in the checkpoint, so every plugin's samples are in the data's units.
    generator = in_data_units(generator, checkpoint).to(dev).eval()
    return LoadedRun(plugin, config, generator, run_dir)


def sample(run_dir: str | Path, n: int = 16, output: str | Path = "samples.csv",
           seed: int = 0, device: str = "auto", force: bool = False) -> list[Path]:
    """``wgan sample``: n new samples from a trained run (plugins with a latent); an existing
    output is replaced only with ``force``."""
    run_dir, output = Path(run_dir), Path(output)
    plugin = plugin_of_run(run_dir)
    if plugin.sample is None:
        hint = f"; try: wgan apply {run_dir} INPUT OUTPUT" if plugin.apply else ""
        raise ConfigError(f"plugin '{plugin.name}' has no latent to sample{hint}")
    if n < 1:
        raise ConfigError(f"-n must be at least 1, got {n}")
    if output.exists() and not force and not (output.is_dir() and not any(output.iterdir())):
        raise ConfigError(f"{output} already exists; pass --force to overwrite it")
    return plugin.sample(run_dir, n, output, seed, resolve_device(device))


def apply(run_dir: str | Path, input: str | Path, output: str | Path, device: str = "auto",
          force: bool = False) -> list[Path]:
    """``wgan apply``: map INPUT (a file or folder) to OUTPUT with a trained run; existing
    outputs are replaced only with ``force``, an input never."""
    run_dir, input, output = Path(run_dir), Path(input), Path(output)
    plugin = plugin_of_run(run_dir)
    if plugin.apply is None:
        hint = f"; try: wgan sample {run_dir} -n 16 -o OUT" if plugin.sample else ""
        raise ConfigError(f"plugin '{plugin.name}' does not map inputs to outputs{hint}")
    if not input.exists():
        raise ConfigError(f"{input}: no such file or folder")
    return plugin.apply(run_dir, input, output, resolve_device(device), overwrite=force)

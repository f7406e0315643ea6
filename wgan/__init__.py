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
from wgan_core.runs import execute, load_run, read_run_config
from wgan_core.trainer import resolve_device

from . import registry
from .registry import PluginEntry

__all__ = ["AuditResult", "LoadedRun", "PluginEntry", "apply", "audit", "load", "plugin_of_run",
           "plugins", "run", "sample"]


def plugins() -> list[PluginEntry]:
    """Every registered plugin (a plugin that failed to load carries its error)."""
    return registry.discover()


def plugin_of_run(run_dir: str | Path) -> Plugin:
    """The plugin that made a run folder."""
    name, _ = read_run_config(Path(run_dir))
    return registry.get(name)


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


def load(run_dir: str | Path, device: str = "cpu") -> LoadedRun:
    """The config and the trained sampling generator of a run folder."""
    run_dir = Path(run_dir)
    plugin = plugin_of_run(run_dir)
    if plugin.load_generator is None:
        raise ConfigError(f"plugin '{plugin.name}' does not hand out its generator")
    dev = resolve_device(device)
    config, checkpoint = load_run(run_dir, plugin, map_location=dev)
    generator = plugin.load_generator(run_dir, config, checkpoint).to(dev).eval()
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


@dataclass
class AuditResult:
    """``wgan audit``: the group-wise report (also in ``audit.json``), the thresholds that
    failed (empty: every group is served) and the files written."""

    report: dict[str, Any]
    failures: list[str]
    paths: list[Path]

    @property
    def passed(self) -> bool:
        return not self.failures


def audit(run_dir: str | Path | None = None, *, samples: str | Path | None = None,
          reference: str | Path | None = None, group_column: str | None = None,
          n: int = 10000, seed: int = 0, k: int = 5,
          min_coverage: float | None = None, max_discrepancy: float | None = None,
          target_proportions: str | None = None, out: str | Path | None = None,
          device: str = "auto") -> AuditResult:
    """``wgan audit``: group-wise metrics of a trained run (plugins offering ``audit``) or of
    any generator's samples (``samples`` and ``reference`` CSV files with a ``group_column``).

    Writes ``audit.json`` and ``audit.png`` to ``out`` (default: the run folder, or the
    samples' folder) only after every input has been checked; thresholds default to
    ``wgan_core.groups``' ``DEFAULT_MIN_COVERAGE`` / ``DEFAULT_MAX_DISCREPANCY``."""
    from wgan_core.datasets import read_points_csv
    from wgan_core.groups import (DEFAULT_MAX_DISCREPANCY, DEFAULT_MIN_COVERAGE, GroupedSamples,
                                  check_thresholds, group_report, parse_proportions,
                                  plot_report)
    from wgan_core.runs import write_json

    min_coverage = DEFAULT_MIN_COVERAGE if min_coverage is None else min_coverage
    max_discrepancy = DEFAULT_MAX_DISCREPANCY if max_discrepancy is None else max_discrepancy
    if not 0 <= min_coverage <= 1:
        raise ConfigError(f"--min-coverage must be in [0, 1], got {min_coverage}")
    if max_discrepancy < 0:
        raise ConfigError(f"--max-discrepancy must be >= 0, got {max_discrepancy}")
    if k < 1:
        raise ConfigError(f"-k must be at least 1, got {k}")
    if (run_dir is None) == (samples is None):
        raise ConfigError("give either RUN_DIR or --samples GEN.csv --reference REAL.csv")
    if run_dir is not None:
        if reference is not None or group_column is not None:
            raise ConfigError("--reference and --group-column go with --samples, not RUN_DIR")
        if n <= k:
            raise ConfigError(f"-n must be more than k={k}, got {n}")
        run_dir = Path(run_dir)
        plugin = plugin_of_run(run_dir)
        if plugin.audit is None:
            raise ConfigError(f"plugin '{plugin.name}' offers no audit (its samples fall into "
                              f"no groups it knows)")
        grouped = plugin.audit(run_dir, n, seed, resolve_device(device))
        out_dir = Path(out) if out is not None else run_dir
    else:
        if reference is None or not group_column:
            raise ConfigError("--samples needs --reference REAL.csv and --group-column NAME")
        ref = read_points_csv(Path(reference), label_column=group_column, role="group")
        gen = read_points_csv(Path(samples), label_column=group_column, role="group")
        names = list(ref.label_names)
        unknown = sorted(set(gen.label_names) - set(names))
        if unknown:
            raise ConfigError(f"{samples}: group '{unknown[0]}' is not in the reference "
                              f"{reference} (groups: {', '.join(names)})")
        if gen.dim != ref.dim:
            raise ConfigError(f"{samples}: {gen.dim} feature columns, the reference {ref.dim}")
        assert ref.labels is not None and gen.labels is not None
        remap = torch.tensor([names.index(g) for g in gen.label_names], dtype=torch.long)
        assert ref.points is not None and gen.points is not None
        grouped = GroupedSamples(ref.points, ref.labels, gen.points, remap[gen.labels], names,
                                 f"generated column '{group_column}'")
        out_dir = Path(out) if out is not None else Path(samples).parent
    if target_proportions:
        grouped.target = torch.as_tensor(parse_proportions(target_proportions,
                                                           grouped.group_names))
    report = group_report(grouped, k=k, seed=seed)
    failures = check_thresholds(report, min_coverage, max_discrepancy)
    report["thresholds"] = {"min_coverage": min_coverage, "max_discrepancy": max_discrepancy}
    report["failures"] = failures
    report["passed"] = not failures
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_json(out_dir / "audit.json", report),
             plot_report(report, out_dir / "audit.png", min_coverage)]
    return AuditResult(report, failures, paths)

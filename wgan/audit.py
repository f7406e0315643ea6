"""``wgan audit``: group-wise metrics of a trained run or of any generator's samples, judged
against thresholds and printed. The metrics themselves are the core's
(``wgan_core.groups.group_report``, through fairlearn's MetricFrame); what passes, and how the
report reads as text, is decided here, beside the API and the CLI that show it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan_core.datasets import read_points_csv
from wgan_core.errors import ConfigError
from wgan_core.groups import GroupedSamples, group_report, parse_proportions
from wgan_core.plots import plot_report
from wgan_core.runs import write_json
from wgan_core.trainer import resolve_device

from .registry import plugin_of_run

#: Default thresholds of ``wgan audit``: every group's coverage at least this ...
DEFAULT_MIN_COVERAGE = 0.5
#: ... and the fairness discrepancy at most this.
DEFAULT_MAX_DISCREPANCY = 0.1




# ---------------------------------------------------------------------- pass / fail

def check_thresholds(report: dict[str, Any], min_coverage: float | None = DEFAULT_MIN_COVERAGE,
                     max_discrepancy: float | None = DEFAULT_MAX_DISCREPANCY) -> list[str]:
    """What fails: one line per under-served group or exceeded threshold ([] when all hold)."""
    failures = []
    if min_coverage is not None:
        for g in report["groups"]:
            cov = g["coverage"] if g["coverage"] is not None else 0.0
            kind = "mode coverage" if g.get("coverage_kind") == "modes" else "kNN coverage"
            if cov < min_coverage:
                failures.append(f"group '{g['name']}': {kind} {cov:.3f} < {min_coverage:g} "
                                f"(share {g['share']:.3f}, target {g['target_share']:.3f})")
    if max_discrepancy is not None and report["discrepancy"] > max_discrepancy:
        failures.append(f"fairness discrepancy {report['discrepancy']:.3f} > {max_discrepancy:g}"
                        f" (target: {report.get('target', {}).get('source', 'uniform')})")
    return failures


def format_report(report: dict[str, Any]) -> str:
    """The audit as a plain-text table: the target and its source, then one row per group.

    The group column is as wide as the longest name. Coverage shows once per kind: "modes"
    (modes of the group with a generated sample nearby, when modes are known) and "kNN cov"
    (share of the group's real samples with a generated one among their k nearest)."""
    acc = report.get("assignment_accuracy")
    target = report.get("target")
    lines = [f"groups of generated samples by {report['assignment']}"
             + (f" (held-out accuracy {acc:.3f})" if acc is not None else "")]
    if target is not None:
        lines.append(f"target shares from {target['source']}")
    width = max([len("group")] + [len(g["name"]) for g in report["groups"]])
    with_modes = any(g.get("coverage_kind") == "modes" for g in report["groups"])
    header = f"{'group':<{width}} {'share':>7} {'target':>7} "
    header += f"{'modes':>7} " if with_modes else ""
    lines.append(header + f"{'kNN cov':>8} {'precision':>9} {'W1':>8} {'n gen':>7}")

    def num(v: Any, w: int) -> str:
        return f"{v:>{w}.3f}" if isinstance(v, (int, float)) and v is not None else f"{'-':>{w}}"

    for g in report["groups"]:
        row = f"{g['name']:<{width}} {num(g['share'], 7)} {num(g['target_share'], 7)} "
        if with_modes:
            modes = (f"{g['modes_covered']}/{g['modes_total']}"
                     if g.get("coverage_kind") == "modes" else "-")
            row += f"{modes:>7} "
        lines.append(row + f"{num(g['knn_coverage'], 8)} {num(g['precision'], 9)} "
                     f"{num(g['w1'], 8)} {g['n_generated']:>7}")
    o = report["overall"]
    lines.append(f"fairness discrepancy {report['discrepancy']:.4f}; overall precision "
                 f"{o['precision']:.3f}, kNN coverage {o['coverage']:.3f}, W1 {o['w1']:.4f}")
    return "\n".join(lines)


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
    ``DEFAULT_MIN_COVERAGE`` / ``DEFAULT_MAX_DISCREPANCY``."""
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
        # A perfect generator reproduces the reference, so by default the target is the
        # reference's own group shares; --target-proportions uniform asks for parity.
        ref_shares = np.bincount(ref.labels.numpy(), minlength=len(names)) / len(ref.labels)
        grouped = GroupedSamples(ref.points, ref.labels, gen.points, remap[gen.labels], names,
                                 f"generated column '{group_column}'",
                                 target=torch.as_tensor(ref_shares),
                                 target_source=f"the reference's group shares ({reference})")
        out_dir = Path(out) if out is not None else Path(samples).parent
    if target_proportions:
        grouped.target = torch.as_tensor(parse_proportions(target_proportions,
                                                           grouped.group_names))
        grouped.target_source = ("parity (--target-proportions uniform)"
                                 if target_proportions.strip().lower() == "uniform"
                                 else f"--target-proportions {target_proportions}")
    report = group_report(grouped, k=k, seed=seed)
    failures = check_thresholds(report, min_coverage, max_discrepancy)
    report["thresholds"] = {"min_coverage": min_coverage, "max_discrepancy": max_discrepancy}
    report["failures"] = failures
    report["passed"] = not failures
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_json(out_dir / "audit.json", report),
             plot_report(report, out_dir / "audit.png", min_coverage)]
    return AuditResult(report, failures, paths)

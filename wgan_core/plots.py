"""Domain-free pictures: training curves read back from a run's log.csv, a group-wise audit
(``audit.png``), and the two matplotlib chores every plugin's pictures share."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend (runs write PNGs, never open windows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, dpi: int = 100, tight: bool = True) -> Path:
    """Lay out, write and close a figure (an open figure keeps its memory until closed)."""
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def figure_array(fig: Any) -> np.ndarray:
    """A figure as an ``H x W x 3`` uint8 array (for TensorBoard previews), then closed."""
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    pyplot().close(fig)
    return rgb


def read_log(log_csv: Path) -> list[dict[str, float]]:
    """The rows of a run's log.csv as floats (an empty cell or a missing file: NaN / [])."""
    if not Path(log_csv).exists():
        return []

    def number(text: str | None) -> float:
        try:
            return float(text or "nan")
        except ValueError:
            return math.nan

    with open(log_csv, newline="") as fh:
        return [{k: number(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def plot_training_curves(log_csv: Path, out_png: Path, title: str = "") -> Path | None:
    """Plot losses, the critic's W estimate and its slopes against the step; None if no log."""
    plt = pyplot()
    rows = read_log(log_csv)
    if not rows:
        return None

    def col(name: str) -> list[float]:
        return [r.get(name, math.nan) for r in rows]

    step = col("step")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(step, col("critic_loss"), label="critic loss")
    axes[0].plot(step, col("generator_loss"), label="generator loss")
    if any(v != 0 and not math.isnan(v) for v in col("extra_loss")):
        axes[0].plot(step, col("extra_loss"), label="extra (content) loss")
    axes[0].set_title("losses")
    axes[0].legend(fontsize=8)
    axes[1].plot(step, col("w_estimate"), color="C2")
    axes[1].set_title("critic's Wasserstein estimate")
    axes[2].plot(step, col("slope_mean"), label="mean")
    axes[2].plot(step, col("slope_max"), label="max")
    axes[2].set_title("critic slope (gradient norm)")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_png, dpi=110)


def plot_report(report: dict[str, Any], path: Path, min_coverage: float | None = None) -> Path:
    """audit.png: generated shares against target shares, and coverage per group, each with
    its 95 % interval."""
    plt = pyplot()
    groups = report["groups"]
    x = np.arange(len(groups))
    names = [g["name"] for g in groups]
    fig, axes = plt.subplots(1, 2, figsize=(max(8, 1.2 * len(groups) + 4), 3.8))

    def errs(values: list[float], cis: list[list[float] | None]) -> np.ndarray:
        lo = [v - (c[0] if c and math.isfinite(c[0]) else v) for v, c in zip(values, cis)]
        hi = [(c[1] if c and math.isfinite(c[1]) else v) - v for v, c in zip(values, cis)]
        return np.clip(np.array([lo, hi]), 0, None)

    shares = [g["share"] for g in groups]
    axes[0].bar(x, shares, yerr=errs(shares, [g["share_ci"] for g in groups]), capsize=3,
                color="C0", label="generated")
    axes[0].scatter(x, [g["target_share"] for g in groups], marker="_", s=600, color="C3",
                    zorder=3, label="target")
    axes[0].set_title(f"share of generated samples (discrepancy {report['discrepancy']:.3f})")
    axes[0].legend(fontsize=8)
    covs = [g["coverage"] if g["coverage"] is not None else 0.0 for g in groups]
    cis = [g["knn_coverage_ci"] if g["coverage_kind"] == "knn" else None for g in groups]
    axes[1].bar(x, covs, yerr=errs(covs, cis), capsize=3, color="C2")
    kind = "mode coverage" if groups and groups[0]["coverage_kind"] == "modes" else \
        f"k-NN coverage (k={report['k']})"
    if min_coverage is not None:
        axes[1].axhline(min_coverage, color="C3", ls="--", lw=1, label="threshold")
        axes[1].legend(fontsize=8)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title(kind)
    for ax in axes:
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=45 if len(names) > 6 else 0, ha="right"
                           if len(names) > 6 else "center", fontsize=8)
        ax.grid(alpha=0.3, axis="y")
    return save_figure(fig, path, dpi=110)

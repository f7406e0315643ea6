"""Domain-free pictures: training curves read back from a run's log.csv, and the two
matplotlib chores every plugin's pictures share."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any


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

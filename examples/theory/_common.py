"""Shared plumbing of the theory gallery: the command line and the figure writer. Every script
imports only this and the public ``wgan_core`` API (a critic trained alone: ``fit_critic``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Sequence



def parse(argv: Sequence[str] | None, doc: str | None) -> argparse.Namespace:
    """``--quick`` (a seconds-long version) and ``--out`` (where the figure goes)."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a seconds-long version")
    p.add_argument("--out", default="theory-figures", help="folder for the figure")
    return p.parse_args(list(argv) if argv is not None else None)


def save(fig, out: str, name: str) -> Path:
    """Write the figure small (dpi 80): the gallery commits its PNGs."""
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    path = path / f"{name}.png"
    fig.savefig(path, dpi=80, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def figure(ncols: int = 2, width: float = 4.2, height: float = 3.2):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(1, ncols, figsize=(width * ncols, height))


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start

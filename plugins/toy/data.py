"""Toy data: the core's 2-D mixtures and swiss roll, or the user's points from a CSV file."""

from __future__ import annotations

from pathlib import Path

import torch

from wgan_core.data import Batch
from wgan_core.datasets import LabelledPoints, grid25, read_points_csv, ring8, swiss_roll
from wgan_core.datasets import builtin as core_builtin
from wgan_core.errors import DataError

#: What the toy learns: a core dataset of points (with modes for the mixtures).
ToyData = LabelledPoints

TOY_DATASETS = ("ring8", "grid25", "swissroll")

__all__ = ["ScaledSource", "ToyData", "builtin", "grid25", "load_points", "ring8", "swiss_roll"]


def builtin(name: str) -> ToyData:
    """A built-in 2-D distribution by name."""
    if name not in TOY_DATASETS:
        raise DataError(f"unknown toy dataset '{name}' ({', '.join(TOY_DATASETS)})")
    return core_builtin(name)


def load_points(path: Path) -> ToyData:
    """Points from a CSV file: numeric columns, one row per point, an optional header row."""
    return read_points_csv(path)


class ScaledSource:
    """The trainer's data source: batches of real points multiplied by ``scale``."""

    def __init__(self, data: ToyData, scale: float) -> None:
        self.data = data
        self.scale = scale

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        return Batch(real=self.data.sample(batch_size, generator) * self.scale)

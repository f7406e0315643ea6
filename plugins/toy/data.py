"""Toy distributions (generated, documented recipes) and user point clouds from CSV."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from wgan_core.data import Batch
from wgan_core.errors import DataError


@dataclass
class ToyData:
    """A distribution to learn: a sampler in data units and, for mixtures, its modes."""

    name: str
    dim: int
    modes: Tensor | None = None
    std: float = 0.0
    points: Tensor | None = None  # a finite set (user data) sampled uniformly

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n points in data units, all randomness from generator."""
        if self.points is not None:
            idx = torch.randint(0, len(self.points), (n,), generator=generator)
            return self.points[idx]
        if self.name == "swissroll":
            return swiss_roll(n, generator)
        assert self.modes is not None
        idx = torch.randint(0, len(self.modes), (n,), generator=generator)
        return self.modes[idx] + self.std * torch.randn(n, self.dim, generator=generator)


def ring8() -> ToyData:
    """8 Gaussians evenly on the unit circle, sigma 0.01 (PacGAN's 2D-ring)."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    modes = torch.stack([angles.cos(), angles.sin()], dim=1).float()
    return ToyData("ring8", 2, modes, 0.01)


def grid25() -> ToyData:
    """25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05 (PacGAN's 2D-grid)."""
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    modes = torch.cartesian_prod(axis, axis)
    return ToyData("grid25", 2, modes, 0.05)


def swiss_roll(n: int, generator: torch.Generator | None = None, noise: float = 0.25) -> Tensor:
    """The 2-D swiss roll of the WGAN-GP toy experiments (sklearn's recipe, x and z, / 7.5)."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    pts = torch.stack([t * t.cos(), t * t.sin()], dim=1)
    pts = pts + noise * torch.randn(n, 2, generator=generator)
    return pts / 7.5


def builtin(name: str) -> ToyData:
    """A built-in distribution by name."""
    if name == "ring8":
        return ring8()
    if name == "grid25":
        return grid25()
    if name == "swissroll":
        return ToyData("swissroll", 2)
    raise DataError(f"unknown toy dataset '{name}' (ring8, grid25, swissroll)")


def load_points(path: Path) -> ToyData:
    """Points from a CSV file: numeric columns, one row per point, an optional header row."""
    if path.is_dir():
        raise DataError(f"{path}: is a folder; --data takes one CSV file")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[list[float]] = []
    try:
        with open(path, newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or all(not c.strip() for c in row):
                    continue
                try:
                    values = [float(c) for c in row]
                except ValueError:
                    if lineno == 1 and not rows:
                        continue  # a header
                    raise DataError(f"{path}:{lineno}: not a row of numbers: {','.join(row)[:60]}"
                                    ) from None
                if rows and len(values) != len(rows[0]):
                    raise DataError(f"{path}:{lineno}: {len(values)} columns, expected "
                                    f"{len(rows[0])}")
                if not all(math.isfinite(v) for v in values):
                    raise DataError(f"{path}:{lineno}: non-finite value")
                rows.append(values)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file") from None
    if len(rows) < 10:
        raise DataError(f"{path}: needs at least 10 points, found {len(rows)}")
    return ToyData(path.stem, len(rows[0]), points=torch.tensor(rows, dtype=torch.float32))


class ScaledSource:
    """The trainer's data source: batches of real points multiplied by ``scale``."""

    def __init__(self, data: ToyData, scale: float) -> None:
        self.data = data
        self.scale = scale

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        return Batch(real=self.data.sample(batch_size, generator) * self.scale)

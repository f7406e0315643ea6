"""Domain-free datasets that several plugins share: points with a mode (class) label each.

- ``ring8`` and ``grid25``: PacGAN's 2-D Gaussian mixtures (Lin et al., 2018), whose modes are
  known, so a generated point's mode is its nearest centre;
- ``swissroll``: the 2-D swiss roll of the WGAN-GP toy experiments (no modes);
- ``digits``: scikit-learn's 8x8 handwritten digits (1797 images, in the wheel) as
  64-dimensional vectors in [0, 1], the ten classes as modes; a generated vector's class comes
  from a classifier trained on the real digits (:class:`DigitsClassifier`);
- ``read_points_table`` / ``read_points_csv``: the user's points from a CSV file, with text
  columns (a label, a group, a client) kept as text.

A plugin adds its domain around these (a client split, a group attribute); none imports
another plugin's data. All randomness comes from the ``torch.Generator`` a caller passes.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .errors import DataError


@dataclass
class LabelledPoints:
    """A distribution of points with a label per point.

    A mixture has ``modes`` (centres, ``[M, dim]``) and ``std``: a point's label is the mode it
    was drawn from. A finite set has ``points`` and, optionally, ``labels`` (integers) and
    ``label_names``. ``swissroll`` has neither modes nor labels.
    """

    name: str
    dim: int
    modes: Tensor | None = None
    std: float = 0.0
    points: Tensor | None = None
    labels: Tensor | None = None
    label_names: list[str] = field(default_factory=list)

    @property
    def n_labels(self) -> int:
        """How many modes or classes there are (0 when the data has no labels)."""
        if self.modes is not None:
            return len(self.modes)
        if self.labels is not None:
            return max(len(self.label_names), int(self.labels.max()) + 1)
        return 0

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n points, all randomness from ``generator``."""
        return self.sample_labelled(n, generator)[0]

    def sample_labelled(self, n: int, generator: torch.Generator | None = None,
                        label_weights: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """n points and their labels (-1 where the data has none). ``label_weights`` (one
        non-negative weight per label) draws labels in those proportions instead of the
        data's own (uniform over modes; the set's frequencies for a finite set)."""
        if self.points is not None:
            if label_weights is not None and self.labels is not None:
                per_point = label_weights.double()[self.labels]
                idx = torch.multinomial(per_point, n, replacement=True, generator=generator)
            else:
                idx = torch.randint(0, len(self.points), (n,), generator=generator)
            labels = self.labels[idx] if self.labels is not None else torch.full((n,), -1)
            return self.points[idx], labels
        if self.modes is None:
            return swiss_roll(n, generator), torch.full((n,), -1)
        if label_weights is not None:
            label = torch.multinomial(label_weights.double(), n, replacement=True,
                                      generator=generator)
        else:
            label = torch.randint(0, len(self.modes), (n,), generator=generator)
        points = self.modes[label] + self.std * torch.randn(n, self.dim, generator=generator)
        return points, label

    def nearest_mode(self, x: Tensor) -> Tensor:
        """The label of the nearest mode of each point (mixtures only)."""
        if self.modes is None:
            raise ValueError(f"{self.name} has no modes")
        return torch.cdist(x.float(), self.modes.float()).argmin(dim=1)


def ring8() -> LabelledPoints:
    """8 Gaussians evenly on the unit circle, sigma 0.01 (PacGAN's 2D-ring)."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    modes = torch.stack([angles.cos(), angles.sin()], dim=1).float()
    return LabelledPoints("ring8", 2, modes, 0.01)


def grid25() -> LabelledPoints:
    """25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05 (PacGAN's 2D-grid). Mode i sits at
    (x, y) = (axis[i // 5], axis[i % 5])."""
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    modes = torch.cartesian_prod(axis, axis)
    return LabelledPoints("grid25", 2, modes, 0.05)


def swiss_roll(n: int, generator: torch.Generator | None = None, noise: float = 0.25) -> Tensor:
    """The 2-D swiss roll of the WGAN-GP toy experiments (sklearn's recipe, x and z, / 7.5)."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    pts = torch.stack([t * t.cos(), t * t.sin()], dim=1)
    pts = pts + noise * torch.randn(n, 2, generator=generator)
    return pts / 7.5


def swissroll() -> LabelledPoints:
    """The swiss roll as a dataset (no modes)."""
    return LabelledPoints("swissroll", 2)


def digits() -> LabelledPoints:
    """scikit-learn's 8x8 digits (shipped in its wheel): 1797 vectors of 64 pixels in [0, 1]
    (the 0..16 intensities divided by 16), labelled by their class 0..9."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    points = torch.tensor(bunch.data / 16.0, dtype=torch.float32)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    return LabelledPoints("digits", 64, points=points, labels=labels,
                          label_names=[str(c) for c in range(10)])


BUILTIN = {"ring8": ring8, "grid25": grid25, "swissroll": swissroll, "digits": digits}


def builtin(name: str) -> LabelledPoints:
    """A built-in dataset by name (ring8, grid25, swissroll, digits)."""
    if name not in BUILTIN:
        raise DataError(f"unknown dataset '{name}' ({', '.join(BUILTIN)})")
    return BUILTIN[name]()


class DigitsClassifier:
    """Assigns 64-pixel digit vectors to classes: scikit-learn's logistic regression trained on
    a fixed 75 % of the real digits, its accuracy measured on the other 25 %
    (``held_out_accuracy``; report it beside any class share it produces)."""

    def __init__(self, seed: int = 0) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split

        data = digits()
        assert data.points is not None and data.labels is not None
        x, y = data.points.numpy(), data.labels.numpy()
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, random_state=seed, stratify=y)
        self.model = LogisticRegression(max_iter=2000).fit(x_train, y_train)
        self.held_out_accuracy = float(self.model.score(x_test, y_test))

    def __call__(self, x: Tensor | np.ndarray) -> Tensor:
        """The predicted class of each row."""
        arr = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
        return torch.as_tensor(self.model.predict(arr.reshape(len(arr), -1)), dtype=torch.long)


@dataclass
class PointsTable:
    """A CSV file of points: its numeric columns as a tensor, its named text columns as text."""

    name: str
    points: Tensor
    #: Names of the numeric columns (``x0, x1, ...`` when the file has no header row).
    columns: list[str]
    #: The header row as written (None when the file has none).
    header: list[str] | None
    #: Each requested text column, one string per row.
    text: dict[str, list[str]]


def read_points_table(path: Path, text_columns: dict[str, str] | None = None,
                      min_rows: int = 10, optional: tuple[str, ...] = ()) -> PointsTable:
    """Read a CSV of points: one row per point, numeric columns, an optional header row.

    ``text_columns`` maps header names to the role they play (``{"sex": "group"}``): those
    columns are kept as text, the others must be numbers. A column named in ``optional`` may
    be absent. Every error is one line naming the file (and the line and column when there is
    one) - the one CSV reader of the suite."""
    path = Path(path)
    wanted = dict(text_columns or {})
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give one CSV file")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[list[float]] = []
    text: dict[str, list[str]] = {}
    header: list[str] | None = None
    text_at: dict[str, int] = {}
    columns: list[str] = []
    try:
        with open(path, newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or all(not c.strip() for c in row):
                    continue
                if header is None and not rows:
                    try:
                        [float(c) for c in row]
                    except ValueError:
                        header = [c.strip() for c in row]
                        for col, role in wanted.items():
                            if col in header:
                                text_at[col] = header.index(col)
                            elif col not in optional:
                                raise DataError(f"{path}: no {role} column '{col}' (columns: "
                                                f"{', '.join(header)})") from None
                        text = {col: [] for col in text_at}
                        columns = [c for i, c in enumerate(header) if i not in text_at.values()]
                        if not columns:
                            raise DataError(f"{path}: no numeric columns besides "
                                            f"{', '.join(text_at)}")
                        continue
                    missing = [c for c in wanted if c not in optional]
                    if missing:
                        raise DataError(f"{path}: no header row, so no "
                                        f"{wanted[missing[0]]} column '{missing[0]}'")
                expected = len(header) if header is not None else len(rows[0]) if rows else 0
                if expected and len(row) != expected:
                    raise DataError(f"{path}:{lineno}: {len(row)} columns, expected {expected}")
                for col, at in text_at.items():
                    value = row[at].strip()
                    if not value:
                        raise DataError(f"{path}:{lineno}: no value in {wanted[col]} column "
                                        f"'{col}'")
                    text[col].append(value)
                cells = [c for i, c in enumerate(row) if i not in text_at.values()]
                values = []
                for j, cell in enumerate(cells):
                    where = f"column '{columns[j]}'" if header is not None else f"column {j + 1}"
                    try:
                        values.append(float(cell))
                    except ValueError:
                        raise DataError(f"{path}:{lineno}: {where} is not numeric "
                                        f"({cell.strip()!r})") from None
                    if not math.isfinite(values[-1]):
                        raise DataError(f"{path}:{lineno}: non-finite value in {where}")
                rows.append(values)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file") from None
    if not rows and header is None:
        raise DataError(f"{path}: empty CSV file")
    if len(rows) < min_rows:
        raise DataError(f"{path}: needs at least {min_rows} points, found {len(rows)}")
    if header is None:
        columns = [f"x{j}" for j in range(len(rows[0]))]
    return PointsTable(path.stem, torch.tensor(rows, dtype=torch.float32), columns, header,
                       text)


def numbered(values: list[str]) -> tuple[Tensor, list[str]]:
    """Text labels as integers in natural order, and the names in that order."""
    names = sorted(set(values), key=natural_order)
    index = {name: i for i, name in enumerate(names)}
    return torch.tensor([index[v] for v in values], dtype=torch.long), names


def read_points_csv(path: Path, label_column: str | None = None, min_rows: int = 10,
                    role: str = "label") -> LabelledPoints:
    """Points from a CSV file (see :func:`read_points_table`), with an optional label column.

    With ``label_column`` (a header name) that column holds each point's label (any text; the
    labels are numbered in natural order, ``label_names`` keeps the text) and the other columns
    are the point."""
    text = {label_column: role} if label_column is not None else {}
    table = read_points_table(path, text, min_rows=min_rows)
    points = table.points
    if label_column is None:
        return LabelledPoints(table.name, points.shape[1], points=points)
    labels, names = numbered(table.text[label_column])
    return LabelledPoints(table.name, points.shape[1], points=points, labels=labels,
                          label_names=names)


def natural_order(text: str) -> Any:
    """A sort key for label text: numbers as numbers ('2' before '10'), then text."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)

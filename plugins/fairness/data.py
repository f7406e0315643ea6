"""Fairness data: points with a group each, one group under-represented.

- ``grid25-groups``: the core's grid25 (25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05) with the
  five modes of its right column (x = +4: mode indices 20-24) as the ``minority`` group and
  the other twenty as the ``majority``; the minority holds ``minority_share`` (10 %) of the
  training points, split evenly over its modes (2 % each; a majority mode holds 4.5 %).
- ``digits``: scikit-learn's 8x8 digits as 64-dimensional vectors in [0, 1]; classes 0-4 are
  group ``0-4``, classes 5-9 group ``5-9``, subsampled (fixed seed) so that it holds
  ``minority_share`` of the training set.
- ``--data FILE.csv --group-column NAME``: the user's points with a header row, a group
  column (any number of groups, any text) and optionally a ``--label-column``.

The audit's reference is the population, not the under-sampled training set: fresh grid25
points in the target group shares, all 1797 digits, or the user's whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wgan_core.datasets import digits as core_digits
from wgan_core.datasets import grid25, numbered, read_points_table
from wgan_core.errors import DataError

from .config import FairnessConfig

#: The minority modes of grid25-groups: the right column (x = +4) of the grid.
MINORITY_MODES = (20, 21, 22, 23, 24)


@dataclass
class GroupData:
    """Training points (data units) with a group each, and what the audit needs."""

    name: str
    points: Tensor
    groups: Tensor
    group_names: list[str]
    labels: Tensor | None = None
    modes: Tensor | None = None
    mode_groups: Tensor | None = None
    std: float = 0.0
    #: The CSV's feature column names (tabular data only).
    columns: list[str] = field(default_factory=list)
    #: The population the audit compares with: points and groups (None: draw from the modes).
    population: tuple[Tensor, Tensor] | None = None

    @property
    def dim(self) -> int:
        return int(self.points.shape[1])

    @property
    def tabular(self) -> bool:
        """The generator generates the group column (user data)."""
        return self.name not in ("grid25-groups", "digits")

    def shares(self) -> np.ndarray:
        return np.bincount(self.groups.numpy(), minlength=len(self.group_names)) / len(self.groups)

    def reference(self, n: int, target: np.ndarray, generator: torch.Generator
                  ) -> tuple[Tensor, Tensor]:
        """Real reference points and groups for an audit: n mixture points in the target
        shares (modes uniform within a group), or the whole population."""
        if self.population is not None:
            return self.population
        assert self.modes is not None and self.mode_groups is not None
        counts = self.mode_groups.bincount(minlength=len(self.group_names)).double()
        per_mode = torch.as_tensor(target, dtype=torch.float64)[self.mode_groups] / \
            counts[self.mode_groups]
        label = torch.multinomial(per_mode, n, replacement=True, generator=generator)
        pts = self.modes[label] + self.std * torch.randn(n, self.dim, generator=generator)
        return pts, self.mode_groups[label]


def grid25_groups(minority_share: float = 0.1, n: int = 20000, seed: int = 0) -> GroupData:
    """grid25 with its right column as the minority (exactly ``minority_share`` of n points)."""
    mix = grid25()
    mode_groups = torch.zeros(25, dtype=torch.long)
    mode_groups[list(MINORITY_MODES)] = 1
    g = torch.Generator().manual_seed(seed)
    n_min = int(round(minority_share * n))
    majority = torch.nonzero(mode_groups == 0).squeeze(1)
    minority = torch.nonzero(mode_groups == 1).squeeze(1)
    labels = torch.cat([majority[torch.randint(0, len(majority), (n - n_min,), generator=g)],
                        minority[torch.randint(0, len(minority), (n_min,), generator=g)]])
    points = mix.modes[labels] + mix.std * torch.randn(n, 2, generator=g)
    return GroupData("grid25-groups", points, mode_groups[labels], ["majority", "minority"],
                     modes=mix.modes, mode_groups=mode_groups, std=mix.std)


def digits_groups(minority_share: float = 0.1, seed: int = 0) -> GroupData:
    """The digits, 0-4 against 5-9, the second subsampled to ``minority_share`` of the set."""
    d = core_digits()
    assert d.points is not None and d.labels is not None
    group = (d.labels >= 5).long()
    major = torch.nonzero(group == 0).squeeze(1)
    minor = torch.nonzero(group == 1).squeeze(1)
    # n_min / (n_major + n_min) = share
    n_min = max(1, int(round(minority_share * len(major) / (1 - minority_share))))
    if n_min > len(minor):
        raise DataError(f"digits: minority share {minority_share} needs {n_min} digits 5-9, "
                        f"only {len(minor)} exist")
    pick = minor[torch.randperm(len(minor), generator=torch.Generator().manual_seed(seed))[:n_min]]
    keep = torch.cat([major, pick.sort().values])
    return GroupData("digits", d.points[keep], group[keep], ["0-4", "5-9"],
                     population=(d.points, group))


def read_group_csv(path: Path, group_column: str, label_column: str | None = None,
                   min_per_group: int = 6) -> GroupData:
    """The user's points: a header row, numeric feature columns, a group column and an
    optional label column (any text). Errors name the file and the problem."""
    roles = {group_column: "group"}
    if label_column is not None:
        roles[label_column] = "label"
    table = read_points_table(Path(path), roles, min_rows=1)
    groups, names = numbered(table.text[group_column])
    counts = np.bincount(groups.numpy(), minlength=len(names))
    for i, c in enumerate(counts):
        if c < min_per_group:
            raise DataError(f"{path}: group '{names[i]}' has {c} points; each group needs at "
                            f"least {min_per_group} (more than k for k-NN coverage)")
    labels = numbered(table.text[label_column])[0] if label_column is not None else None
    return GroupData(table.name, table.points, groups, names, labels=labels,
                     columns=table.columns, population=(table.points, groups))


def load_data(config: FairnessConfig) -> GroupData:
    """The user's CSV if --data is given, else the built-in data set."""
    if config.data is not None:
        assert config.group_column is not None
        return read_group_csv(config.data, config.group_column, config.label_column,
                              min_per_group=config.knn_k + 1)
    if config.dataset == "digits":
        return digits_groups(config.minority_share, seed=config.seed)
    return grid25_groups(config.minority_share, config.n_train, seed=config.seed)

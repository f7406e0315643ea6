"""The data's units and the networks' units: one seam for every plugin that normalises.

A plugin that feeds its networks normalised data (divided by the data's standard deviation,
or standardised column by column) hands the Trainer a :class:`Normalization`. The trainer
stores it in every checkpoint; :func:`in_data_units` wraps a loaded generator so that its
samples come out in the data's own units again (``wgan.load`` does this for every plugin).
Columns past the normalised ones (a generated group column, say) pass through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .errors import CheckpointError
from .models import Generator


@dataclass
class Normalization:
    """The networks see ``(x - mean) / std`` on the first ``len(mean)`` columns of the data."""

    mean: Tensor
    std: Tensor

    def __post_init__(self) -> None:
        self.mean = torch.as_tensor(self.mean, dtype=torch.float32).reshape(-1)
        self.std = torch.as_tensor(self.std, dtype=torch.float32).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise ValueError(f"mean has {self.mean.numel()} columns, std {self.std.numel()}")
        if not bool((self.std > 0).all()):
            raise ValueError("every std must be positive")

    @classmethod
    def scaled(cls, std: float, dim: int) -> "Normalization":
        """Every column divided by one number (no shift): the data's overall std."""
        return cls(torch.zeros(dim), torch.full((dim,), float(std)))

    @property
    def dim(self) -> int:
        """How many leading columns are normalised (the data's dimension)."""
        return int(self.mean.numel())

    def to_network(self, x: Tensor) -> Tensor:
        """Data units -> the networks' units."""
        d = self.dim
        mean, std = self.mean.to(x.device), self.std.to(x.device)
        return torch.cat([(x[:, :d] - mean) / std, x[:, d:]], dim=1)

    def to_data(self, y: Tensor) -> Tensor:
        """The networks' units -> data units."""
        d = self.dim
        mean, std = self.mean.to(y.device), self.std.to(y.device)
        return torch.cat([y[:, :d] * std + mean, y[:, d:]], dim=1)

    def state_dict(self) -> dict[str, Tensor]:
        """What a checkpoint stores (tensors only: loaded with ``weights_only=True``)."""
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Normalization":
        """The normalization ``state_dict`` stored."""
        try:
            return cls(state["mean"], state["std"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"checkpoint holds an invalid normalization ({exc})") from None


def checkpoint_normalization(checkpoint: dict[str, Any]) -> Normalization | None:
    """The normalization a checkpoint stores, or None (the run trained in data units)."""
    state = checkpoint.get("normalization")
    return Normalization.from_state(state) if state else None


class DataUnits(Generator):
    """A trained generator whose samples come out in the data's own units."""

    def __init__(self, generator: Generator, normalization: Normalization) -> None:
        super().__init__()
        self.network = generator
        self.normalization = normalization
        self.latent_dim = generator.latent_dim

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.normalization.to_data(self.network(z, cond))

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        """The wrapped generator's own latent (its prior need not be a plain normal)."""
        return self.network.sample_latent(n, generator, device)


def in_data_units(generator: torch.nn.Module, checkpoint: dict[str, Any]) -> torch.nn.Module:
    """``generator`` (loaded from ``checkpoint``) in the data's units: wrapped in
    :class:`DataUnits` when the checkpoint stores a normalization, else as it is."""
    norm = checkpoint_normalization(checkpoint)
    if norm is None:
        return generator
    return DataUnits(generator, norm).train(generator.training)

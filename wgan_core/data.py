"""What the trainer draws from: batches of real data, generator inputs, conditions and weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from . import tensors as T
from .tensors import Sample


@dataclass
class Batch:
    """One training batch.

    ``real``: the real samples (a tensor or a tuple of tensors).
    ``gen_input``: the generator's input when it is data (a low-resolution image, a source
    image); None means the trainer draws latents from the generator's prior.
    ``cond``: a condition passed to both networks, or None.
    ``weight``: non-negative per-sample weights on the real expectation, or None.
    ``group``: an integer group per sample (a fairness group, a client, a class), or None;
    the constraint's penalty receives it (a per-group penalty averages over groups).
    """

    real: Sample
    gen_input: Tensor | None = None
    cond: Tensor | None = None
    weight: Tensor | None = None
    group: Tensor | None = None

    def to(self, device: torch.device) -> "Batch":
        """The batch on a device."""
        return Batch(
            T.to(self.real, device),
            None if self.gen_input is None else self.gen_input.to(device),
            None if self.cond is None else self.cond.to(device),
            None if self.weight is None else self.weight.to(device),
            None if self.group is None else self.group.to(device),
        )

    def shard(self, rows: slice) -> "Batch":
        """The rows of the batch one process trains on (every part sliced alike)."""
        def part(t: Tensor | None) -> Tensor | None:
            return None if t is None else t[rows]

        return Batch(T.apply(lambda t: t[rows], self.real), part(self.gen_input),
                     part(self.cond), part(self.weight), part(self.group))


#: A data source: ``source(batch_size, generator) -> Batch``. It must draw all randomness from
#: the torch.Generator it is given, so that a resumed run sees the same batches.
DataSource = Callable[[int, torch.Generator], Batch]


def weighted_mean(values: Tensor, weight: Tensor | None = None,
                  total_weight: Tensor | float | None = None) -> Tensor:
    """E_w[v] = sum(w v) / sum(w); the plain mean when weight is None. ``total_weight``
    replaces sum(w) in the denominator (a process's share of a batch split over processes
    divides by the whole batch's weight, so that the shares add up to the batch's E_w)."""
    if weight is None:
        return values.mean()
    weight = weight.to(values.dtype)
    return (weight * values).sum() / (weight.sum() if total_weight is None else total_weight)


class TensorSource:
    """Uniform minibatches (with replacement) from a fixed set of real samples.

    Optional per-sample ``weights`` travel with each batch (the reweighted real expectation);
    optional ``cond`` rows and ``groups`` labels are drawn with their samples.
    """

    def __init__(self, data: Sample, cond: Tensor | None = None,
                 weights: Tensor | None = None, groups: Tensor | None = None) -> None:
        self.data = data
        self.cond = cond
        self.weights = weights
        self.groups = groups
        self.n = T.batch_size(data)
        if self.n == 0:
            raise ValueError("TensorSource needs at least one sample")

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        idx = torch.randint(0, self.n, (batch_size,), generator=generator)
        return Batch(
            real=T.index(self.data, idx),
            cond=None if self.cond is None else self.cond[idx],
            weight=None if self.weights is None else self.weights[idx],
            group=None if self.groups is None else self.groups[idx],
        )

"""Batch helpers that treat a tensor and a tuple of tensors alike.

A sample may be one tensor (points, images) or a tuple of tensors that share the batch
dimension (a graph: adjacency, node features, node mask). The trainer, the penalties and the
spaces use these helpers so that none of them assumes a shape.
"""

from __future__ import annotations

from typing import Callable, Union

import torch
from torch import Tensor

Sample = Union[Tensor, tuple[Tensor, ...]]


def as_tuple(x: Sample) -> tuple[Tensor, ...]:
    """The parts of a sample as a tuple."""
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def like(template: Sample, parts: tuple[Tensor, ...]) -> Sample:
    """Rebuild parts in the structure of template (a tensor or a tuple)."""
    return tuple(parts) if isinstance(template, (tuple, list)) else parts[0]


def apply(fn: Callable[[Tensor], Tensor], x: Sample) -> Sample:
    """Apply fn to every part."""
    return like(x, tuple(fn(t) for t in as_tuple(x)))


def batch_size(x: Sample) -> int:
    """Number of samples in the batch."""
    return as_tuple(x)[0].shape[0]


def cat(xs: list[Sample]) -> Sample:
    """Concatenate batches along the batch dimension."""
    parts = zip(*(as_tuple(x) for x in xs))
    return like(xs[0], tuple(torch.cat(p, dim=0) for p in parts))


def index(x: Sample, idx: Tensor) -> Sample:
    """Select samples by index."""
    return apply(lambda t: t[idx], x)


def to(x: Sample, device: torch.device | str) -> Sample:
    """Move every part to a device."""
    return apply(lambda t: t.to(device), x)


def detach(x: Sample) -> Sample:
    """Detach every part."""
    return apply(lambda t: t.detach(), x)


def requires_grad(x: Sample) -> Sample:
    """Detached copies of the floating parts that require grad (integer parts stay as they are)."""
    return apply(lambda t: t.detach().requires_grad_(True) if t.is_floating_point() else t, x)


def per_sample_norm(parts: tuple[Tensor, ...]) -> Tensor:
    """Euclidean norm per sample over all non-batch dimensions of all parts together, in
    float32 at least (a half-precision gradient is cast before it is squared and summed)."""
    total = None
    for g in parts:
        if g.dtype in (torch.bfloat16, torch.float16):
            g = g.float()
        sq = g.reshape(g.shape[0], -1).pow(2).sum(dim=1)
        total = sq if total is None else total + sq
    return (total + 1e-12).sqrt()


def flatten(x: Sample) -> Tensor:
    """One row per sample: all floating parts flattened and concatenated."""
    return torch.cat([t.reshape(t.shape[0], -1).float() for t in as_tuple(x)], dim=1)

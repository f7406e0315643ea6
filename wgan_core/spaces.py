"""Metric spaces: the ground metric the critic's slope is measured in.

The Kantorovich-Rubinstein dual of W1 asks for a critic that is 1-Lipschitz in the *data's*
metric. A space says what that metric is (``distance``), how to draw points between pairs
(``interpolate``), which slope that allows in the critic's input coordinates
(``target_slope``) and how to measure the critic's local slopes (``slopes``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import torch
from torch import Tensor

from . import tensors as T
from .tensors import Sample

CriticFn = Callable[[Sample], Tensor]


class MetricSpace(ABC):
    """The ground metric of the data."""

    #: The critic's allowed slope in its own input coordinates.
    target_slope: float = 1.0

    @abstractmethod
    def distance(self, x: Sample, y: Sample) -> Tensor:
        """Pairwise cost matrix [len(x), len(y)] in the metric of the data."""

    @abstractmethod
    def interpolate(self, real: Sample, fake: Sample, generator: torch.Generator | None = None
                    ) -> Sample:
        """Points between paired real and fake samples."""

    @abstractmethod
    def slopes(self, critic: CriticFn, points: Sample) -> Tensor:
        """Local Lipschitz estimates of the critic at the points, one per sample."""


class EuclideanSpace(MetricSpace):
    """Euclidean distance of data that the pipeline has multiplied by ``scale``.

    If the critic sees ``c * x``, a critic that is 1-Lipschitz in the original coordinates has
    slope ``1/c`` in its own, so ``target_slope = 1/scale`` and ``distance`` reports the
    original units. Works on any tensor shape and on tuples of tensors (flattened together).
    """

    def __init__(self, scale: float = 1.0) -> None:
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = float(scale)
        self.target_slope = 1.0 / self.scale

    def distance(self, x: Sample, y: Sample) -> Tensor:
        return torch.cdist(T.flatten(x).double(), T.flatten(y).double()) / self.scale

    def interpolate(self, real: Sample, fake: Sample, generator: torch.Generator | None = None
                    ) -> Sample:
        first = T.as_tuple(real)[0]
        eps = torch.rand(first.shape[0], generator=generator, device="cpu").to(first.device)
        parts = []
        for r, f in zip(T.as_tuple(real), T.as_tuple(fake)):
            e = eps.view(-1, *([1] * (r.dim() - 1))).to(r.dtype) if r.is_floating_point() else None
            parts.append(r + e * (f - r) if e is not None else r)
        return T.like(real, tuple(parts))

    def slopes(self, critic: CriticFn, points: Sample) -> Tensor:
        points = T.requires_grad(points)
        with torch.enable_grad():
            scores = critic(points)
            inputs = [t for t in T.as_tuple(points) if t.requires_grad]
            grads = torch.autograd.grad(scores.float().sum(), inputs)
        return T.per_sample_norm(tuple(grads)).detach()

    def __repr__(self) -> str:
        return f"EuclideanSpace(scale={self.scale:g})"

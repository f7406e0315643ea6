"""Euclidean space: distances in original units, interpolation, slopes on any shape."""

from __future__ import annotations

import pytest
import torch

from wgan_core.spaces import EuclideanSpace


def test_distance_reports_original_units() -> None:
    x = torch.tensor([[0.0, 0.0]])
    y = torch.tensor([[3.0, 4.0]])
    assert EuclideanSpace().distance(x, y).item() == pytest.approx(5.0)
    assert EuclideanSpace(scale=10.0).distance(10 * x, 10 * y).item() == pytest.approx(5.0)
    with pytest.raises(ValueError):
        EuclideanSpace(scale=0.0)


def test_interpolates_lie_on_segments_of_any_shape() -> None:
    real, fake = torch.zeros(64, 3, 4, 4), torch.ones(64, 3, 4, 4)
    pts = EuclideanSpace().interpolate(real, fake, torch.Generator().manual_seed(0))
    per_sample = pts.reshape(64, -1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))  # one eps each
    assert 0 <= pts.min() and pts.max() <= 1 and pts.std() > 0.1


def test_slopes_of_a_linear_critic_on_images() -> None:
    w = torch.randn(3, 8, 8)

    def critic(x): return (x * w).sum(dim=(1, 2, 3))

    slopes = EuclideanSpace().slopes(critic, torch.randn(5, 3, 8, 8))
    assert torch.allclose(slopes, w.norm().expand(5), rtol=1e-5)

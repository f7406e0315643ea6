"""Domain-free metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wgan_core.metrics import critic_w_estimate, mode_coverage, prdc, w1_exact
from wgan_core.spaces import EuclideanSpace


def test_w1_exact_of_point_sets_by_hand() -> None:
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[2.0], [3.0]])
    assert w1_exact(x, y) == pytest.approx(2.0)
    # A shift of a 2-D cloud by v costs exactly |v|.
    pts = torch.randn(100, 2)
    assert w1_exact(pts, pts + torch.tensor([3.0, 4.0])) == pytest.approx(5.0, rel=1e-6)


def test_w1_exact_with_weights_and_scale() -> None:
    x = torch.tensor([[0.0], [10.0]])
    y = torch.tensor([[0.0]])
    assert w1_exact(x, y, x_weights=torch.tensor([3.0, 1.0])) == pytest.approx(2.5)
    # Data scaled by c = 2 is measured back in original units.
    assert w1_exact(2 * x, 2 * y, EuclideanSpace(scale=2.0)) == pytest.approx(5.0)


def test_critic_estimate_of_a_linear_critic() -> None:
    def critic(x, cond=None): return x[:, 0]
    real, fake = torch.full((10, 1), 4.0), torch.full((10, 1), 1.0)
    assert critic_w_estimate(critic, real, fake) == pytest.approx(3.0)


def test_mode_coverage_counts_modes_quality_and_balance() -> None:
    modes = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    samples = np.array([[0.0, 0.1], [0.1, 0.0], [10.0, 0.05], [5.0, 5.0]])
    out = mode_coverage(samples, modes, std=0.1)
    assert out["modes_covered"] == 2 and out["modes_total"] == 4
    assert out["high_quality_fraction"] == pytest.approx(0.75)
    # HQ histogram 2:1 over the 4 modes: KL(p || uniform) = sum p log(4p).
    p = np.array([2 / 3, 1 / 3])
    assert out["reverse_kl"] == pytest.approx(float((p * np.log(4 * p)).sum()))
    balanced = mode_coverage(modes, modes, std=0.1)
    assert balanced["modes_covered"] == 4 and balanced["reverse_kl"] == pytest.approx(0.0)
    assert math.isinf(mode_coverage(np.array([[5.0, 5.0]]), modes, 0.1)["reverse_kl"])


def test_prdc_separates_matching_and_disjoint_sets() -> None:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 2, generator=g)
    same = torch.randn(500, 2, generator=g)
    far = torch.randn(500, 2, generator=g) + 20
    good, bad = prdc(real, same), prdc(real, far)
    assert good["precision"] > 0.8 and good["recall"] > 0.8 and good["coverage"] > 0.8
    assert bad == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    with pytest.raises(ValueError):
        prdc(real[:3], same[:3])

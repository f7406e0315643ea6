"""DOT sample refinement: K_eff measures the critic's slope; samples move only while the
critic rises faster than K_eff per unit travelled."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan_core.refine import dot_refine, effective_lipschitz

from tests.helpers import LinearCritic


class Cone(nn.Module):
    """f(x) = -||x - peak||: slope 1, highest at the peak (a mode)."""

    def __init__(self, peak: list[float]) -> None:
        super().__init__()
        self.peak = nn.Parameter(torch.tensor(peak))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return -(x - self.peak).norm(dim=1)


def test_effective_lipschitz_measures_the_slope() -> None:
    critic = LinearCritic([3.0, 4.0])  # slope 5
    points = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    k = effective_lipschitz(critic, points)
    assert 4.5 < k <= 5.0 + 1e-4


def test_samples_move_only_where_the_critic_rises_faster_than_k_eff() -> None:
    start = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    critic = LinearCritic([1.0, 0.0])  # slope 1 along x
    steep = dot_refine(critic, start, k_eff=0.5, steps=50, lr=0.05)  # rises 2x faster: climb
    flat = dot_refine(critic, start, k_eff=2.0, steps=50, lr=0.05)  # rises too slowly: stay
    assert (steep[:, 0] - start[:, 0]).min() > 1.0  # every sample climbed along x
    assert (flat - start).norm(dim=1).max() < 0.15  # nobody went anywhere (Adam jitter only)


def test_refinement_pulls_samples_onto_a_mode_and_leaves_the_critic_alone() -> None:
    critic = Cone([2.0, -1.0])
    start = torch.tensor([[2.5, -1.0], [2.0, 0.0], [1.2, -1.6]])
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    out = dot_refine(critic, start, k_eff=0.5, steps=200, lr=0.01)
    assert (out - critic.peak.detach()).norm(dim=1).max() < 0.05
    assert all(torch.equal(v, critic.state_dict()[k]) for k, v in before.items())
    assert all(p.requires_grad for p in critic.parameters()) and critic.peak.grad is None


def test_bad_k_eff_is_refused() -> None:
    with pytest.raises(ValueError, match="k_eff"):
        dot_refine(LinearCritic([1.0, 0.0]), torch.zeros(2, 2), k_eff=0.0)

"""Fairness networks: the core's MLPs; on tabular data the generator also generates the group
column (a softmax over the groups, one-hot on real rows), so a generated row carries its group."""

from __future__ import annotations

import torch
from torch import Tensor

from wgan_core.models import Generator, MLPCritic, MLPGenerator

from .config import FairnessConfig


class GroupColumnGenerator(Generator):
    """An MLP generator whose last ``n_groups`` outputs go through a softmax: the generated
    group column, relaxed to probabilities so that gradients pass (as tabular GANs do)."""

    def __init__(self, latent_dim: int, n_features: int, n_groups: int, hidden: int,
                 depth: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.n_features = n_features
        self.mlp = MLPGenerator(latent_dim, n_features + n_groups, hidden=hidden, depth=depth)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        out = self.mlp(z)
        return torch.cat([out[:, :self.n_features], out[:, self.n_features:].softmax(dim=1)],
                         dim=1)


def build_models(config: FairnessConfig, n_features: int, n_groups: int = 0
                 ) -> tuple[Generator, MLPCritic]:
    """Generator and critic; ``n_groups`` > 0 adds the generated group column."""
    if n_groups:
        generator: Generator = GroupColumnGenerator(config.latent_dim, n_features, n_groups,
                                                    config.hidden, config.depth)
    else:
        generator = MLPGenerator(config.latent_dim, n_features, hidden=config.hidden,
                                 depth=config.depth)
    critic = MLPCritic(n_features + n_groups, hidden=config.hidden, depth=config.depth)
    return generator, critic

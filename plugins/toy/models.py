"""Toy networks: the MLPs of the WGAN-GP toy experiments, from the core."""

from __future__ import annotations

from wgan_core.models import MLPCritic, MLPGenerator

from .config import ToyConfig


def build_models(config: ToyConfig, dim: int) -> tuple[MLPGenerator, MLPCritic]:
    """Generator (latent -> point) and critic (point -> score) MLPs of the configured size."""
    generator = MLPGenerator(config.latent_dim, dim, hidden=config.hidden, depth=config.depth)
    critic = MLPCritic(dim, hidden=config.hidden, depth=config.depth)
    return generator, critic

"""Federated networks: the toy's MLPs from the core, and how their weights travel in Flower's
ArrayRecord (one record, keys prefixed by part: Flower's strategies need every reply to hold
exactly one ArrayRecord with the same keys)."""

from __future__ import annotations

from typing import Any, Mapping

from torch import Tensor

from wgan_core.models import MLPCritic, MLPGenerator

from .config import FederatedConfig


def build_models(config: FederatedConfig, dim: int) -> tuple[MLPGenerator, MLPCritic]:
    """Generator (latent -> point) and critic (point -> score) MLPs of the configured size."""
    generator = MLPGenerator(config.latent_dim, dim, hidden=config.hidden, depth=config.depth)
    critic = MLPCritic(dim, hidden=config.hidden, depth=config.depth)
    return generator, critic


def flatten_parts(parts: Mapping[str, Mapping[str, Tensor]]) -> dict[str, Tensor]:
    """{"generator": sd, "critic": sd} -> {"generator.net.0.weight": t, ...}."""
    return {f"{part}.{key}": value.detach().cpu() for part, sd in parts.items()
            for key, value in sd.items()}


def split_parts(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The inverse of ``flatten_parts``."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        part, _, rest = key.partition(".")
        out.setdefault(part, {})[rest] = value
    return out


def expected_shapes(config: FederatedConfig, dim: int, parts: tuple[str, ...]
                    ) -> dict[str, tuple[int, ...]]:
    """Key -> shape of every array a valid reply carries."""
    generator, critic = build_models(config, dim)
    sds = {"generator": generator.state_dict(), "critic": critic.state_dict()}
    return {k: tuple(v.shape) for k, v in flatten_parts({p: sds[p] for p in parts}).items()}

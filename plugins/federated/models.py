"""Federated networks: the toy's MLPs from the core, and how their weights travel in Flower's
ArrayRecord (one record, keys prefixed by part: Flower's strategies need every reply to hold
exactly one ArrayRecord with the same keys)."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor

from wgan_core.models import MLPCritic, MLPGenerator

from .config import FederatedConfig


class ClientConditionedGenerator(MLPGenerator):
    """An MLP generator whose latent is (noise, one-hot client index).

    ``sample_latent`` draws the client of each sample from ``client_weights``: a client's own
    trainer sets its one-hot, so it trains only the generator *of its index* against its
    critic; the global model holds the mixture weights (``mixture_weights``), so its samples
    are the mixture of the clients' generators. Averaging then shares one network without
    forcing one output distribution on every client: each client's loss is minimised by its
    own data, and the sum of clients' distances no longer has a minimiser between their
    modes. The weights are a non-persistent buffer: not in the state dict, so they neither
    travel in Flower's messages nor get averaged."""

    def __init__(self, noise_dim: int, dim: int, n_clients: int, hidden: int = 256,
                 depth: int = 3) -> None:
        super().__init__(noise_dim + n_clients, dim, hidden=hidden, depth=depth)
        self.noise_dim, self.n_clients = noise_dim, n_clients
        self.register_buffer("client_weights", torch.full((n_clients,), 1.0 / n_clients),
                             persistent=False)

    def set_client(self, client: int) -> "ClientConditionedGenerator":
        """Sample only client ``client``'s index (a client's own trainer)."""
        self.client_weights.zero_()[client] = 1.0
        return self

    def set_mixture(self, weights: Sequence[float] | Tensor) -> "ClientConditionedGenerator":
        """Sample client indices in proportion to ``weights``."""
        w = torch.as_tensor(weights, dtype=torch.float32)
        if w.shape != (self.n_clients,) or (w < 0).any() or not w.sum() > 0:
            raise ValueError(f"need {self.n_clients} non-negative client weights, not all "
                             f"zero; got {w.tolist()}")
        self.client_weights.copy_(w / w.sum())
        return self

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        noise = torch.randn(n, self.noise_dim, generator=generator)
        client = torch.multinomial(self.client_weights.cpu(), n, replacement=True,
                                   generator=generator)
        z = torch.cat([noise, torch.nn.functional.one_hot(client, self.n_clients).float()],
                      dim=1)
        return z.to(device if device is not None else self._device())


def client_weight(n: int, weighting: str) -> float:
    """A client's aggregation weight: FedAvg's n, uniform 1, or sqrt(n)."""
    if weighting == "samples":
        return float(n)
    if weighting == "sqrt":
        return math.sqrt(n)
    return 1.0


def mixture_weights(sizes: Sequence[int], weighting: str) -> Tensor:
    """The mixture of the clients' data a run aims at, as client shares: the weights it
    averages the clients with (``client_weight``), normalised."""
    w = torch.tensor([client_weight(n, weighting) for n in sizes], dtype=torch.float64)
    return (w / w.sum()).float()


def build_models(config: FederatedConfig, dim: int, n_clients: int
                 ) -> tuple[MLPGenerator, MLPCritic]:
    """Generator (latent -> point) and critic (point -> score) MLPs of the configured size;
    with ``client_conditioned`` the generator also takes the client index (uniform mixture
    until ``set_client`` or ``set_mixture``)."""
    if config.client_conditioned:
        generator: MLPGenerator = ClientConditionedGenerator(
            config.latent_dim, dim, n_clients, hidden=config.hidden, depth=config.depth)
    else:
        generator = MLPGenerator(config.latent_dim, dim, hidden=config.hidden,
                                 depth=config.depth)
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

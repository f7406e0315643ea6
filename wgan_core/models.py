"""The generator and critic seams, and small MLP versions for vector data.

A generator is an ``nn.Module`` with ``forward(z, cond=None)``. If its input is a latent it
sets ``latent_dim`` and gets ``sample_latent``/``sample``; a generator whose input is data
(a low-resolution image, a source image) sets ``latent_dim = None`` and the data source
supplies its input. A critic is an ``nn.Module`` with ``forward(x, cond=None) -> Tensor[B]``:
one unbounded score per sample, no sigmoid and no batch normalization.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import Tensor, nn

from .tensors import Sample


class Generator(nn.Module):
    """Base class of generators."""

    #: Size of the latent input, or None when the input is data supplied by the batch.
    latent_dim: int | None = None

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Sample:  # pragma: no cover
        raise NotImplementedError

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        """Standard normal latents (drawn on the CPU so results do not depend on the device)."""
        if self.latent_dim is None:
            raise TypeError(f"{type(self).__name__} takes data, not a latent")
        z = torch.randn(n, self.latent_dim, generator=generator)
        return z.to(device if device is not None else self._device())

    @torch.no_grad()
    def sample(self, n: int, cond: Tensor | None = None,
               generator: torch.Generator | None = None) -> Sample:
        """n samples from the latent prior, without gradients."""
        return self(self.sample_latent(n, generator), cond)

    def _device(self) -> torch.device:
        for p in self.parameters():
            return p.device
        return torch.device("cpu")


class Critic(nn.Module):
    """Base class of critics: ``forward(x, cond=None)`` returns one real score per sample."""

    def forward(self, x: Sample, cond: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block the module's parameters take no gradients (inputs still do); each
    parameter's ``requires_grad`` is restored afterwards, even on error."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


def mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers with activations between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPGenerator(Generator):
    """Latent -> vector through an MLP (the WGAN-GP toy generator).

    ``latent_dim``: size of the latent z (``sample`` draws it from N(0, I)); ``out_dim``: size
    of one generated sample; ``hidden`` units in each of ``depth`` hidden ReLU layers;
    ``cond_dim``: size of a condition concatenated to z (0: unconditional)."""

    def __init__(self, latent_dim: int, out_dim: int, hidden: int = 256, depth: int = 3,
                 cond_dim: int = 0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.out_dim = out_dim
        self.cond_dim = cond_dim
        self.net = mlp([latent_dim + cond_dim] + [hidden] * depth + [out_dim])

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is not None:
            z = torch.cat([z, cond], dim=1)
        return self.net(z)


class MLPCritic(Critic):
    """Vector -> score through an MLP with ReLU (1-Lipschitz) activations.

    ``in_dim``: size of one sample; ``hidden`` units in each of ``depth`` hidden layers;
    ``cond_dim``: size of a condition concatenated to the sample (0: unconditional). No
    normalization layer: the constraint (the Trainer's) keeps it Lipschitz."""

    def __init__(self, in_dim: int, hidden: int = 256, depth: int = 3, cond_dim: int = 0) -> None:
        super().__init__()
        self.net = mlp([in_dim + cond_dim] + [hidden] * depth + [1])

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is not None:
            x = torch.cat([x, cond], dim=1)
        return self.net(x).squeeze(-1)

"""Small critics with known slopes, shared by tests that check what a critic's slope does."""

from __future__ import annotations

import torch
from torch import nn


class LinearCritic(nn.Module):
    """critic(x) = x . w with a fixed w: slope ||w|| everywhere, along w (on a graph space,
    a potential with value w[v] at node v)."""

    def __init__(self, w: list[float]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return x @ self.w

"""Toy pictures: real vs generated points over the critic's contour (WGAN-GP paper style)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import Tensor

from wgan_core.plots import pyplot, save_figure


@torch.no_grad()
def plot_samples_over_critic(real: Tensor, panels: list[tuple[str, Tensor]],
                             critic: Callable[[Tensor], Tensor], scale: float, out_png: Path,
                             title: str = "") -> Path:
    """Scatter real (orange) and generated (green) points over the critic's level sets, one
    panel per (label, points) pair (raw samples, and DOT-refined ones when there are some)."""
    plt = pyplot()
    both = torch.cat([real] + [points for _, points in panels])
    lo = torch.quantile(both, 0.005, dim=0) - 0.5
    hi = torch.quantile(both, 0.995, dim=0) + 0.5
    xs = torch.linspace(float(lo[0]), float(hi[0]), 160)
    ys = torch.linspace(float(lo[1]), float(hi[1]), 160)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    values = critic(grid * scale).reshape(gx.shape)
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 6), squeeze=False)
    for ax, (label, fake) in zip(axes[0], panels):
        contour = ax.contourf(gx.numpy(), gy.numpy(), values.numpy(), levels=30, cmap="Blues")
        ax.scatter(real[:, 0], real[:, 1], s=3, c="tab:orange", alpha=0.5, label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=3, c="tab:green", alpha=0.5, label=label)
        ax.set_xlim(float(lo[0]), float(hi[0]))
        ax.set_ylim(float(lo[1]), float(hi[1]))
        ax.set_aspect("equal")
        ax.legend(loc="upper right", markerscale=4)
        ax.set_title(f"{title}: {label}" if title else label)
    fig.colorbar(contour, ax=list(axes[0]), shrink=0.8, label="critic value")
    return save_figure(fig, out_png, dpi=110, tight=False)

"""Configuration of the toy plugin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgan_core.config import ConfigError, TrainConfig, option


@dataclass
class ToyConfig(TrainConfig):
    """Toy 2-D distributions (the WGAN-GP and PacGAN benchmarks)."""

    # Defaults chosen by measurement on grid25 (seed 0, 3000 steps; see README "Results"):
    # a linear decay is essential (constant lr: 8/25 modes), latent 8 and lr 1e-3 gave
    # 25/25 modes and the lowest W1, and the EMA of G made no measurable difference here.
    steps: int = option(3000, "Generator steps to train for.")
    lr_g: float = option(1e-3, "Generator learning rate.")
    lr_c: float = option(1e-3, "Critic learning rate.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule: constant, or linear decay to zero.")
    ema_decay: float = option(
        0.0, "Decay of the generator's exponential moving average used for sampling and "
        "evaluation (0 disables).")
    log_every: int = option(100, "Write a row of log.csv every k generator steps.")
    dataset: Literal["ring8", "grid25", "swissroll"] = option(
        "grid25", "Built-in distribution (ignored when --data is given).")
    data: Path | None = option(None, "CSV of points to learn instead (one row per point, "
                                     "numeric columns, optional header).")
    latent_dim: int = option(8, "Latent dimension.")
    hidden: int = option(256, "Hidden units per layer of both MLPs.")
    depth: int = option(3, "Hidden layers of both MLPs.")
    normalize: bool = option(True, "Feed the networks data divided by its standard deviation "
                                   "(the space's scale keeps the critic 1-Lipschitz in data units).")
    n_eval: int = option(2500, "Generated samples for the evaluation (PacGAN uses 2500).")

    def validate(self) -> None:
        super().validate()
        for name in ("latent_dim", "hidden", "depth"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.n_eval < 10:
            raise ConfigError(f"n_eval must be at least 10, got {self.n_eval}")

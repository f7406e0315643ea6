"""Configuration of the fairness plugin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgan_core.config import ConfigError, ConstraintName, TrainConfig, option


@dataclass
class FairnessConfig(TrainConfig):
    """Data with a sensitive group attribute, one group under-represented."""

    # Training settings as the toy plugin measured them on grid25 (one-sided penalty, Adam 1e-3
    # with linear decay, no EMA), with smaller networks and fewer steps so that a default run
    # stays within minutes on two cores (README "Results").
    steps: int = option(1500, "Generator steps to train for.")
    constraint: ConstraintName = option(
        "lp", "Lipschitz constraint: gradient penalty, spectral norm, weight clipping, "
        "one-sided penalty (WGAN-LP; the default) or none.")
    lr_g: float = option(1e-3, "Generator learning rate.")
    lr_c: float = option(1e-3, "Critic learning rate.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule: constant, or linear decay to zero.")
    ema_decay: float = option(0.0, "Decay of the generator's EMA for sampling (0 disables).")
    log_every: int = option(100, "Write a row of log.csv every k generator steps.")
    dataset: Literal["grid25-groups", "digits"] = option(
        "grid25-groups", "Built-in data (ignored when --data is given): grid25 with its right "
        "column of 5 modes as the minority group, or the 8x8 digits with 5-9 as the minority.")
    data: Path | None = option(None, "CSV of points with a header row and a group column.")
    group_column: str | None = option(None, "The CSV column holding each point's group.")
    label_column: str | None = option(
        None, "A CSV column holding a label: reweighting then uses Kamiran & Calders' "
        "w(s, y) = P_target(s) P(y) / P(s, y).")
    minority_share: float = option(
        0.1, "Share of the minority group in the built-in training data.")
    n_train: int = option(20000, "Training points drawn from grid25-groups.")
    reweight: Literal["none", "inverse-frequency", "target"] = option(
        "inverse-frequency", "Weights on the real expectation: none, inverse-frequency "
        "(groups count equally) or target (groups count as --target-proportions).")
    target_proportions: str | None = option(
        None, "Target group shares, 'name=0.3,other=0.7' or '0.3,0.7' in group order "
        "(default: uniform); the audit measures against them.")
    # Off by default: on both built-in data sets it bought no coverage over reweighting
    # alone and cost some on digits (README "Results"); it does hold the minority's slope.
    group_penalty: bool = option(
        False, "Compute the gradient penalty per group and average over groups.")
    latent_dim: int = option(8, "Latent dimension.")
    hidden: int = option(128, "Hidden units per layer of both MLPs.")
    depth: int = option(3, "Hidden layers of both MLPs.")
    n_eval: int = option(5000, "Generated samples for the audit at the end of the run.")
    knn_k: int = option(5, "k of the k-NN coverage and precision.")

    def validate(self) -> None:
        super().validate()
        for name in ("latent_dim", "hidden", "depth", "knn_k"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.minority_share < 1:
            raise ConfigError(f"minority_share must be in (0, 1), got {self.minority_share}")
        if self.n_train < 100:
            raise ConfigError(f"n_train must be at least 100, got {self.n_train}")
        if self.n_eval <= 2 * self.knn_k:
            raise ConfigError(f"n_eval must be more than 2 * knn_k, got {self.n_eval}")
        if self.reweight == "target" and not self.target_proportions:
            raise ConfigError("reweight 'target' needs --target-proportions")
        if self.reweight == "inverse-frequency" and self.target_proportions:
            raise ConfigError("reweight 'inverse-frequency' makes the groups count equally; use "
                              "--reweight target with --target-proportions")
        if self.group_penalty and self.constraint not in ("gp", "lp"):
            raise ConfigError(f"group_penalty needs a gradient penalty (constraint gp or lp), "
                              f"not '{self.constraint}'")
        if self.data is not None and not self.group_column:
            raise ConfigError("data needs --group-column (the column holding each point's group)")
        if self.data is None and (self.group_column or self.label_column):
            raise ConfigError("group_column and label_column apply to --data only")

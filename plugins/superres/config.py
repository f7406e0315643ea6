"""Options of ``wgan run superres`` (the shared training options plus the SR ones)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgan_core.config import ConstraintName, TrainConfig, option
from wgan_core.errors import ConfigError


@dataclass
class SuperResConfig(TrainConfig):
    """Two phases: ``pretrain_steps`` of L1 (pixel loss), then ``steps`` of WGAN fine-tuning."""

    # Shared options with defaults that suit SR on a CPU (tuned for a <=10 min default run).
    steps: int = option(400, "Adversarial fine-tuning steps (phase 2).")
    batch_size: int = option(16, "HR patches per batch.")
    n_critic: int = option(1, "Critic steps per generator step (phase 2).")
    lr_g: float = option(5e-5, "Generator learning rate in the adversarial phase.")
    lr_c: float = option(4e-4, "Critic learning rate.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule of both phases: constant, or linear decay to zero.")
    # The two-sided penalty and an EMA of 0.999 were the core's shared defaults this plugin
    # was measured with; declared here so that its runs stay as they were when the core's
    # defaults became the low-dimensional recipe (lp, no EMA).
    constraint: ConstraintName = option(
        "gp", "Lipschitz constraint: gradient penalty (superres's default), spectral norm, "
        "weight clipping, one-sided penalty (WGAN-LP) or none.")
    ema_decay: float = option(
        0.999, "Decay of the generator's exponential moving average used for sampling and "
        "evaluation (0 disables).")
    log_every: int = option(50, "Write a row of the CSV logs every k steps.")
    checkpoint_every: int = option(250, "Write a checkpoint every k steps (both phases).")

    # Super-resolution options.
    scale: int = option(4, "Upscaling factor: 2 or 4.")
    patch_size: int = option(96, "Side of the high-resolution training patches (pixels).")
    pretrain_steps: int = option(3000, "Pixel-loss (L1) steps before the adversarial phase.")
    pretrain_lr: float = option(2e-3, "Generator learning rate of the L1 phase.")
    adv_weight: float = option(
        2e-3, "Weight of the adversarial loss against the L1 content loss in phase 2.")
    channels: int = option(32, "Feature channels of the generator.")
    blocks: int = option(8, "Residual blocks of the generator.")
    critic_channels: int = option(16, "Channels of the critic's first layer (doubling twice).")
    critic_highpass: bool = option(
        True, "The critic judges only detail above the low-res band: x - bicubic_up(down(x)).")
    augment: bool = option(
        False, "Adaptive augmentation of the critic's inputs (ADA-style, kornia).")
    augment_target: float = option(
        0.6, "ADA target of the overfitting signal r = 2 P(D(real) > D(fake)) - 1.")
    data: Path | None = option(
        None, "Folder of training images (png, jpg, jpeg, bmp, tif; recursive). "
        "Default: photos shipped with scikit-image and scikit-learn.")
    test_data: Path | None = option(
        None, "Folder of held-out images to evaluate on (default: a fixed split of the data).")
    tile: int = option(128, "Low-resolution tile side for evaluation and `wgan apply`.")

    def validate(self) -> None:
        super().validate()
        if self.scale not in (2, 4):
            raise ConfigError(f"scale must be 2 or 4, got {self.scale}")
        if self.patch_size < 8 * self.scale or self.patch_size % self.scale:
            raise ConfigError(f"patch_size must be a multiple of scale {self.scale} and at "
                              f"least {8 * self.scale}, got {self.patch_size}")
        if self.pretrain_steps < 0:
            raise ConfigError(f"pretrain_steps must be >= 0, got {self.pretrain_steps}")
        for name in ("channels", "blocks", "critic_channels", "tile"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.pretrain_lr > 0:
            raise ConfigError(f"pretrain_lr must be positive, got {self.pretrain_lr}")
        if self.adv_weight < 0:
            raise ConfigError(f"adv_weight must be >= 0, got {self.adv_weight}")
        if not 0 < self.augment_target < 1:
            raise ConfigError(f"augment_target must be in (0, 1), got {self.augment_target}")

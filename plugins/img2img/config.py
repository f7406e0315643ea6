"""Options of ``wgan run img2img`` (the shared training options plus the translation ones)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgan_core.config import ConstraintName, TrainConfig, option
from wgan_core.errors import ConfigError


@dataclass
class Img2ImgConfig(TrainConfig):
    """Two phases: ``pretrain_steps`` of L1 only, then ``steps`` of L1 + Wasserstein loss."""

    # Shared options with defaults that suit a CPU (a default run of a few minutes).
    steps: int = option(600, "Adversarial steps (phase 2: L1 + adv_weight x Wasserstein loss).")
    batch_size: int = option(8, "Training pairs (crops) per batch.")
    n_critic: int = option(1, "Critic steps per generator step (phase 2).")
    lr_g: float = option(2e-5, "Generator learning rate in the adversarial phase.")
    lr_c: float = option(2e-4, "Critic learning rate.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule of both phases: constant, or linear decay to zero.")
    # The two-sided penalty and an EMA of 0.999 were the core's shared defaults this plugin
    # was measured with; declared here so that its runs stay as they were when the core's
    # defaults became the low-dimensional recipe (lp, no EMA).
    constraint: ConstraintName = option(
        "gp", "Lipschitz constraint: gradient penalty (img2img's default), spectral norm, "
        "weight clipping, one-sided penalty (WGAN-LP) or none.")
    ema_decay: float = option(
        0.999, "Decay of the generator's exponential moving average used for sampling and "
        "evaluation (0 disables).")
    log_every: int = option(50, "Write a row of the CSV logs every k steps.")
    checkpoint_every: int = option(250, "Write a checkpoint every k steps (both phases).")

    # Translation options.
    task: Literal["edges2photo", "colorize"] = option(
        "edges2photo", "Embedded task (without --data/--data-a): Canny edges -> photo, or "
        "greyscale -> colour.")
    data: Path | None = option(
        None, "Folder of aligned pairs in pix2pix's format: each file is A|B side by side, in "
        "train/ and test/ (or val/) subfolders.")
    direction: Literal["AtoB", "BtoA"] = option(
        "AtoB", "Which half of an aligned --data file is the source (AtoB: the left one).")
    data_a: Path | None = option(
        None, "Folder of source images, paired with --data-b by file name (every 5th pair "
        "held out).")
    data_b: Path | None = option(None, "Folder of target images, paired with --data-a.")
    crop_size: int = option(64, "Side of the square training crops (a multiple of 16 >= 32); "
                            "the U-Net's depth is fitted to it.")
    pretrain_steps: int = option(1500, "L1-only steps before the adversarial phase (0: none).")
    pretrain_lr: float = option(2e-4, "Generator learning rate of the L1 phase (pix2pix's 2e-4).")
    l1_weight: float = option(100.0, "Weight lambda of the L1 loss (pix2pix: 100).")
    adv_weight: float = option(1.0, "Weight of the Wasserstein loss against lambda x L1.")
    condition_penalty: float = option(
        0.0, "Extra penalty on the critic's squared gradient norm w.r.t. the source image, at "
        "the gradient penalty's points (gp, lp only; 0: off).")
    channels: int = option(16, "Feature channels of the U-Net's first layer (doubling, "
                           "capped at 8x).")
    critic_channels: int = option(16, "Channels of the PatchGAN critic's first layer "
                                  "(doubling to 8x).")
    norm: Literal["none", "instance"] = option(
        "none", "Normalization in the U-Net: none (tile-independent outputs) or instance.")
    upsample: Literal["transposed", "resize", "pixelshuffle"] = option(
        "resize", "U-Net decoder: nearest x2 + 3x3 conv (no checkerboard; the lowest SWD on "
        "both tasks, README); pix2pix's 4x4 transposed convs; or 3x3 conv + pixel shuffle "
        "with ICNR initialisation.")
    critic_view: Literal["rgb", "chroma"] = option(
        "rgb", "What the critic sees of a target besides the source: rgb, or chroma (YCbCr's "
        "Cb, Cr: for colourization, where the source fixes the luma and L1 alone keeps it).")
    dropout: float = option(0.5, "Dropout in the three innermost decoder blocks (pix2pix's "
                            "noise source).")
    tile: int = option(192, "Tile side for evaluation and `wgan apply` (a multiple of 16).")

    def validate(self) -> None:
        super().validate()
        if self.crop_size < 32 or self.crop_size % 16:
            raise ConfigError(f"crop_size must be a multiple of 16 and at least 32, got "
                              f"{self.crop_size}")
        if not self.pretrain_lr > 0:
            raise ConfigError(f"pretrain_lr must be positive, got {self.pretrain_lr}")
        if self.pretrain_steps < 0:
            raise ConfigError(f"pretrain_steps must be >= 0, got {self.pretrain_steps}")
        for name in ("channels", "critic_channels"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.tile < 16 or self.tile % 16:
            raise ConfigError(f"tile must be a multiple of 16, got {self.tile}")
        for name in ("l1_weight", "adv_weight", "condition_penalty"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.data is not None and (self.data_a is not None or self.data_b is not None):
            raise ConfigError("give either --data (aligned A|B files) or --data-a with "
                              "--data-b, not both")
        if (self.data_a is None) != (self.data_b is None):
            raise ConfigError("--data-a and --data-b go together (sources and targets)")
        if self.condition_penalty > 0 and self.constraint not in ("gp", "lp"):
            raise ConfigError(f"condition_penalty needs a gradient penalty (constraint gp or "
                              f"lp), not '{self.constraint}'")

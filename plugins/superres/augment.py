"""Adaptive augmentation of the critic's inputs (ADA-style, Karras et al. 2020), with kornia.

Each critic input (real, fake and penalty points alike) is independently flipped, rotated by a
multiple of 90 degrees, shifted by up to 1/8 of its side and colour-jittered, each with
probability p. All ops are differentiable, so the gradient penalty still sees the critic's
true input slope. Kornia draws from torch's global RNG, which the core trainer saves in its
checkpoints, so a resumed run with augmentation on continues the same random stream.

The heuristic that moves p (documented in the README): every ``interval`` steps the critic
scores a fresh batch of real patches and of fakes. Its overfitting signal is

    r = 2 P(D(real) > D(fake)) - 1      (over all real/fake pairs of the batch)

the WGAN analogue of ADA's E[sign(D(x))]. A WGAN critic has no fixed zero, and its scores of
real patches spread widely (textured patches score far higher than flat ones), so a
sign-around-a-threshold signal stays near 0 even for a critic that separates well; the pairwise
rank form does not depend on a threshold or on the spread. r -> 1 when every real patch
outscores every fake, r -> 0 when the critic cannot tell them apart. p rises by
``interval * batch / speed_images`` when r > target and falls by the same amount otherwise,
clamped to [0, 0.8].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from kornia import augmentation as K
from torch import Tensor, nn

from wgan_core.callbacks import Callback
from wgan_core.data import DataSource

if TYPE_CHECKING:  # pragma: no cover
    from wgan_core.trainer import Trainer


def augment(x: Tensor, p: float) -> Tensor:
    """x with each kornia op applied per sample with probability p."""
    ops = nn.Sequential(
        K.RandomHorizontalFlip(p=p),
        K.RandomRotation90(times=(0, 3), p=p),
        K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), padding_mode="reflection", p=p),
        K.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, p=p),
    )
    return ops(x)


class AdaptiveAugment(Callback):
    """Moves the critic's ``augment_p`` toward the overfitting target (see module docstring)."""

    def __init__(self, data: DataSource, batch_size: int, target: float = 0.6,
                 interval: int = 4, speed_images: float = 5000.0, seed: int = 0) -> None:
        self.data = data
        self.batch_size = batch_size
        self.target = target
        self.interval = interval
        self.speed = speed_images
        self.rng = torch.Generator().manual_seed(seed + 7919)  # own stream: trainer's untouched
        self.last_r = float("nan")

    def on_step_end(self, trainer: "Trainer", step: int, stats: dict[str, float]) -> None:
        if step % self.interval or trainer.critic is None:
            return
        critic = trainer.critic
        batch = self.data(self.batch_size, self.rng).to(trainer.device)
        with torch.no_grad():
            was_training = critic.training
            critic.eval()  # score un-augmented inputs
            real = critic(batch.real)
            fake = critic(trainer.generator(batch.gen_input))
            critic.train(was_training)
        self.last_r = float(2 * (real[:, None] > fake[None, :]).float().mean() - 1)
        step_size = self.interval * self.batch_size / self.speed
        p = critic.augment_p  # type: ignore[union-attr]
        p.add_(step_size if self.last_r > self.target else -step_size).clamp_(0.0, 0.8)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "rng" in state:
            self.rng.set_state(state["rng"])

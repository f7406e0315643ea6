from types import SimpleNamespace

import torch
from torch import nn

from wgan_core.data import Batch
from wgan_plugins.superres.augment import AdaptiveAugment, augment


class MeanCritic(nn.Module):
    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain
        self.register_buffer("augment_p", torch.zeros(()))

    def forward(self, x: torch.Tensor, cond=None) -> torch.Tensor:
        return self.gain * x.mean(dim=(1, 2, 3))


def source(batch_size: int, generator: torch.Generator) -> Batch:
    real = 0.5 + 0.5 * torch.rand(batch_size, 3, 8, 8, generator=generator)
    return Batch(real=real, gen_input=torch.zeros(batch_size, 3, 4, 4))


def test_probability_rises_when_critic_separates_and_falls_when_not() -> None:
    fake_gen = lambda lr: torch.zeros(lr.shape[0], 3, 8, 8)  # noqa: E731
    sharp = SimpleNamespace(critic=MeanCritic(1.0), device="cpu", generator=fake_gen)
    ada = AdaptiveAugment(source, batch_size=8, target=0.6, interval=1, speed_images=80)
    for step in range(1, 4):
        ada.on_step_end(sharp, step, {})
    assert ada.last_r == 1.0  # every real patch outscores every fake
    assert float(sharp.critic.augment_p) > 0.25
    blind = SimpleNamespace(critic=MeanCritic(0.0), device="cpu", generator=fake_gen)
    blind.critic.augment_p.fill_(0.05)
    ada.on_step_end(blind, 4, {})
    assert ada.last_r == -1.0 and float(blind.critic.augment_p) == 0.0


def test_augment_keeps_shape_and_gradient() -> None:
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    y = augment(x, 1.0)
    assert y.shape == x.shape and not torch.equal(y, x)
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(augment(x, 0.0), x)

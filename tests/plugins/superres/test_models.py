import pytest
import torch

from wgan_plugins.superres.data import upscale_bicubic
from wgan_plugins.superres.models import SRCritic, SRGenerator


@pytest.mark.parametrize("scale", [2, 4])
def test_generator_and_critic_shapes(scale: int) -> None:
    torch.manual_seed(0)
    g = SRGenerator(scale, channels=8, blocks=2)
    lr = torch.rand(3, 3, 10, 14)
    hr = g(lr)
    assert hr.shape == (3, 3, 10 * scale, 14 * scale)
    scores = SRCritic(8)(hr)
    assert scores.shape == (3,)
    assert g.latent_dim is None


def test_generator_starts_at_bicubic_and_learns_a_residual() -> None:
    torch.manual_seed(0)
    g = SRGenerator(4, channels=8, blocks=1)
    lr = torch.rand(2, 3, 8, 8)
    # Zero-initialised last conv: the untrained model is exactly the bicubic baseline...
    torch.testing.assert_close(g(lr).clamp(0, 1), upscale_bicubic(lr, 4))
    # ...and one gradient step moves it away from it.
    loss = (g(lr) - torch.rand(2, 3, 32, 32)).abs().mean()
    loss.backward()
    assert g.tail[0].weight.grad.abs().sum() > 0


def test_wrong_scale_rejected() -> None:
    with pytest.raises(ValueError, match="scale"):
        SRGenerator(3)


def test_critic_has_no_batch_norm() -> None:
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for m in SRCritic(8).modules())
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for m in SRGenerator(2, 8, 2).modules())


def test_highpass_critic_ignores_the_low_resolution_band() -> None:
    torch.manual_seed(0)
    critic = SRCritic(8, highpass_scale=4)
    x = torch.rand(2, 3, 32, 32)
    shifted = (x + 0.1).clamp(max=1.5)  # a uniform brightness change lives in the LR band
    torch.testing.assert_close(critic(shifted), critic(x), atol=1e-5, rtol=0)
    plain = SRCritic(8)
    assert (plain(shifted) - plain(x)).abs().max() > 1e-4

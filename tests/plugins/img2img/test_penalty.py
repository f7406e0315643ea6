from dataclasses import replace

import pytest
import torch

from wgan_core.config import build_config
from wgan_core.errors import ConfigError
from wgan_core.spaces import EuclideanSpace
from wgan_plugins.img2img.config import Img2ImgConfig
from wgan_plugins.img2img.models import PatchCritic
from wgan_plugins.img2img.plugin import make_constraint


class Recorder(torch.nn.Module):
    """A critic that remembers what the penalty scored."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = PatchCritic(channels=2)
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x, cond=None):
        self.calls.append((x.detach().clone(), cond.detach().clone()))
        return self.inner(x, cond)


def test_interpolates_share_their_source() -> None:
    """Each penalty point lies between the real and the generated target of one source, and
    the critic scores it with that same source."""
    real, fake, cond = torch.rand(3, 4, 3, 32, 32).unbind(0)
    critic = Recorder()
    constraint = make_constraint(build_config(Img2ImgConfig, {}))
    constraint.penalty(critic, real, fake, cond, EuclideanSpace(), torch.Generator().manual_seed(0))
    (points, scored_cond), = critic.calls
    assert torch.equal(scored_cond, cond)
    for i in range(4):  # points[i] = real[i] + t (fake[i] - real[i]) with one t per sample
        t = ((points[i] - real[i]) / (fake[i] - real[i])).flatten()
        assert 0 <= float(t.median()) <= 1
        torch.testing.assert_close(points[i], real[i] + t.median() * (fake[i] - real[i]))


def test_condition_penalty_adds_the_gradient_wrt_the_source() -> None:
    real, fake, cond = torch.rand(3, 4, 3, 32, 32).unbind(0)
    critic = PatchCritic(channels=2)
    base = build_config(Img2ImgConfig, {})
    values = []
    for weight in (0.0, 5.0):
        c = make_constraint(replace(base, condition_penalty=weight))
        values.append(float(c.penalty(critic, real, fake, cond, EuclideanSpace(),
                                      torch.Generator().manual_seed(0)).detach()))
    assert values[1] > values[0]
    with pytest.raises(ConfigError, match="condition_penalty"):
        build_config(Img2ImgConfig, {"condition_penalty": 1.0, "constraint": "sn"})

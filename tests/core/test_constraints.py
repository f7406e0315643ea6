"""The Lipschitz machinery does what the theory says (property tests that could fail)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan_core.config import TrainConfig
from wgan_core.constraints import (GradientPenalty, SpectralNormalization, WeightClipping,
                                   ZeroCentredPenalty, make_constraint)
from wgan_core.critic_fit import fit_critic
from wgan_core.data import Batch
from wgan_core.models import MLPCritic
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer


def two_blobs(shift: float, scale: float = 1.0):
    """Two Gaussian blobs |shift| apart, the whole picture multiplied by scale."""
    def real(g): return scale * torch.randn(256, 2, generator=g) * 0.3
    def fake(g): return scale * (torch.randn(256, 2, generator=g) * 0.3 + torch.tensor([shift, 0.0]))
    return real, fake


class Linear(nn.Module):
    """f(x) = w . x + b: its slope is |w| everywhere, so the penalized objective is convex."""

    def __init__(self) -> None:
        super().__init__()
        self.f = nn.Linear(2, 1)

    def forward(self, x, cond=None):
        return self.f(x).squeeze(-1)


@pytest.mark.parametrize("one_sided", [False, True], ids=["gp", "lp"])
@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_gradient_penalty_holds_the_slope_at_its_analytic_optimum(scale: float,
                                                                  one_sided: bool) -> None:
    """Fixed real and fake sets whose means are W apart (in data units), a linear critic: the
    penalized objective -s W' + w (s/K - 1)^2 (s the slope, W' = W/K in the critic's units) is
    convex with its minimum at s* = K (1 + W / (2 w)), for the two-sided and the one-sided
    penalty alike (the W term pushes s above K). Convex and converged, so the tolerance is
    the optimizer's, not a machine's."""
    weight, shift = 10.0, 2.0
    space = EuclideanSpace(scale=scale)
    g = torch.Generator().manual_seed(0)
    real = scale * 0.3 * torch.randn(512, 2, generator=g)
    fake = scale * (0.3 * torch.randn(512, 2, generator=g) + torch.tensor([shift, 0.0]))
    w_data = ((real.mean(0) - fake.mean(0)).norm() / scale).item()
    critic = fit_critic(Linear(), lambda _: real, lambda _: fake, constraint=GradientPenalty(weight, one_sided=one_sided),
                        space=space, steps=600, lr=2e-2 / scale, seed=1)
    slopes = space.slopes(lambda x: critic(x), space.interpolate(real, fake, g))
    target = space.target_slope * (1 + w_data / (2 * weight))
    assert space.target_slope == pytest.approx(1.0 / scale)
    assert slopes.mean().item() == pytest.approx(target, rel=1e-3)


def test_gradient_penalty_bounds_an_mlp_critic_near_the_target() -> None:
    """A ReLU MLP critic between two overlapping blobs, trained to a stationary point: its
    slope on the transport paths stays at or below the soft optimum K (1 + W/(2w)), and far
    above what a penalty that failed would leave (0) or allow (unbounded)."""
    scale, weight = 4.0, 50.0
    space = EuclideanSpace(scale=scale)
    real_fn, fake_fn = two_blobs(1.0, scale)
    critic = fit_critic(MLPCritic(2, hidden=64), real_fn, fake_fn, constraint=GradientPenalty(weight),
                        space=space, steps=600, seed=1)
    g = torch.Generator().manual_seed(7)
    slopes = space.slopes(lambda x: critic(x), space.interpolate(real_fn(g), fake_fn(g), g))
    k = space.target_slope
    assert 0.8 * k < slopes.mean().item() <= k * (1 + 1.0 / (2 * weight)) * 1.02
    assert slopes.max().item() < 1.5 * k


def test_gradient_penalty_on_tuple_uses_joint_norm() -> None:
    class TupleCritic(nn.Module):
        def forward(self, x, cond=None):
            a, b = x
            return 3.0 * a.sum(dim=(1, 2)) + 4.0 * b.sum(dim=1)

    space = EuclideanSpace()
    real = (torch.zeros(5, 1, 1), torch.zeros(5, 1))
    fake = (torch.ones(5, 1, 1), torch.ones(5, 1))
    slopes = space.slopes(TupleCritic(), space.interpolate(real, fake))
    assert torch.allclose(slopes, torch.full((5,), 5.0))  # sqrt(3^2 + 4^2)
    penalty = GradientPenalty(1.0).penalty(TupleCritic(), real, fake, None, space)
    assert penalty.item() == pytest.approx(16.0, rel=1e-4)  # (5/1 - 1)^2


def test_one_sided_penalty_ignores_small_slopes() -> None:
    space = EuclideanSpace()
    small = torch.full((8,), 0.5)
    large = torch.full((8,), 2.0)
    lp, gp = GradientPenalty(1.0, one_sided=True), GradientPenalty(1.0)
    assert lp.terms(small, space).sum().item() == 0.0
    assert gp.terms(small, space).mean().item() == pytest.approx(0.25)
    assert lp.terms(large, space).mean().item() == pytest.approx(1.0)


def test_zero_centred_penalty_is_the_squared_slope_at_the_real_points() -> None:
    """R1 on a linear critic f(x) = a.x: w * |a|^2 / K^2 at every real point, whatever the fake."""
    a = torch.tensor([[3.0, -4.0]])  # |a| = 5

    class Linear(nn.Module):
        def forward(self, x, cond=None):  # type: ignore[no-untyped-def]
            return (x * a).sum(dim=1)

    real, fake = torch.randn(16, 2), torch.randn(16, 2) + 10.0
    r1 = ZeroCentredPenalty(0.5)
    assert r1.points(real, fake, EuclideanSpace()).equal(real)
    for scale in (1.0, 2.0):  # EuclideanSpace(scale) has target slope 1/scale
        space = EuclideanSpace(scale=scale)
        got = r1.penalty(Linear(), real, fake, None, space).item()
        assert got == pytest.approx(0.5 * 25.0 * scale**2, rel=1e-6)


@pytest.mark.parametrize("on", ["real", "fake", "mix", "interpolates"])
def test_penalty_points_lie_where_asked(on: str) -> None:
    real, fake = torch.zeros(300, 2), torch.ones(300, 2)
    pts = GradientPenalty(on=on).points(real, fake, EuclideanSpace(), torch.Generator())
    at_real = (pts == 0).all(dim=1).float().mean().item()
    at_fake = (pts == 1).all(dim=1).float().mean().item()
    expected = {"real": (1, 0), "fake": (0, 1), "interpolates": (0, 0)}.get(on)
    if expected is not None:
        assert (at_real, at_fake) == pytest.approx(expected)
    else:
        assert 0.2 < at_real < 0.45 and 0.2 < at_fake < 0.45


def test_spectral_norm_bounds_every_layer_and_the_gradient() -> None:
    space = EuclideanSpace()
    real_fn, fake_fn = two_blobs(3.0)
    critic = fit_critic(MLPCritic(2, hidden=64), real_fn, fake_fn, constraint=SpectralNormalization(),
                        space=space, steps=300, seed=1)
    critic.eval()
    layers = [m for m in critic.modules() if isinstance(m, nn.Linear)]
    assert len(layers) == 4
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item()
        assert sigma <= 1.0 + 1e-3
    g = torch.Generator().manual_seed(3)
    pts = torch.randn(2000, 2, generator=g) * 3
    assert space.slopes(lambda x: critic(x), pts).max().item() <= 1.0 + 1e-3


def test_spectral_norm_scales_to_the_space_target() -> None:
    space = EuclideanSpace(scale=2.0)
    critic = SpectralNormalization().prepare(MLPCritic(2, hidden=32), space).eval()
    pts = torch.randn(500, 2) * 3
    assert space.slopes(lambda x: critic(x), pts).max().item() <= 0.5 + 1e-3


def test_weight_clipping_keeps_every_weight_in_bounds() -> None:
    real_fn, fake_fn = two_blobs(3.0)
    critic = fit_critic(MLPCritic(2, hidden=32), real_fn, fake_fn, constraint=WeightClipping(0.02),
                        space=EuclideanSpace(), steps=50, lr=1e-2, seed=1)
    values = torch.cat([p.detach().flatten() for p in critic.parameters()])
    assert values.abs().max().item() <= 0.02
    assert (values.abs() == 0.02).any()  # the bound was actually reached, so it did work


def test_make_constraint_names() -> None:
    assert isinstance(make_constraint("gp"), GradientPenalty)
    assert make_constraint("lp").one_sided
    assert make_constraint("clip").default_optimizer == "rmsprop"
    with pytest.raises(ValueError):
        make_constraint("bogus")
    assert make_constraint("lp", condition_weight=0.5).condition_weight == 0.5
    with pytest.raises(ValueError, match="needs gp or lp"):
        make_constraint("sn", condition_weight=0.5)


PENALTY_WEIGHT = 100.0


def generator_gradient_at(a: float) -> float:
    """|dL_G/dθ| for a generator that is a point mass at θ = a against real δ0, after the
    critic has been trained to a stationary point (WGAN-GP) between δ0 and δa."""
    torch.manual_seed(0)
    space = EuclideanSpace()
    theta = torch.tensor([a, 0.0])

    def real(g): return torch.zeros(128, 2)
    def fake(g): return theta.expand(128, 2).clone()

    critic = fit_critic(MLPCritic(2, hidden=64), real, fake, constraint=GradientPenalty(PENALTY_WEIGHT),
                        space=space, steps=500, seed=1)
    theta_param = theta.clone().requires_grad_(True)
    loss = -critic(theta_param.unsqueeze(0)).mean()
    (grad,) = torch.autograd.grad(loss, theta_param)
    return grad.norm().item()


@pytest.mark.parametrize("a", [0.5, 2.0, 8.0])
def test_generator_gradient_does_not_vanish_with_distance(a: float) -> None:
    """The WGAN claim for δ0 vs δa: the generator's gradient is the critic's slope, the same
    for every a (a JS-based GAN's vanishes as the supports separate). Under a soft penalty of
    weight w the optimal slope is 1 + a / (2 w) exactly (the convex problem along the
    segment), so that is what a converged critic must give."""
    assert generator_gradient_at(a) == pytest.approx(1 + a / (2 * PENALTY_WEIGHT), rel=0.01)


@pytest.mark.parametrize("one_sided", [False, True], ids=["gp", "lp"])
def test_critic_estimates_a_pure_shift(one_sided: bool) -> None:
    """For Q = P + v, W1(P, Q) = |v| and the optimal critic is linear with slope 1, so a critic
    trained to a stationary point under a soft penalty of weight w estimates
    |v| (1 + |v| / (2 w)) = 2.5625, with the two-sided penalty and the one-sided one (the
    toy's default). Measured on paired samples (Q drawn as P + v) so that sampling noise does
    not enter; 2 % allows for the bias of fitting the critic to finite batches (measured
    under 0.5 % on three seeds)."""
    v = torch.tensor([1.5, -2.0])  # |v| = 2.5
    base = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])

    def real(g):
        idx = torch.randint(0, 3, (256,), generator=g)
        return base[idx] + 0.2 * torch.randn(256, 2, generator=g)

    def fake(g): return real(g) + v

    space, weight = EuclideanSpace(), 50.0
    critic = fit_critic(MLPCritic(2, hidden=64), real, fake, constraint=GradientPenalty(weight, one_sided=one_sided),
                        space=space, steps=800, seed=1)
    p = torch.cat([real(torch.Generator().manual_seed(s)) for s in range(16)])
    with torch.no_grad():
        estimate = (critic(p).mean() - critic(p + v).mean()).item()
    assert estimate == pytest.approx(2.5 * (1 + 2.5 / (2 * weight)), rel=0.02)


def test_trainer_uses_the_constraints_own_penalty() -> None:
    """One penalty path: a constraint that overrides ``penalty`` (and inherits everything
    else from GradientPenalty) is what the trainer's critic step adds to the loss."""
    from wgan_core.models import MLPGenerator

    class Doubled(GradientPenalty):
        def penalty(self, *args, **kwargs):
            return 2.0 * super().penalty(*args, **kwargs)

    def step(constraint) -> float:
        torch.manual_seed(0)
        cfg = TrainConfig(steps=1, batch_size=64, device="cpu", ema_decay=0.0)
        batch = Batch(real=torch.randn(64, 2, generator=torch.Generator().manual_seed(2)))
        tr = Trainer(MLPGenerator(2, 2, hidden=16), MLPCritic(2, hidden=16),
                     lambda n, g: batch, cfg, constraint=constraint)
        return tr.critic_step(batch)["penalty"]

    plain, doubled = step(GradientPenalty(10.0)), step(Doubled(10.0))
    assert plain > 0
    assert doubled == pytest.approx(2 * plain, rel=1e-6)


class SlopeByGroup(nn.Module):
    """critic(x) = c_g . x with the slope c_g chosen by the sample's group (coded in x[:, 0])."""

    def forward(self, x, cond=None):
        slope = torch.where(x[:, 0] > 0, 3.0, 1.5)
        return slope * x[:, 1]


def test_group_penalty_is_the_mean_over_groups_of_each_groups_penalty() -> None:
    """Six samples of group 0 with slope 1.5 and two of group 1 with slope 3 (hand-made):
    the global penalty weighs them 6:2, the per-group one averages the two groups' own
    penalties, (0.5^2 + 2^2) / 2."""
    space = EuclideanSpace()
    sign = torch.tensor([-1.0] * 6 + [1.0] * 2)
    real = torch.stack([sign, torch.zeros(8)], dim=1)
    fake = torch.stack([sign, torch.ones(8)], dim=1)
    groups = torch.tensor([0] * 6 + [1] * 2)
    gp = GradientPenalty(1.0)
    overall = gp.penalty(SlopeByGroup(), real, fake, None, space, torch.Generator())
    by_group = gp.penalty(SlopeByGroup(), real, fake, None, space, torch.Generator(),
                          groups=groups)
    assert overall.item() == pytest.approx((6 * 0.25 + 2 * 4.0) / 8, rel=1e-5)
    assert by_group.item() == pytest.approx((0.25 + 4.0) / 2, rel=1e-5)


def test_condition_penalty_adds_the_gradient_with_respect_to_the_condition() -> None:
    """critic(x, c) = x . (1, 0) + 2 c: slope 1 in x (no sample penalty), 2 in c, so the
    condition term is condition_weight * 2^2."""
    class Critic(nn.Module):
        def forward(self, x, cond=None):
            return x[:, 0] + 2.0 * cond.sum(1)

    space = EuclideanSpace()
    real, fake, cond = torch.zeros(4, 2), torch.ones(4, 2), torch.zeros(4, 1)
    plain = GradientPenalty(10.0).penalty(Critic(), real, fake, cond, space)
    with_cond = GradientPenalty(10.0, condition_weight=0.5).penalty(Critic(), real, fake, cond,
                                                                      space)
    assert plain.item() == pytest.approx(0.0, abs=1e-6)
    assert with_cond.item() == pytest.approx(0.5 * 4.0, rel=1e-5)

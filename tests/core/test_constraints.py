"""The Lipschitz machinery does what the theory says (property tests that could fail)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan_core.config import TrainConfig
from wgan_core.constraints import (GradientPenalty, SpectralNormalization, WeightClipping,
                                   make_constraint)
from wgan_core.data import Batch
from wgan_core.models import MLPCritic
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer


def train_critic(critic: nn.Module, constraint, space, real_fn, fake_fn, steps: int,
                 lr: float = 1e-3) -> nn.Module:
    """Train only the critic between two fixed samplers (the generator plays no part)."""
    critic = constraint.prepare(critic, space)
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        real, fake = real_fn(g), fake_fn(g)
        loss = critic(fake).mean() - critic(real).mean()
        loss = loss + constraint.penalty(critic, real, fake, None, space, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        constraint.after_step(critic)
    return critic


def two_blobs(shift: float, scale: float = 1.0):
    """Two Gaussian blobs |shift| apart, the whole picture multiplied by scale."""
    def real(g): return scale * torch.randn(256, 2, generator=g) * 0.3
    def fake(g): return scale * (torch.randn(256, 2, generator=g) * 0.3 + torch.tensor([shift, 0.0]))
    return real, fake


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_gradient_penalty_drives_slopes_to_target(scale: float) -> None:
    space = EuclideanSpace(scale=scale)
    # At the optimum the two-sided penalty lets the slope exceed K by about W / (2 weight),
    # so a strong weight and a modest distance pin it close to K.
    real_fn, fake_fn = two_blobs(1.0, scale)
    critic = train_critic(MLPCritic(2, hidden=64), GradientPenalty(50.0), space, real_fn,
                          fake_fn, steps=400)
    g = torch.Generator().manual_seed(7)
    pts = space.interpolate(real_fn(g), fake_fn(g), g)
    slopes = space.slopes(lambda x: critic(x), pts)
    target = 1.0 / scale
    assert space.target_slope == pytest.approx(target)
    assert slopes.mean().item() == pytest.approx(target, rel=0.05)
    assert slopes.max().item() < 1.3 * target


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
    assert lp.penalty_from_slopes(small, space).item() == 0.0
    assert gp.penalty_from_slopes(small, space).item() == pytest.approx(0.25)
    assert lp.penalty_from_slopes(large, space).item() == pytest.approx(1.0)


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
    critic = train_critic(MLPCritic(2, hidden=64), SpectralNormalization(), space, real_fn,
                          fake_fn, steps=300)
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
    critic = train_critic(MLPCritic(2, hidden=32), WeightClipping(0.02), EuclideanSpace(),
                          real_fn, fake_fn, steps=50, lr=1e-2)
    values = torch.cat([p.detach().flatten() for p in critic.parameters()])
    assert values.abs().max().item() <= 0.02
    assert (values.abs() == 0.02).any()  # the bound was actually reached, so it did work


def test_make_constraint_names() -> None:
    assert isinstance(make_constraint("gp"), GradientPenalty)
    assert make_constraint("lp").one_sided
    assert make_constraint("clip").default_optimizer == "rmsprop"
    with pytest.raises(ValueError):
        make_constraint("bogus")


def generator_gradient_at(a: float) -> float:
    """|dL_G/dθ| for a generator that is a point mass at θ = a against real δ0, after the
    critic has been trained to optimality (WGAN-GP) between δ0 and δa."""
    torch.manual_seed(0)
    space = EuclideanSpace()
    theta = torch.tensor([a, 0.0])

    def real(g): return torch.zeros(128, 2)
    def fake(g): return theta.expand(128, 2).clone()

    # A soft penalty lets the optimal slope exceed 1 by about W / (2 weight) (here a / 20 at
    # weight 10), so the claim is checked with the constraint enforced tightly.
    critic = train_critic(MLPCritic(2, hidden=64), GradientPenalty(100.0), space, real, fake,
                          steps=500)
    theta_param = theta.clone().requires_grad_(True)
    loss = -critic(theta_param.unsqueeze(0)).mean()
    (grad,) = torch.autograd.grad(loss, theta_param)
    return grad.norm().item()


def test_generator_gradient_does_not_vanish_with_distance() -> None:
    """The WGAN claim for δ0 vs δa: the generator's gradient magnitude is the same for every a
    (a JS-based GAN's vanishes as the supports separate)."""
    grads = [generator_gradient_at(a) for a in (0.5, 2.0, 8.0)]
    for g in grads:
        assert g == pytest.approx(1.0, abs=0.1)
    assert max(grads) - min(grads) < 0.1


@pytest.mark.parametrize("one_sided", [False, True], ids=["gp", "lp"])
def test_critic_estimates_a_pure_shift(one_sided: bool) -> None:
    """For Q = P + v, W1(P, Q) = |v|; the trained critic's estimate must land within 10 %,
    with the two-sided penalty and with the one-sided one (the toy's default)."""
    v = torch.tensor([1.5, -2.0])  # |v| = 2.5
    base = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])

    def real(g):
        idx = torch.randint(0, 3, (256,), generator=g)
        return base[idx] + 0.2 * torch.randn(256, 2, generator=g)

    def fake(g): return real(g) + v

    space = EuclideanSpace()
    # Weight 50: the soft penalty's slope excess W / (2 weight) stays at 2.5 %.
    critic = train_critic(MLPCritic(2, hidden=64), GradientPenalty(50.0, one_sided=one_sided),
                          space, real, fake, steps=800)
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        estimate = (critic(real(g)).mean() - critic(fake(g)).mean()).item()
    assert estimate == pytest.approx(2.5, rel=0.10)


def test_trainer_critic_step_penalty_matches_the_plain_formula() -> None:
    """The trainer's critic step (real and fake in one pass, penalty points in another)
    computes the same penalty as the constraint's plain, unfused formula."""
    from wgan_core.models import MLPGenerator

    torch.manual_seed(0)
    gen = MLPGenerator(2, 2, hidden=16)
    cfg = TrainConfig(steps=1, batch_size=64, device="cpu", ema_decay=0.0)
    batch = Batch(real=torch.randn(64, 2))
    torch.manual_seed(1)
    tr = Trainer(gen, MLPCritic(2, hidden=16), lambda n, g: batch, cfg)
    state = tr.rng.get_state()
    stats = tr.critic_step(batch)
    # Replay on an identical, untrained critic with the same random stream.
    torch.manual_seed(1)
    critic = MLPCritic(2, hidden=16)
    tr.rng.set_state(state)
    with torch.no_grad():
        fake = gen(gen.sample_latent(64, tr.rng, "cpu"))
    penalty = tr.constraint.penalty(critic, batch.real, fake, None, tr.space, tr.rng)
    assert stats["penalty"] == pytest.approx(penalty.item(), rel=1e-5)

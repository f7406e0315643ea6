"""Lipschitz constraints: how the critic is kept (approximately) K-Lipschitz.

A constraint acts at three moments: ``prepare(critic, space)`` once before training,
``penalty(...)`` added to every critic loss, and ``after_step(critic)`` after every critic
optimizer step. Every penalty reads its target slope from the space, never from a literal 1.

``penalty`` is the one path: the trainer calls it and nothing else. It receives the batch's
per-sample ``groups`` (fairness groups, clients, classes) and its condition, so a penalty can
be averaged group by group, or also hold the critic's slope with respect to the condition,
without the trainer knowing. Cost of a gradient penalty: the trainer scores real and fake in
one critic pass; the penalty makes a second pass over its own points and a double backward
through it (fusing the points into the first pass would run that double backward over all
three parts, about three times the work).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from . import tensors as T
from .spaces import MetricSpace
from .tensors import Sample


def group_mean(values: Tensor, groups: Tensor | None, shard: slice | None = None) -> Tensor:
    """The mean of per-sample values, or with ``groups`` the mean over the groups present of
    each group's mean, so that a small group counts as much as a large one.

    With ``shard``, ``values`` are those of the rows ``shard`` of a batch split over
    processes (``groups`` covers the whole batch): the result is this process's share, and
    the shares of all processes average to the whole batch's value."""
    if groups is None:
        return values.mean()
    ids, index = torch.unique(groups, return_inverse=True)
    ones = torch.ones_like(index, dtype=values.dtype)
    counts = values.new_zeros(len(ids)).index_add(0, index, ones)
    if shard is not None:
        index = index[shard]
    sums = values.new_zeros(len(ids)).index_add(0, index, values)
    share = len(groups) / len(values) if shard is not None else 1.0
    return share * (sums / counts).mean()


class Constraint:
    """Base class: every hook is a no-op, so a subclass overrides only what it needs."""

    #: Optimizer the literature pairs with this constraint ("adam" or "rmsprop").
    default_optimizer: str = "adam"
    #: Adam betas the literature pairs with this constraint.
    default_betas: tuple[float, float] = (0.0, 0.9)

    def prepare(self, critic: nn.Module, space: MetricSpace) -> nn.Module:
        """Modify the critic before training (e.g. add spectral normalization); return it."""
        return critic

    def penalty(self, critic: nn.Module, real: Sample, fake: Sample, cond: Tensor | None,
                space: MetricSpace, generator: torch.Generator | None = None,
                groups: Tensor | None = None, shard: slice | None = None) -> Tensor:
        """The term added to the critic loss (zero for a constraint without a penalty).

        ``groups`` holds one integer group per sample of ``real`` (and of the paired
        ``fake``), or None. ``shard``: the batch is split over processes and this one scores
        only those rows; the penalty's random points are still drawn for the whole batch,
        so that every process draws what one process would (see ``wgan_core.distributed``)."""
        return torch.zeros((), device=T.as_tuple(real)[0].device)

    def probe_points(self, real: Sample, fake: Sample, space: MetricSpace,
                     generator: torch.Generator | None = None) -> Sample:
        """Where the trainer measures the critic's slopes for its log (not for the loss):
        interpolates of real/fake pairs, the transport paths the Lipschitz condition is
        about. A penalty sampled elsewhere reports its own points."""
        return space.interpolate(T.detach(real), T.detach(fake), generator)

    def after_step(self, critic: nn.Module) -> None:
        """Called after each critic optimizer step (e.g. clip weights)."""

    def __repr__(self) -> str:
        return type(self).__name__


class NoConstraint(Constraint):
    """No Lipschitz control at all (a baseline that diverges, as the WGAN papers show)."""


class WeightClipping(Constraint):
    """Clip every critic parameter to [-c, c] after each step (Arjovsky et al., 2017)."""

    default_optimizer = "rmsprop"

    def __init__(self, clip_value: float = 0.01) -> None:
        self.clip_value = float(clip_value)

    def after_step(self, critic: nn.Module) -> None:
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-self.clip_value, self.clip_value)

    def __repr__(self) -> str:
        return f"WeightClipping(c={self.clip_value:g})"


PenaltySampling = Literal["interpolates", "real", "fake", "mix"]


class GradientPenalty(Constraint):
    """Penalize gradient norms that differ from the space's target slope K.

    Two-sided (WGAN-GP, Gulrajani et al., 2017): ``w * E[(|g|/K - 1)^2]``.
    One-sided (WGAN-LP, Petzka et al., 2018): ``w * E[max(0, |g|/K - 1)^2]``.
    Dividing by K makes the weight mean the same in every space scale. Points are sampled on
    interpolates of real/fake pairs, on real samples (R1-like), on fake samples, or on a mix
    (each point drawn uniformly from those three).

    With ``groups`` the expectation is taken per group and averaged over groups, so that a
    minority group's points hold the critic to its slope as much as the majority's.
    ``condition_weight`` > 0 adds ``condition_weight * E[|d f / d cond|^2]`` at the same points
    (same pass, same double backward): a critic that changes smoothly across conditions.
    """

    def __init__(self, weight: float = 10.0, on: PenaltySampling = "interpolates",
                 one_sided: bool = False, condition_weight: float = 0.0) -> None:
        if on not in ("interpolates", "real", "fake", "mix"):
            raise ValueError(f"unknown penalty sampling '{on}'")
        self.weight = float(weight)
        self.on = on
        self.one_sided = one_sided
        self.condition_weight = float(condition_weight)

    def points(self, real: Sample, fake: Sample, space: MetricSpace,
               generator: torch.Generator | None = None) -> Sample:
        """The points the penalty is sampled at (one per real/fake pair)."""
        if self.on == "real":
            return T.detach(real)
        if self.on == "fake":
            return T.detach(fake)
        inter = space.interpolate(T.detach(real), T.detach(fake), generator)
        if self.on == "interpolates":
            return inter
        n = T.batch_size(real)
        choice = torch.randint(0, 3, (n,), generator=generator).to(T.as_tuple(real)[0].device)
        parts = []
        for r, f, i in zip(T.as_tuple(real), T.as_tuple(fake), T.as_tuple(inter)):
            c = choice.view(-1, *([1] * (r.dim() - 1)))
            parts.append(torch.where(c == 0, r.detach(), torch.where(c == 1, f.detach(), i)))
        return T.like(real, tuple(parts))

    probe_points = points

    def terms(self, slopes: Tensor, space: MetricSpace) -> Tensor:
        """The per-sample penalty ``(|g|/K - 1)^2`` (clamped at 0 when one-sided), unweighted."""
        excess = slopes / space.target_slope - 1.0
        if self.one_sided:
            excess = excess.clamp(min=0.0)
        return excess.pow(2)

    def penalty(self, critic: nn.Module, real: Sample, fake: Sample, cond: Tensor | None,
                space: MetricSpace, generator: torch.Generator | None = None,
                groups: Tensor | None = None, shard: slice | None = None) -> Tensor:
        pts = self.points(real, fake, space, generator)
        if shard is not None:
            pts = T.apply(lambda t: t[shard], pts)
            cond = None if cond is None else cond[shard]
        pts = T.requires_grad(pts)
        inputs = [t for t in T.as_tuple(pts) if t.requires_grad]
        with_cond = self.condition_weight > 0 and cond is not None and cond.is_floating_point()
        if with_cond:
            assert cond is not None
            cond = cond.detach().requires_grad_(True)
            inputs.append(cond)
        scores = critic(pts, cond)
        # Under autocast the scores may be bf16/fp16: summed in float32, and the gradients
        # reach the (float32) points as float32; per_sample_norm reduces in float32.
        grads = torch.autograd.grad(scores.float().sum(), inputs, create_graph=True)
        n_sample = len(grads) - 1 if with_cond else len(grads)
        total = self.weight * group_mean(
            self.terms(T.per_sample_norm(tuple(grads[:n_sample])), space), groups, shard)
        if with_cond:
            total = total + self.condition_weight * group_mean(
                T.per_sample_norm((grads[-1],)).pow(2), groups, shard)
        return total

    def __repr__(self) -> str:
        kind = "LipschitzPenalty" if self.one_sided else "GradientPenalty"
        extra = f", condition_weight={self.condition_weight:g}" if self.condition_weight else ""
        return f"{kind}(weight={self.weight:g}, on={self.on}{extra})"


class ZeroCentredPenalty(GradientPenalty):
    """A zero-centred gradient penalty, ``w * E[(|g|/K)^2]`` (R1 / R2, Mescheder et al., 2018).

    On real points (``on="real"``, the default) it is R1, on fake points R2 (the paper's
    ``gamma/2 * E|g|^2`` is ``weight = gamma/2``). It pulls the slope towards 0 at the data,
    not towards K, so it is no Lipschitz constraint on its own: it damps the critic where the
    data are, which makes the game locally convergent (``examples/theory/dirac_gan.py``).
    Same points, same double backward, same per-sample ``groups`` mean as GradientPenalty.
    """

    def __init__(self, weight: float = 10.0, on: PenaltySampling = "real") -> None:
        super().__init__(weight, on)

    def terms(self, slopes: Tensor, space: MetricSpace) -> Tensor:
        """The per-sample penalty ``(|g|/K)^2``, unweighted."""
        return (slopes / space.target_slope).pow(2)

    def __repr__(self) -> str:
        return f"ZeroCentredPenalty(weight={self.weight:g}, on={self.on})"


class SpectralNormalization(Constraint):
    """Spectral normalization of every weight matrix (Miyato et al., 2018).

    Uses torch's own ``torch.nn.utils.parametrizations.spectral_norm``. With 1-Lipschitz
    activations the critic is then 1-Lipschitz; a forward hook multiplies the score by the
    space's target slope K so the bound becomes K.
    """

    def __init__(self, n_power_iterations: int = 1) -> None:
        self.n_power_iterations = n_power_iterations
        self._modules: list[nn.Module] = []

    def prepare(self, critic: nn.Module, space: MetricSpace) -> nn.Module:
        from torch.nn.utils.parametrizations import spectral_norm
        from torch.nn.utils.parametrize import is_parametrized

        targets = []
        for module in critic.modules():
            weight = getattr(module, "weight", None)
            if (isinstance(weight, nn.Parameter) and weight.dim() >= 2
                    and not isinstance(module, nn.Embedding)
                    and not is_parametrized(module, "weight")):
                targets.append(module)
        for module in targets:
            spectral_norm(module, n_power_iterations=self.n_power_iterations)
        self._modules = targets
        if space.target_slope != 1.0:
            k = float(space.target_slope)
            critic.register_forward_hook(lambda _m, _i, out: out * k)
        return critic

    def after_step(self, critic: nn.Module) -> None:
        # Reading a parametrized weight in training mode runs one power iteration on the
        # weights just updated, so the stored estimate never lags the optimizer by a step
        # (without this the normalized layers' norms exceed 1 by ~1e-3 after a step).
        if not critic.training:
            return
        with torch.no_grad():
            for module in self._modules:
                module.weight  # noqa: B018 - the read itself is the update


def make_constraint(name: str, penalty_weight: float = 10.0, clip_value: float = 0.01,
                    penalty_on: PenaltySampling = "interpolates",
                    condition_weight: float = 0.0) -> Constraint:
    """The constraint called ``name`` on the command line: gp, lp, sn, clip or none.
    ``condition_weight`` (gp and lp only) also penalises the gradient w.r.t. the condition."""
    if condition_weight and name not in ("gp", "lp"):
        raise ValueError(f"a condition penalty needs gp or lp, not '{name}'")
    if name == "gp":
        return GradientPenalty(penalty_weight, penalty_on, one_sided=False,
                               condition_weight=condition_weight)
    if name == "lp":
        return GradientPenalty(penalty_weight, penalty_on, one_sided=True,
                               condition_weight=condition_weight)
    if name == "sn":
        return SpectralNormalization()
    if name == "clip":
        return WeightClipping(clip_value)
    if name == "none":
        return NoConstraint()
    raise ValueError(f"unknown constraint '{name}' (choose gp, lp, sn, clip or none)")


def constraint_from_config(config: Any, condition_weight: float = 0.0) -> Constraint:
    """The constraint a training config names (its ``constraint``, ``penalty_weight``,
    ``clip_value`` and ``penalty_on``): the trainer and every loader of a trained critic use
    this one function, so a critic is always rebuilt as it was trained."""
    return make_constraint(config.constraint, config.penalty_weight, config.clip_value,
                           config.penalty_on, condition_weight)

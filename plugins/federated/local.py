"""A client's local training in one round, the same in Flower's ClientApp and in the
in-process reference loop of ``benchmarks/federated.py``.

Local steps drift apart on non-IID clients: between two averages each client's critic and
generator fit its own modes. Two corrections, both applied to the gradients of every local
step (``DriftCorrection``, a callback on the trainer's ``on_before_optimizer_step`` hook):

- **FedProx** (Li et al. 2020): ``mu / 2 * ||w - w_global||^2`` added to both networks'
  losses, i.e. ``mu * (w - w_global)`` added to their gradients. Flower's FedProx strategy
  only forwards ``mu``; the client adds the term (as here).
- **SCAFFOLD** (Karimireddy et al. 2020), for the generator and the critic: every local
  gradient is corrected by ``c - c_i``, the server's control variate minus the client's.
  ``c_i`` is the client's mean uncorrected gradient over its last round's local steps (the
  variant that estimates it during training, rather than with an extra pass at the global
  weights: the optimizer here is Adam, so SCAFFOLD's model-difference estimate, which
  assumes SGD steps, does not apply). The client keeps ``c_i`` (Flower's
  ``Context.state``); the server's ``c`` is the average of the clients' ``c_i`` and travels
  in the same arrays as the weights, under ``variate.`` keys, so that any of Flower's
  strategies aggregates it with them. Flower has no SCAFFOLD (only its baselines do): this
  is written here on the Message API.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import Tensor

from wgan_core.callbacks import Callback

#: The parts a client trains: the generator and the critic.
PARTS = ("generator", "critic")
#: Prefix of the control variates' keys in the arrays a message carries.
VARIATE = "variate"


def named_parameters(trainer: Any, part: str) -> dict[str, torch.nn.Parameter]:
    """The trained parameters of a part, by name (a spectrally normalised critic's names
    are its parametrizations' ``original`` tensors: the ones the optimizer steps)."""
    module = trainer.generator if part == "generator" else trainer.critic
    return dict(module.named_parameters())


class DriftCorrection(Callback):
    """Corrects every local gradient (FedProx's pull towards the global weights, SCAFFOLD's
    control variates) and records the mean uncorrected gradient of each part (the client's
    next control variate)."""

    state_key = "DriftCorrection"

    def __init__(self, anchor: Mapping[str, Mapping[str, Tensor]] | None = None,
                 mu: float = 0.0,
                 correction: Mapping[str, Mapping[str, Tensor]] | None = None) -> None:
        self.anchor = anchor
        self.mu = float(mu)
        self.correction = correction
        self.sums: dict[str, dict[str, Tensor]] = {p: {} for p in PARTS}
        self.counts = {p: 0 for p in PARTS}

    def on_before_optimizer_step(self, trainer: Any, part: str) -> None:
        sums = self.sums[part]
        for name, p in named_parameters(trainer, part).items():
            if p.grad is None:
                continue
            raw = p.grad.detach()
            sums[name] = sums[name] + raw if name in sums else raw.clone()
            if self.correction is not None:
                p.grad.add_(self.correction[part][name])
            if self.mu and self.anchor is not None:
                p.grad.add_(p.detach() - self.anchor[part][name], alpha=self.mu)
        self.counts[part] += 1

    def mean_gradients(self) -> dict[str, dict[str, Tensor]]:
        """Each part's mean uncorrected gradient over the steps seen (SCAFFOLD's c_i)."""
        return {part: {k: v / max(self.counts[part], 1) for k, v in self.sums[part].items()}
                for part in PARTS}


def variate_keys(trainer: Any) -> dict[str, tuple[int, ...]]:
    """The keys and shapes of the control variates of a trainer's two networks, as they
    travel in a message's arrays."""
    return {f"{VARIATE}.{part}.{name}": tuple(p.shape)
            for part in PARTS for name, p in named_parameters(trainer, part).items()}


def flatten_variates(variates: Mapping[str, Mapping[str, Tensor]]) -> dict[str, Tensor]:
    """``{"generator": {name: t}}`` -> ``{"variate.generator.name": t}``."""
    return {f"{VARIATE}.{part}.{name}": t for part, named in variates.items()
            for name, t in named.items()}


def unflatten_variates(flat: Mapping[str, Tensor]) -> dict[str, dict[str, Tensor]]:
    """The inverse of ``flatten_variates``; keys of other arrays are ignored."""
    out: dict[str, dict[str, Tensor]] = {p: {} for p in PARTS}
    for key, t in flat.items():
        prefix, _, rest = key.partition(".")
        if prefix != VARIATE:
            continue
        part, _, name = rest.partition(".")
        out[part][name] = torch.as_tensor(t)
    return out


def zero_variates(trainer: Any) -> dict[str, dict[str, Tensor]]:
    """Control variates of zeros (a client's, or the server's, before its first round)."""
    return {part: {name: torch.zeros_like(p.detach())
                   for name, p in named_parameters(trainer, part).items()} for part in PARTS}

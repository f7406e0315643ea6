"""Local steps without drift: FedProx's and SCAFFOLD's gradient corrections, the control
variates a client keeps and sends, and the options that do not combine."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from wgan_plugins.federated.client import client_train
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.local import (DriftCorrection, flatten_variates,
                                          unflatten_variates)

from .test_clients import TINY, context, train_message


def fake_trainer() -> SimpleNamespace:
    generator, critic = nn.Linear(2, 3), nn.Linear(3, 1)
    return SimpleNamespace(generator=generator, critic=critic)


def set_grads(module: nn.Module, value: float) -> None:
    for p in module.parameters():
        p.grad = torch.full_like(p, value)


def test_corrections_are_added_to_the_gradients_and_raw_gradients_are_averaged() -> None:
    trainer = fake_trainer()
    anchor = {part: {n: p.detach() - 0.5 for n, p in getattr(trainer, part).named_parameters()}
              for part in ("generator", "critic")}
    correction = {part: {n: torch.full_like(p, 0.25)
                         for n, p in getattr(trainer, part).named_parameters()}
                  for part in ("generator", "critic")}
    cb = DriftCorrection(anchor, mu=0.1, correction=correction)
    for raw in (1.0, 3.0):
        set_grads(trainer.critic, raw)
        cb.on_before_optimizer_step(trainer, "critic")
        # raw + (c - c_i) + mu (w - w_global) = raw + 0.25 + 0.1 * 0.5
        for p in trainer.critic.parameters():
            assert torch.allclose(p.grad, torch.full_like(p, raw + 0.25 + 0.05))
    means = cb.mean_gradients()
    assert all(torch.allclose(t, torch.full_like(t, 2.0)) for t in means["critic"].values())
    assert means["generator"] == {}  # the generator took no step
    flat = flatten_variates(means)
    assert set(flat) == {"variate.critic.weight", "variate.critic.bias"}
    assert unflatten_variates(flat)["critic"].keys() == means["critic"].keys()


def test_scaffold_clients_keep_and_send_their_control_variates(task_identity) -> None:
    config = FederatedConfig(**{**TINY, "drift_correction": "scaffold"})
    ctx = context(0)
    msg, flat = train_message(config, 1)
    reply = client_train(msg, ctx, config)
    sent = reply.content["arrays"].to_torch_state_dict()
    variates = {k: v for k, v in sent.items() if k.startswith("variate.")}
    # One variate per trained parameter of both networks: the mean gradient of a real round,
    # so not zero, except the critic's output bias, whose gradient the Wasserstein loss
    # E_fake[f] - E_real[f] cancels exactly (and the penalty does not see it).
    assert {k.split(".")[1] for k in variates} == {"generator", "critic"}
    critic_keys = [k for k in variates if k.startswith("variate.critic.")]
    output_bias = critic_keys[-1]
    assert output_bias.endswith("bias") and torch.count_nonzero(variates[output_bias]) == 0
    assert all(v.abs().sum() > 0 for k, v in variates.items() if k != output_bias)
    kept = ctx.state["variate"].to_torch_state_dict()
    assert set(kept) == set(variates)
    assert all(torch.equal(kept[k], variates[k]) for k in kept)
    assert all(k in sent for k in flat)  # the weights travel as before


@pytest.mark.parametrize("args,message", [
    (("--proximal-mu", "-1"), "proximal_mu (--proximal-mu) must be >= 0"),
    (("--eval-every", "0"), "eval_every (--eval-every) must be at least 1"),
    (("--drift-correction", "scaffold", "--algorithm", "private-critics"),
     "does not combine with --algorithm private-critics"),
    (("--server-optimizer", "adam", "--aggregator", "median"),
     "does not combine with --aggregator median"),
    (("--server-optimizer", "momentum", "--drift-correction", "scaffold"),
     "would also step on SCAFFOLD's control variates"),
])
def test_options_that_cannot_work_are_one_line_and_write_nothing(args, message, wgan,
                                                                 tmp_path) -> None:
    code, _, err = wgan("run", "federated", "--out", tmp_path / "run", *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "run").exists()

"""The trainer: weighted expectations, exact resume, the NaN guard, safe checkpoints, logging."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import pytest
import torch

from wgan_core.callbacks import Callback
from wgan_core.checkpoint import load_checkpoint
from wgan_core.config import TrainConfig
from wgan_core.data import Batch, TensorSource, weighted_mean
from wgan_core.errors import CheckpointError, NonFiniteLossError
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.trainer import LOG_COLUMNS, Trainer


def ring_source(n: int, g: torch.Generator) -> Batch:
    angle = torch.rand(n, generator=g) * 6.2832
    return Batch(real=torch.stack([angle.cos(), angle.sin()], dim=1))


def make_trainer(run_dir: Path | None, steps: int, callbacks=(), **overrides) -> Trainer:
    torch.manual_seed(0)
    # These tests exercise the EMA and the constant schedule, whatever the shared defaults.
    recipe = {"ema_decay": 0.999, "lr_schedule": "constant", **overrides}
    cfg = TrainConfig(steps=steps, batch_size=32, n_critic=2, log_every=2, checkpoint_every=3,
                      device="cpu", seed=3, **recipe)
    return Trainer(MLPGenerator(2, 2, hidden=16), MLPCritic(2, hidden=16), ring_source, cfg,
                   run_dir=run_dir, callbacks=callbacks)


def test_weighted_expectation_equals_resampled_expectation() -> None:
    g = torch.Generator().manual_seed(0)
    values = torch.randn(50, generator=g)
    weights = torch.randint(0, 5, (50,), generator=g).float()
    resampled = values.repeat_interleave(weights.long())  # item i repeated w_i times
    assert weighted_mean(values, weights).item() == pytest.approx(resampled.mean().item(),
                                                                  rel=1e-6)


def test_weighted_batches_reach_the_critic_loss() -> None:
    """Weights on the real side change the critic's W estimate as E_w demands."""
    real = torch.tensor([[0.0], [10.0]])

    class IdentityCritic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(()))

        def forward(self, x, cond=None):
            return self.scale * x.squeeze(-1)

    class ZeroGen(MLPGenerator):
        def forward(self, z, cond=None):
            return 0.0 * self.net(z)

    cfg = TrainConfig(steps=1, batch_size=2, device="cpu", constraint="none", lr_c=1e-12,
                      ema_decay=0.0)
    tr = Trainer(ZeroGen(1, 1, hidden=4), IdentityCritic(), lambda n, g: Batch(real), cfg)
    weighted = tr.critic_step(Batch(real, weight=torch.tensor([3.0, 1.0])))
    assert weighted["w_estimate"] == pytest.approx(2.5, rel=1e-4)  # (3*0 + 1*10) / 4 - 0
    assert tr.critic_step(Batch(real))["w_estimate"] == pytest.approx(5.0, rel=1e-4)


def test_tensor_source_draws_weights_with_samples() -> None:
    data = torch.arange(10.0).unsqueeze(1)
    source = TensorSource(data, weights=torch.arange(10.0))
    batch = source(64, torch.Generator().manual_seed(0))
    assert torch.equal(batch.real.squeeze(1), batch.weight)


def test_resume_reaches_the_same_weights(tmp_path: Path) -> None:
    straight = make_trainer(tmp_path / "a", steps=8).fit()

    class Interrupt(Callback):
        def on_step_end(self, trainer, step, stats):
            if step == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_trainer(tmp_path / "b", steps=8, callbacks=[Interrupt()]).fit()
    assert load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")["step"] == 5
    resumed = make_trainer(tmp_path / "b", steps=8).fit()
    assert resumed.step == 8
    for a, b in [(straight.generator, resumed.generator), (straight.critic, resumed.critic),
                 (straight.ema, resumed.ema)]:
        for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert torch.equal(pa, pb), name
    with open(tmp_path / "b" / "log.csv") as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh)]
    assert steps == [2, 4, 6, 8]


class DropoutCritic(MLPCritic):
    """A critic that draws from torch's global RNG (as dropout and kornia augmentation do)."""

    def forward(self, x, cond=None):
        return super().forward(torch.nn.functional.dropout(x, 0.3, self.training), cond)


def test_resume_is_exact_when_models_draw_from_the_global_rng(tmp_path: Path) -> None:
    def trainer(run_dir: Path, callbacks=()) -> Trainer:
        torch.manual_seed(0)
        cfg = TrainConfig(steps=8, batch_size=32, n_critic=2, checkpoint_every=3, device="cpu",
                          seed=3)
        return Trainer(MLPGenerator(2, 2, hidden=16), DropoutCritic(2, hidden=16), ring_source,
                       cfg, run_dir=run_dir, callbacks=callbacks)

    class Interrupt(Callback):
        def on_step_end(self, trainer, step, stats):
            if step == 5:
                raise KeyboardInterrupt

    # The resumed process starts with a fresh global RNG (seeded by model construction), not
    # with the state the interrupted run had at step 5.
    straight = trainer(tmp_path / "a").fit()
    with pytest.raises(KeyboardInterrupt):
        trainer(tmp_path / "b", callbacks=[Interrupt()]).fit()
    resumed = trainer(tmp_path / "b").fit()
    for (name, pa), (_, pb) in zip(straight.critic.state_dict().items(),
                                   resumed.critic.state_dict().items()):
        assert torch.equal(pa, pb), name


@pytest.mark.parametrize("constraint", ["gp", "sn"])  # penalty points / lazy interpolates
def test_log_has_the_documented_columns(tmp_path: Path, constraint: str) -> None:
    make_trainer(tmp_path, steps=4, constraint=constraint).fit()
    with open(tmp_path / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == LOG_COLUMNS
    assert [int(r["step"]) for r in rows] == [2, 4]
    assert all(float(r["slope_mean"]) > 0 for r in rows)
    assert all(float(r["slope_max"]) >= float(r["slope_mean"]) for r in rows)


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    class Poison(Callback):
        def on_step_end(self, trainer, step, stats):
            if step == 4:
                with torch.no_grad():
                    for p in trainer.generator.parameters():
                        p.fill_(float("nan"))

    trainer = make_trainer(tmp_path, steps=10, callbacks=[Poison()])
    with pytest.raises(NonFiniteLossError, match="became nan at step 5"):
        trainer.fit()
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 3
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


class Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(MARKER),))


MARKER = ""


def test_malicious_checkpoint_is_refused_without_running_it(tmp_path: Path) -> None:
    global MARKER
    MARKER = str(tmp_path / "pwned")
    ckpt = tmp_path / "checkpoints" / "last.pt"
    ckpt.parent.mkdir()
    with open(ckpt, "wb") as fh:
        pickle.dump({"step": Exploit()}, fh)
    with pytest.raises(CheckpointError, match="refused"):
        make_trainer(tmp_path, steps=2).fit()
    assert not Path(MARKER).exists()


def test_ema_tracks_the_generator_and_is_used_for_sampling(tmp_path: Path) -> None:
    trainer = make_trainer(None, steps=6)
    trainer.fit()
    assert trainer.sampling_generator is trainer.ema
    diff = [(e - p).abs().max().item() for e, p in
            zip(trainer.ema.parameters(), trainer.generator.parameters())]
    assert max(diff) > 0  # averaged, not a copy
    off = make_trainer(None, steps=2, ema_decay=0.0)
    assert off.sampling_generator is off.generator


def test_linear_schedule_decays_to_zero() -> None:
    trainer = make_trainer(None, steps=4, lr_schedule="linear").fit()
    assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(0.0)
    assert trainer.opt_c.param_groups[0]["lr"] == pytest.approx(0.0)


@pytest.mark.parametrize("constraint,opt", [("gp", torch.optim.Adam), ("sn", torch.optim.Adam),
                                            ("clip", torch.optim.RMSprop)])
def test_optimizer_defaults_follow_the_constraint(constraint: str, opt: type) -> None:
    trainer = make_trainer(None, steps=1, constraint=constraint)
    assert isinstance(trainer.opt_c, opt) and isinstance(trainer.opt_g, opt)
    if opt is torch.optim.Adam:
        assert trainer.opt_c.param_groups[0]["betas"] == (0.0, 0.9)


def test_conditional_batches_reach_both_networks() -> None:
    seen = {}

    class CondCritic(MLPCritic):
        def forward(self, x, cond=None):
            seen.setdefault("critic", cond)
            return super().forward(x, cond)

    class CondGen(MLPGenerator):
        def forward(self, z, cond=None):
            seen.setdefault("generator", cond)
            return super().forward(z, cond)

    cond = torch.ones(8, 3)
    cfg = TrainConfig(steps=1, batch_size=8, n_critic=1, device="cpu")
    Trainer(CondGen(2, 2, hidden=8, cond_dim=3), CondCritic(2, hidden=8, cond_dim=3),
            lambda n, g: Batch(real=torch.randn(n, 2, generator=g), cond=cond), cfg).fit()
    assert seen["generator"] is not None and seen["generator"].shape == (8, 3)
    assert seen["critic"] is not None and seen["critic"].shape[1] == 3


def test_generator_only_phase_trains_on_the_extra_loss() -> None:
    target = torch.full((16, 2), 3.0)
    cfg = TrainConfig(steps=400, batch_size=16, device="cpu", lr_g=2e-3, ema_decay=0.0)
    gen = MLPGenerator(2, 2, hidden=16)
    trainer = Trainer(gen, None, lambda n, g: Batch(real=target),
                      cfg, extra_loss=lambda fake, batch: (fake - batch.real).abs().mean())
    trainer.fit()
    assert (gen.sample(64) - 3.0).abs().mean().item() < 0.1


def test_checkpoint_past_the_asked_steps_is_refused(tmp_path: Path) -> None:
    first = make_trainer(tmp_path, steps=3).fit()
    assert first.resumed_from is None
    with pytest.raises(CheckpointError, match="last.pt is at step 3, past the 2 steps"):
        make_trainer(tmp_path, steps=2).fit()
    resumed = make_trainer(tmp_path, steps=4).fit()
    assert resumed.resumed_from == 3 and resumed.step == 4


class Counter(Callback):
    """Counts steps; its count travels in checkpoints."""

    def __init__(self) -> None:
        self.count = 0

    def on_step_end(self, trainer, step, stats):
        self.count += 1

    def state_dict(self):
        return {"count": self.count}

    def load_state_dict(self, state):
        self.count = state.get("count", 0)


class Silent(Callback):
    """A stateless callback that a resume may add or leave out (as --quiet does Progress)."""


def test_callback_state_follows_its_key_not_its_place(tmp_path: Path) -> None:
    make_trainer(tmp_path, steps=3, callbacks=[Silent(), Counter()]).fit()
    counter = Counter()
    make_trainer(tmp_path, steps=5, callbacks=[counter]).fit()  # Silent gone: places shift
    assert counter.count == 5
    with pytest.raises(ValueError, match="share the state_key"):
        make_trainer(None, steps=1, callbacks=[Counter(), Counter()])


def test_train_steps_from_handed_weights_matches_fit(tmp_path: Path) -> None:
    """The federated seam: a fresh trainer (its own random init) handed another trainer's
    initial weights, trained by train_steps in two calls, ends where fit() ends from those
    weights; fit's checkpoint holds that end state, and train_steps writes no checkpoint."""
    parts = ["generator", "critic", "ema", "opt_g", "opt_c"]
    fitted = make_trainer(tmp_path / "fit", steps=6, lr_schedule="linear")
    initial = fitted.get_weights(parts)
    assert set(initial) == set(parts)
    fitted.fit()

    torch.manual_seed(1)  # a different init, so that only the handed weights can make it match
    cfg = TrainConfig(steps=6, batch_size=32, n_critic=2, log_every=2, checkpoint_every=3,
                      device="cpu", seed=3, lr_schedule="linear", ema_decay=0.999)
    stepped = Trainer(MLPGenerator(2, 2, hidden=16), MLPCritic(2, hidden=16), ring_source, cfg,
                      run_dir=tmp_path / "steps")
    own = stepped.get_weights()["generator"]
    assert any(not torch.equal(v, initial["generator"][k]) for k, v in own.items())
    stepped.set_weights(initial)
    stepped.train_steps(2)
    stepped.train_steps(4)
    assert stepped.step == fitted.step == 6
    assert not (tmp_path / "steps" / "checkpoints").exists()  # train_steps never checkpoints

    ended = stepped.get_weights(parts)
    ckpt = load_checkpoint(tmp_path / "fit" / "checkpoints" / "last.pt")
    assert ckpt["step"] == 6
    for part in ("generator", "critic", "ema"):
        for name, value in ended[part].items():
            assert torch.equal(value, fitted.get_weights([part])[part][name]), (part, name)
            assert torch.equal(value, ckpt[part][name]), (part, name)
    # The linear schedule ran over the config's 6 steps in both: the learning rate reached 0.
    assert stepped.opt_g.param_groups[0]["lr"] == pytest.approx(0.0)
    assert ckpt["opt_g"]["param_groups"][0]["lr"] == pytest.approx(0.0)
    for key, value in ended["opt_g"]["state"][0].items():
        assert torch.equal(value, ckpt["opt_g"]["state"][0][key]), key
    with pytest.raises(CheckpointError, match="does not match"):
        stepped.set_weights({"critic": {"bogus": torch.zeros(1)}})

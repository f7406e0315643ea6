"""Training phases: declared by a plugin, run by the core; and the run folder's two built-in
callbacks (log.csv, checkpoints)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from wgan_core.callbacks import Callback, Checkpointing, CSVLogger
from wgan_core.checkpoint import load_checkpoint
from wgan_core.config import TrainConfig
from wgan_core.data import Batch
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.phases import Phase, fit_phases
from wgan_core.trainer import Trainer

CONFIG = TrainConfig(batch_size=16, n_critic=1, log_every=1, checkpoint_every=100,
                     device="cpu")


def data(n: int, g: torch.Generator) -> Batch:
    return Batch(real=torch.randn(n, 2, generator=g) + 3.0)


def l1(fake: torch.Tensor, batch: Batch) -> torch.Tensor:
    return F.l1_loss(fake, batch.real)


def phases(pretrain_steps: int = 4, steps: int = 3) -> list[Phase]:
    return [Phase("pretrain", pretrain_steps, lr_g=1e-2, seed=0, adversarial=False,
                  checkpoint="pretrain.pt", log="log_pretrain.csv"),
            Phase("adversarial", steps, lr_g=1e-3, lr_c=1e-3, seed=1, ema_decay=0.9)]


class FirstWeights(Callback):
    """Records the generator's weights when its phase starts training."""

    def __init__(self) -> None:
        self.state: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        self.state = {k: v.clone() for k, v in trainer.generator.state_dict().items()}


def run_phases(run_dir: Path | None, plan: list[Phase], echo=lambda m: None
               ) -> tuple[dict[str, Trainer], FirstWeights]:
    seen = FirstWeights()

    def build(phase: Phase) -> Trainer:
        generator = MLPGenerator(4, 2, hidden=8)
        if not phase.adversarial:
            return Trainer(generator, None, data, CONFIG, phase=phase, run_dir=run_dir,
                           extra_loss=l1)
        return Trainer(generator, MLPCritic(2, hidden=8), data, CONFIG, phase=phase,
                       run_dir=run_dir, extra_loss=l1, callbacks=[seen])

    return fit_phases(plan, build, echo=echo), seen


def test_each_phase_starts_from_the_previous_sampling_generator(tmp_path: Path) -> None:
    trainers, seen = run_phases(tmp_path, phases())
    pre, adv = trainers["pretrain"], trainers["adversarial"]
    assert (pre.step, adv.step) == (4, 3)
    assert pre.critic is None and adv.critic is not None
    expected = pre.sampling_generator.state_dict()
    assert seen.state is not None
    for key, value in expected.items():
        assert torch.equal(seen.state[key], value), key
    assert adv.ema is not None  # its moving average started there too, not at random
    # Each phase wrote its own files, with its own learning rate in its log.
    assert (tmp_path / "checkpoints" / "pretrain.pt").is_file()
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["step"] == 3
    assert (tmp_path / "log_pretrain.csv").read_text().splitlines()[1].split(",")[8] \
        == f"{1e-2:.6g}"


def test_a_phase_that_trains_again_moves_later_checkpoints_aside(tmp_path: Path) -> None:
    run_phases(tmp_path, phases())
    messages: list[str] = []
    # The same plan again: every phase resumes at its end, nothing trains, nothing moves.
    trainers, _ = run_phases(tmp_path, phases(), messages.append)
    assert trainers["pretrain"].resumed_from == 4 and trainers["adversarial"].resumed_from == 3
    assert not messages and not (tmp_path / "checkpoints" / "adversarial_stale.pt").exists()
    # More pre-training: the adversarial checkpoint continued older weights, so it is kept
    # aside and the adversarial phase starts again from the new pre-trained generator.
    old = (tmp_path / "checkpoints" / "last.pt").read_bytes()
    trainers, seen = run_phases(tmp_path, phases(pretrain_steps=6), messages.append)
    assert trainers["pretrain"].resumed_from == 4 and trainers["pretrain"].step == 6
    assert trainers["adversarial"].resumed_from is None and trainers["adversarial"].step == 3
    assert (tmp_path / "checkpoints" / "adversarial_stale.pt").read_bytes() == old
    assert len(messages) == 1 and "adversarial_stale.pt" in messages[0]
    assert seen.state is not None
    for key, value in trainers["pretrain"].sampling_generator.state_dict().items():
        assert torch.equal(seen.state[key], value)


def test_a_phase_of_zero_steps_hands_on_its_initial_weights(tmp_path: Path) -> None:
    trainers, seen = run_phases(tmp_path, phases(pretrain_steps=0))
    assert trainers["pretrain"].step == 0
    assert not (tmp_path / "checkpoints" / "pretrain.pt").exists()
    torch.manual_seed(0)  # the pretrain phase's seed: its generator's initial weights
    initial = MLPGenerator(4, 2, hidden=8).state_dict()
    assert seen.state is not None
    assert all(torch.equal(seen.state[k], v) for k, v in initial.items())


def test_the_trainer_refuses_a_critic_the_phase_does_not_have() -> None:
    with pytest.raises(ValueError, match="not adversarial but the trainer was given a critic"):
        Trainer(MLPGenerator(4, 2), MLPCritic(2), data, CONFIG,
                phase=Phase("pretrain", 3, adversarial=False))
    with pytest.raises(ValueError, match="phase names must differ"):
        fit_phases([Phase("a", 1), Phase("a", 1)], lambda p: None)  # type: ignore[arg-type]


def test_the_run_folder_is_written_by_two_callbacks_with_stable_keys(tmp_path: Path) -> None:
    phase = Phase.from_config(TrainConfig(steps=4), lr_g=1e-3, checkpoint="x.pt", log="x.csv")
    trainer = Trainer(MLPGenerator(4, 2, hidden=8), MLPCritic(2, hidden=8), data,
                      CONFIG, phase=phase, run_dir=tmp_path)
    kinds = [type(cb) for cb in trainer.callbacks]
    assert kinds == [CSVLogger, Checkpointing]
    trainer.fit()
    assert [int(line.split(",")[0]) for line in
            (tmp_path / "x.csv").read_text().splitlines()[1:]] == [1, 2, 3, 4]
    state = load_checkpoint(tmp_path / "checkpoints" / "x.pt")
    assert state["step"] == 4 and set(state["callbacks"]) == {"CSVLogger", "Checkpointing"}
    # Without a run folder the trainer writes nothing and holds neither callback.
    assert Trainer(MLPGenerator(4, 2), MLPCritic(2), data, CONFIG, phase=phase).callbacks == []
    # train_steps (a federated worker's seam) trains on and writes no checkpoint.
    before = (tmp_path / "checkpoints" / "x.pt").stat().st_mtime_ns
    trainer2 = Trainer(MLPGenerator(4, 2, hidden=8), MLPCritic(2, hidden=8), data, CONFIG,
                       phase=phase, run_dir=tmp_path)
    trainer2.train_steps(2)
    assert (tmp_path / "checkpoints" / "x.pt").stat().st_mtime_ns == before

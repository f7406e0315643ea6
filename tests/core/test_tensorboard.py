"""--logger tensorboard: every log.csv column as a scalar, the plugin's preview picture, the
options with the final metrics, resume without duplicated steps, and a clear error without the
package. Event files are read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
import torch

from wgan_core.callbacks import Callback, TensorBoardLogger
from wgan_core.config import TrainConfig
from wgan_core.data import Batch
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.trainer import LOG_COLUMNS, Trainer

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def events(folder: Path) -> "event_accumulator.EventAccumulator":
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0,
                                                                         "images": 0})
    acc.Reload()
    return acc


def test_a_run_logs_every_column_its_preview_and_its_hparams(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--out", out, "--steps", "4", "--batch-size", "32",
                        "--hidden", "16", "--n-eval", "200", "--log-every", "1",
                        "--checkpoint-every", "2", "--dot-steps", "0", "--device", "cpu",
                        "--logger", "tensorboard", "--quiet")
    assert code == 0, err
    acc = events(out / "tensorboard" / "toy")
    with open(out / "log.csv") as fh:
        columns = list(csv.DictReader(fh))[0].keys()
    expected = {f"toy/{c}" for c in columns if c != "step"}
    assert set(LOG_COLUMNS) - {"step"} <= {c for c in columns}
    assert set(acc.Tags()["scalars"]) == expected
    for tag in expected:
        assert [e.step for e in acc.Scalars(tag)] == [1, 2, 3, 4], tag
    images = acc.Images("toy/preview")
    assert [e.step for e in images] == [2, 4]  # one per checkpoint
    assert images[0].width > 50 and images[0].height > 50
    hparams = events(out / "tensorboard" / "hparams")
    assert "final/w1_exact" in hparams.Tags()["scalars"]
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = hparams.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    session = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert session.hparams["steps"].number_value == 4
    assert session.hparams["precision"].string_value == "32"


def ring(n: int, g: torch.Generator) -> Batch:
    angle = torch.rand(n, generator=g) * 6.2832
    return Batch(real=torch.stack([angle.cos(), angle.sin()], dim=1))


def test_resume_appends_without_duplicated_steps(tmp_path: Path) -> None:
    def trainer(callbacks=()) -> Trainer:
        torch.manual_seed(0)
        cfg = TrainConfig(steps=8, batch_size=16, n_critic=1, log_every=1, checkpoint_every=3,
                          device="cpu")
        return Trainer(MLPGenerator(2, 2, hidden=8), MLPCritic(2, hidden=8), ring, cfg,
                       run_dir=tmp_path,
                       callbacks=[TensorBoardLogger(tmp_path, "train"), *callbacks])

    class Interrupt(Callback):
        def on_step_end(self, trainer, step, stats):
            if step == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer([Interrupt()]).fit()  # rows 1-5 logged; Ctrl-C checkpoints step 5
    first = events(tmp_path / "tensorboard" / "train")
    assert [e.step for e in first.Scalars("train/critic_loss")] == [1, 2, 3, 4, 5]
    assert trainer().fit().resumed_from == 5
    acc = events(tmp_path / "tensorboard" / "train")
    for tag in ("train/critic_loss", "train/w_estimate", "train/slope_mean"):
        steps = [e.step for e in acc.Scalars(tag)]
        assert steps == [1, 2, 3, 4, 5, 6, 7, 8], (tag, steps)


def test_resume_from_an_earlier_checkpoint_purges_the_later_events(tmp_path: Path) -> None:
    """Events written after the checkpoint a run resumes from are written again: the reader
    sees each step once, with the resumed run's value."""
    def trainer(steps: int) -> Trainer:
        torch.manual_seed(0)
        cfg = TrainConfig(steps=steps, batch_size=16, n_critic=1, log_every=1,
                          checkpoint_every=3, device="cpu")
        return Trainer(MLPGenerator(2, 2, hidden=8), MLPCritic(2, hidden=8), ring, cfg,
                       run_dir=tmp_path, callbacks=[TensorBoardLogger(tmp_path, "train")])

    trainer(3).fit()
    kept = (tmp_path / "checkpoints" / "last.pt").read_bytes()  # step 3
    trainer(5).fit()  # logs 4 and 5, checkpoint at 5
    (tmp_path / "checkpoints" / "last.pt").write_bytes(kept)  # back to step 3
    resumed = trainer(6).fit()
    assert resumed.resumed_from == 3
    steps = [e.step for e in events(tmp_path / "tensorboard" / "train").Scalars("train/lr_g")]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_without_tensorboard_the_run_is_one_line_naming_the_package(
        wgan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--out", out, "--steps", "2", "--logger", "tensorboard")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "pip install 'wgan[tensorboard]'" in err
    assert not out.exists()

"""Training precision: autocast in the trainer, float32 losses and slopes, resume across
precisions, the device checks, and a trained quality that bf16 keeps."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
import torch

from wgan_core import precision as P
from wgan_core.checkpoint import load_checkpoint
from wgan_core.config import TrainConfig, build_config
from wgan_core.constraints import GradientPenalty
from wgan_core.data import Batch
from wgan_core.errors import ConfigError
from wgan_core.metrics import w1_exact
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.precision import Precision, check_precision, resolve_precision
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer

needs_bf16 = pytest.mark.skipif(not P.bf16_available("cpu"),
                                reason="torch cannot compute bfloat16 on this CPU")


def gaussian(n: int, g: torch.Generator) -> Batch:
    return Batch(real=torch.tensor([3.0, -2.0]) + 0.5 * torch.randn(n, 2, generator=g))


class DtypeCritic(MLPCritic):
    """Records whether its forward passes ran under autocast, and in which dtype."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: set[torch.dtype] = set()

    def forward(self, x, cond=None):
        out = super().forward(x, cond)
        self.seen.add(out.dtype)
        return out


def trainer(run_dir: Path | None, steps: int, precision: str, **overrides) -> Trainer:
    torch.manual_seed(0)
    cfg = TrainConfig(steps=steps, batch_size=32, n_critic=2, log_every=2, checkpoint_every=3,
                      device="cpu", seed=3, precision=precision, **overrides)
    return Trainer(MLPGenerator(2, 2, hidden=16), DtypeCritic(2, hidden=16), gaussian, cfg,
                   run_dir=run_dir)


# ---------------------------------------------------------------------- choosing a precision

def test_auto_follows_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": True})
    assert check_precision("auto", "cpu")[0] == "bf16-mixed"
    assert "native bf16" in check_precision("auto", "cpu")[1]
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_f": True})
    assert check_precision("auto", "cpu") == ("32", None)
    assert resolve_precision("auto", "cpu") == Precision("32", "cpu")


def test_precisions_the_device_cannot_train_at_are_config_errors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="16-mixed needs a CUDA device"):
        check_precision("16-mixed", "cpu")
    monkeypatch.setattr(P, "bf16_available", lambda device: False)
    with pytest.raises(ConfigError, match="cannot compute in bfloat16"):
        check_precision("bf16-mixed", "cpu")
    with pytest.raises(ConfigError, match="cannot compute in bfloat16"):
        trainer(None, 1, "bf16-mixed")
    # Emulated bf16 trains, with a note that it is probably slower.
    monkeypatch.setattr(P, "bf16_available", lambda device: True)
    monkeypatch.setattr(P, "native_bf16", lambda device: False)
    assert "emulated" in check_precision("bf16-mixed", "cpu")[1]


def test_precision_is_a_config_field_and_toml_may_write_it_as_a_number() -> None:
    assert build_config(TrainConfig, {}).precision == "32"
    assert build_config(TrainConfig, {"precision": 32}).precision == "32"
    assert build_config(TrainConfig, {"precision": "bf16-mixed"}).precision == "bf16-mixed"
    with pytest.raises(ConfigError, match="precision' must be one of"):
        build_config(TrainConfig, {"precision": "bf16"})


def test_cli_refuses_16_mixed_on_cpu_in_one_line(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--out", out, "--device", "cpu", "--precision", "16-mixed")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "16-mixed needs a CUDA device" in err
    assert not out.exists()


# ---------------------------------------------------------------------- training under bf16

@needs_bf16
@pytest.mark.parametrize("constraint", ["gp", "lp", "sn", "clip", "none"])
def test_every_constraint_trains_under_bf16(constraint: str, tmp_path: Path) -> None:
    tr = trainer(tmp_path, 4, "bf16-mixed", constraint=constraint)
    tr.fit()
    assert tr.critic.seen == {torch.bfloat16}  # every critic pass ran under autocast
    with open(tmp_path / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for key in ("critic_loss", "generator_loss", "w_estimate", "penalty", "slope_mean"):
            assert torch.isfinite(torch.tensor(float(row[key]))), (key, row)
    slopes = tr.measure_slopes()
    assert slopes.dtype == torch.float32 and slopes.numel() > 0
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    for part in ("generator", "critic"):  # weights stay float32 under autocast
        assert all(v.dtype == torch.float32 for v in state[part].values()
                   if v.is_floating_point()), part


@needs_bf16
def test_bf16_penalty_is_the_float32_penalty_within_bf16_rounding() -> None:
    """The same critic and points: the penalty under autocast differs from float32 by what
    bf16's 8-bit mantissa allows through a few layers (2**-8 = 0.4 % per rounding), not more,
    and comes back as float32."""
    torch.manual_seed(0)
    critic = MLPCritic(2, hidden=64)
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(256, 2, generator=g), torch.randn(256, 2, generator=g) + 2
    gp = GradientPenalty(10.0)
    exact = gp.penalty(critic, real, fake, None, EuclideanSpace(), torch.Generator().manual_seed(2))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = gp.penalty(critic, real, fake, None, EuclideanSpace(),
                           torch.Generator().manual_seed(2))
    assert mixed.dtype == torch.float32
    assert mixed.item() == pytest.approx(exact.item(), rel=0.03)


@needs_bf16
def test_bf16_training_reaches_the_quality_of_float32() -> None:
    """Trained quality, not a trajectory: W1 to the target after the same training."""
    def trained_w1(precision: str) -> float:
        torch.manual_seed(0)
        cfg = TrainConfig(steps=200, batch_size=64, n_critic=2, device="cpu", seed=0,
                          precision=precision, log_every=50, lr_g=3e-3, lr_c=3e-3)
        tr = Trainer(MLPGenerator(2, 2, hidden=16), MLPCritic(2, hidden=16), gaussian, cfg).fit()
        fake = tr.sampling_generator.sample(400, generator=torch.Generator().manual_seed(9))
        return w1_exact(fake, gaussian(400, torch.Generator().manual_seed(10)).real)

    full, bf16 = trained_w1("32"), trained_w1("bf16-mixed")
    assert full < 0.5  # the untrained generator is ~3.5 away
    assert bf16 < 1.25 * full + 0.05, (bf16, full)


def test_16_mixed_scales_losses_and_keeps_the_scale_in_checkpoints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The GradScaler path (CUDA's in the CLI), run here on the CPU's float16 autocast."""
    import wgan_core.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "resolve_precision",
                        lambda name, device: Precision("16-mixed", "cpu"))
    tr = trainer(tmp_path, 4, "32", constraint="gp")
    assert tr.scaler is not None
    tr.fit()
    assert tr.critic.seen == {torch.float16}
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["scaler"]["scale"] > 0
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


# ---------------------------------------------------------------------- resume across precisions

@needs_bf16
@pytest.mark.parametrize("first,second", [("32", "bf16-mixed"), ("bf16-mixed", "32")])
def test_resume_across_precisions(tmp_path: Path, first: str, second: str) -> None:
    a = trainer(tmp_path, 3, first).fit()
    assert a.step == 3
    b = trainer(tmp_path, 6, second)
    b.fit()
    assert b.resumed_from == 3 and b.step == 6
    assert b.critic.seen == {torch.bfloat16 if second == "bf16-mixed" else torch.float32}
    with open(tmp_path / "log.csv") as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh)]
    assert steps == [2, 3, 4, 6]  # the first run ended at 3; no step written twice
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 6
    assert all(torch.isfinite(v).all() for v in state["critic"].values())


@needs_bf16
def test_cli_resume_with_another_precision_stores_it(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    small = ["--batch-size", "32", "--hidden", "16", "--n-eval", "200", "--log-every", "1",
             "--device", "cpu", "--dot-steps", "0"]
    assert wgan("run", "toy", "--out", out, "--steps", "2", *small, "--quiet")[0] == 0
    code, _, err = wgan("run", "toy", "--resume", out, "--steps", "4",
                        "--precision", "bf16-mixed", "--quiet")
    assert code == 0, err
    stored = tomllib.loads((out / "config.toml").read_text())
    assert stored["precision"] == "bf16-mixed"
    assert load_checkpoint(out / "checkpoints" / "last.pt")["step"] == 4
    # A precision the CPU cannot train at: one line, and the run folder as it was.
    before = (out / "config.toml").read_bytes()
    code, _, err = wgan("run", "toy", "--resume", out, "--steps", "6", "--precision", "16-mixed")
    assert code == 2 and "16-mixed needs a CUDA device" in err
    assert (out / "config.toml").read_bytes() == before
    assert load_checkpoint(out / "checkpoints" / "last.pt")["step"] == 4

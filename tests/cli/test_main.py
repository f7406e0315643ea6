"""The command line: options from configs, TOML overrides, errors as one line with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest

from wgan import registry
from wgan_core import __version__
from wgan_core.config import TrainConfig
from wgan_core.errors import DataError
from wgan_core.plugin import Plugin, RunResult

TINY = ["--steps", "2", "--batch-size", "16", "--hidden", "8", "--n-eval", "100",
        "--log-every", "1", "--quiet"]


def test_version(wgan) -> None:
    code, out, _ = wgan("--version")
    assert code == 0 and __version__ in out


def test_python_dash_m_runs_the_same_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "wgan_cli", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_plugins_lists_builtins_and_reports_a_broken_one(wgan, monkeypatch) -> None:
    real = registry.entry_points

    def with_broken(group: str):
        eps = list(real(group=group))
        return eps + [EntryPoint("broken", "no_such_module_xyz:PLUGIN", registry.GROUP)]

    monkeypatch.setattr(registry, "entry_points", with_broken)
    code, out, _ = wgan("plugins")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "FAILED" in lines["broken"] and "no_such_module_xyz" in lines["broken"]
    assert "FAILED" not in lines["toy"]
    code, _, err = wgan("run", "broken")
    assert code == 2 and "failed to load" in err and len(err.strip().splitlines()) == 1


@click.command("hello")
@click.option("--name", default="world")
def _hello(name: str) -> None:
    click.echo(f"hello {name}")


@click.command("fail")
def _fail() -> None:
    raise DataError("input.csv: line 3 is not a number")


#: A plugin that adds commands of its own (``Plugin.commands``), published under "tools".
TOOLS = Plugin(name="tools", summary="A plugin with commands.", config_class=TrainConfig,
               run=lambda config, context: RunResult({}), commands=lambda: [_hello, _fail])


def test_a_plugin_adds_commands_of_its_own(wgan, monkeypatch) -> None:
    real = registry.entry_points

    def with_tools(group: str):
        return list(real(group=group)) + [EntryPoint("tools", f"{__name__}:TOOLS",
                                                     registry.GROUP)]

    monkeypatch.setattr(registry, "entry_points", with_tools)
    code, out, _ = wgan("plugins")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and lines["tools"].endswith("[wgan tools fail|hello]")
    assert "[wgan" not in lines["toy"]
    assert wgan("tools", "hello", "--name", "you")[:2] == (0, "hello you\n")
    code, _, err = wgan("tools", "fail")  # a WganError: one line, exit 2, like every command
    assert code == 2 and err == "error: input.csv: line 3 is not a number\n"
    for args in (["toy"], ["tools", "nope"], ["nosuchplugin"]):
        code, _, err = wgan(*args)
        assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_run_help_is_generated_from_the_config(wgan) -> None:
    code, out, _ = wgan("run", "toy", "--help")
    assert code == 0
    for flag in ["--steps", "--batch-size", "--n-critic", "--constraint", "--penalty-weight",
                 "--lr-g", "--lr-c", "--log-every", "--checkpoint-every", "--seed", "--device",
                 "--dataset", "--out", "--config", "--resume"]:
        assert flag in out


def test_run_writes_the_run_folder_and_flags_override_toml(wgan, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('dataset = "ring8"\nsteps = 7\nlr_g = 0.001\n')
    out = tmp_path / "run"
    code, stdout, err = wgan("run", "toy", "--config", cfg, "--out", out, *TINY)
    assert code == 0, err
    for name in ["config.toml", "metrics.json", "log.csv", "samples.png", "curves.png",
                 "checkpoints/last.pt"]:
        assert (out / name).exists(), name
    stored = (out / "config.toml").read_text()
    assert 'dataset = "ring8"' in stored and "steps = 2" in stored and "lr_g = 0.001" in stored
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["modes_total"] == 8 and metrics["steps"] == 2


def test_dataset_defaults_apply_unless_the_user_sets_the_option(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--dataset", "ring8", "--out", out, "--lr-c", "0.002",
                        *TINY)
    assert code == 0, err
    stored = (out / "config.toml").read_text()
    # ring8's own defaults (README "Results") fill what was not given; the flag wins.
    assert "latent_dim = 2" in stored and "lr_g = 0.0005" in stored
    assert "lr_c = 0.002" in stored and "steps = 2" in stored


def test_resume_continues_a_run(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY)[0] == 0
    code, _, err = wgan("run", "toy", "--resume", out, "--steps", "4", "--quiet")
    assert code == 0, err
    assert json.loads((out / "metrics.json").read_text())["steps"] == 4


def test_sample_writes_points(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY)[0] == 0
    code, _, err = wgan("sample", out, "-n", "33", "-o", tmp_path / "pts.csv")
    assert code == 0, err
    assert len((tmp_path / "pts.csv").read_text().strip().splitlines()) == 34
    code, _, err = wgan("sample", out, "-n", "5", "-o", tmp_path / "pts.csv")
    assert code == 2 and "already exists" in err


@pytest.mark.parametrize("args,needle", [
    (["run", "nope"], "no plugin named 'nope'"),
    (["run", "toy", "--steps", "ten"], "'ten' is not a valid integer"),
    (["run", "toy", "--steps", "0"], "steps (--steps) must be at least 1"),
    (["run", "toy", "--dot-slope-factor", "0"],
     "dot_slope_factor (--dot-slope-factor) must be in (0, 1]"),
    (["run", "toy", "--constraint", "magic"], "magic"),
    (["run", "toy", "--config", "missing.toml"], "missing.toml: no such file"),
    (["run", "toy", "--data", "missing.csv", "--steps", "1"], "missing.csv: no such file"),
    (["run", "toy", "--resume", "no_such_dir"], "not a run folder"),
    (["sample", "no_such_dir", "-o", "x.csv"], "not a run folder"),
    (["apply", "no_such_dir", "a.png", "b.png"], "not a run folder"),
    (["frobnicate"], "No such command"),
    (["run", "toy", "--lr-g", "nan"], "must be a finite number"),
    (["run", "toy", "--config", "."], "is a folder"),
    (["run", "toy", "--out", "a", "--resume", "b"], "both given"),
    (["run", "toy", "--data", ".", "--steps", "1"], "is a folder"),
])
def test_bad_input_is_one_line_and_exit_2(wgan, tmp_path: Path, monkeypatch, args, needle) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = wgan(*args)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_toml_names_the_key(wgan, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("stepz = 3\n")
    code, _, err = wgan("run", "toy", "--config", cfg, "--out", tmp_path / "r")
    assert code == 2 and "unknown key 'stepz'" in err and str(cfg) in err
    cfg.write_text('steps = "many"\n')
    code, _, err = wgan("run", "toy", "--config", cfg, "--out", tmp_path / "r")
    assert code == 2 and "key 'steps' must be int" in err


def test_existing_run_folder_is_never_overwritten(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    code, _, err = wgan("run", "toy", "--out", out, *TINY)
    assert code == 2 and "already exists" in err
    assert (out / "precious.txt").read_text() == "keep me"


def test_bad_user_data_names_file_and_line(wgan, tmp_path: Path) -> None:
    data = tmp_path / "pts.csv"
    data.write_text("x,y\n" + "1,2\n" * 20 + "3,oops\n")
    code, _, err = wgan("run", "toy", "--data", data, "--out", tmp_path / "r", *TINY)
    assert code == 2 and f"{data}:22" in err


def test_nan_loss_exits_2_and_keeps_the_checkpoint(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--out", out, "--steps", "30", "--batch-size", "16",
                        "--hidden", "8", "--n-eval", "100", "--quiet", "--lr-g", "1e30",
                        "--lr-c", "1e30", "--constraint", "none", "--checkpoint-every", "1")
    assert code == 2 and "became nan" in err and len(err.strip().splitlines()) == 1


def test_failed_start_leaves_no_run_folder(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--data", tmp_path / "none.csv", "--out", out, *TINY)
    assert code == 2 and not out.exists()


def test_third_party_plugin_is_listed_and_runs(wgan, tmp_path: Path) -> None:
    """examples/wgan-hello-plugin, a separate distribution, registers exactly as built-ins do.
    The README's test command installs it."""
    code, out, _ = wgan("plugins")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "hello" in lines, "install it: pip install -e examples/wgan-hello-plugin"
    assert "wgan-hello-plugin" in lines["hello"] and "FAILED" not in lines["hello"]
    run = tmp_path / "hello"
    code, stdout, err = wgan("run", "hello", "--steps", "3", "--batch-size", "16", "--out", run,
                             "--quiet")
    assert code == 0, err
    assert json.loads((run / "metrics.json").read_text())["w1_exact"] > 0
    assert (run / "histogram.png").exists()


def test_bare_wgan_prints_the_help_not_one_flattened_line(wgan) -> None:
    for args in ([], ["run"]):
        code, _, err = wgan(*args)
        assert code == 2
        assert "Commands:" in err and len(err.strip().splitlines()) > 5, err


def test_failed_resume_keeps_the_runs_config_and_names_the_changed_option(
        wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY)[0] == 0
    before = (out / "config.toml").read_bytes()
    code, _, err = wgan("run", "toy", "--resume", out, "--hidden", "16", "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "does not match" in err and "hidden 8 -> 16" in err
    code, _, err = wgan("run", "toy", "--resume", out, "--data", tmp_path / "none.csv")
    assert code == 2 and "none.csv" in err
    assert (out / "config.toml").read_bytes() == before
    code, _, err = wgan("sample", out, "-n", "3", "-o", tmp_path / "pts.csv")
    assert code == 0, err
    # a config.toml edited by hand out of step with the checkpoint: one line, not a traceback
    (out / "config.toml").write_text(before.decode().replace("hidden = 8", "hidden = 16"))
    code, _, err = wgan("sample", out, "-n", "3", "-o", tmp_path / "pts2.csv")
    assert code == 2 and "does not match" in err and len(err.strip().splitlines()) == 1, err


def test_os_errors_and_junk_checkpoints_are_one_line(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY)[0] == 0
    (tmp_path / "afile").write_text("")
    code, _, err = wgan("sample", out, "-n", "3", "-o", tmp_path / "afile" / "pts.csv")
    assert code == 2 and "afile" in err and len(err.strip().splitlines()) == 1, err
    (out / "checkpoints" / "last.pt").write_bytes(b"junk" * 100)
    code, _, err = wgan("sample", out, "-n", "3", "-o", tmp_path / "pts.csv")
    assert code == 2 and "unreadable checkpoint" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_resume_stopped_by_ctrl_c_before_a_checkpoint_keeps_the_config(
        wgan, tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY)[0] == 0
    before = (out / "config.toml").read_bytes()
    toy = registry.get("toy")

    def interrupted(config, context):
        raise KeyboardInterrupt

    monkeypatch.setattr(registry, "get",
                        lambda name: dataclasses.replace(toy, run=interrupted))
    code, _, _ = wgan("run", "toy", "--resume", out, "--hidden", "16", "--quiet")
    assert code == 130
    assert (out / "config.toml").read_bytes() == before

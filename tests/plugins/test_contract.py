"""Every registered plugin keeps the plugin contract (as timm tests every registered model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wgan import registry
from wgan_cli.main import main
from wgan_core.config import TrainConfig, field_specs

ENTRIES = registry.discover()


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(list(map(str, args)))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_builtins_are_registered() -> None:
    names = {e.name for e in ENTRIES}
    assert {"toy", "superres", "graphgen"} <= names


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_plugin_loads_and_extends_the_shared_config(entry: registry.PluginEntry) -> None:
    assert entry.plugin is not None, entry.error
    assert issubclass(entry.plugin.config_class, TrainConfig)
    assert entry.plugin.summary and "\n" not in entry.plugin.summary
    entry.plugin.config_class().validate()  # the defaults are valid


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_config_renders_as_help_options(entry: registry.PluginEntry, capsys) -> None:
    assert entry.plugin is not None, entry.error
    code, out, _ = run_cli(capsys, "run", entry.name, "--help")
    assert code == 0
    for spec in field_specs(entry.plugin.config_class):
        assert "--" + spec.name.replace("_", "-") in out, spec.name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_tiny_run_writes_the_run_folder(entry: registry.PluginEntry, tmp_path: Path,
                                        capsys) -> None:
    plugin = entry.plugin
    assert plugin is not None, entry.error
    args = []
    for key, value in plugin.smoke_overrides.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        else:
            args += [flag, str(value)]
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", entry.name, "--out", out, "--quiet", "--device", "cpu",
                           *args)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics, "metrics.json is empty"
    assert (out / "config.toml").exists() and (out / "checkpoints" / "last.pt").exists()
    assert list(out.glob("*.png")), "a run writes at least one picture"

"""Every registered plugin keeps the plugin contract (as timm tests every registered model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

import wgan as api
from wgan import registry
from wgan_core.config import RunOptions, field_specs

ENTRIES = registry.discover()
IDS = [e.name for e in ENTRIES]
CONSTRAINTS = ["gp", "lp", "sn", "clip", "none"]
#: The plugins the wgan distribution itself registers.
BUILTINS = ["toy", "superres", "img2img", "graphgen", "federated", "fairness"]


def smoke_args(overrides: dict[str, Any]) -> list[str]:
    args = []
    for key, value in overrides.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        else:
            args += [flag, str(value)]
    return args


def test_builtins_are_registered() -> None:
    """The wgan distribution registers exactly the six built-ins, and each of them loads as
    the plugin of its own name."""
    builtin = {e.name: e for e in ENTRIES if e.distribution == "wgan"}
    assert sorted(builtin) == sorted(BUILTINS)
    for name in BUILTINS:
        entry = builtin[name]
        assert entry.error is None and entry.plugin is not None, (name, entry.error)
        assert entry.plugin.name == name
        assert entry.value == f"wgan_plugins.{name}:PLUGIN"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_plugin_loads_and_extends_the_shared_config(entry: registry.PluginEntry) -> None:
    assert entry.plugin is not None, entry.error
    assert issubclass(entry.plugin.config_class, RunOptions)
    assert entry.plugin.summary and "\n" not in entry.plugin.summary
    entry.plugin.config_class().validate()  # the defaults are valid


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_config_renders_as_help_options(entry: registry.PluginEntry, wgan) -> None:
    assert entry.plugin is not None, entry.error
    code, out, _ = wgan("run", entry.name, "--help")
    assert code == 0
    for spec in field_specs(entry.plugin.config_class):
        assert "--" + spec.name.replace("_", "-") in out, spec.name


#: Each plugin's smoke run, and graphgen's other mode (its metrics differ).
TINY_RUNS = [(e, []) for e in ENTRIES] + [(e, ["--mode", "nodes"]) for e in ENTRIES
                                          if e.name == "graphgen"]


@pytest.mark.parametrize("entry,extra", TINY_RUNS,
                         ids=[e.name + "".join(f"-{a.lstrip('-')}" for a in x[1:])
                              for e, x in TINY_RUNS])
def test_tiny_run_writes_the_run_folder(entry: registry.PluginEntry, extra: list[str],
                                        tmp_path: Path, wgan) -> None:
    plugin = entry.plugin
    assert plugin is not None, entry.error
    out = tmp_path / "run"
    code, _, err = wgan("run", entry.name, "--out", out, "--quiet", "--device", "cpu",
                        *smoke_args(dict(plugin.smoke_overrides)), *extra)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics, "metrics.json is empty"
    schema = plugin.metrics_schema
    if entry.name in BUILTINS:
        assert schema is not None, f"built-in plugin '{entry.name}' has no metrics_schema"
    if schema is not None:
        jsonschema.validators.validator_for(schema).check_schema(schema)
        jsonschema.validate(metrics, schema)
    assert (out / "config.toml").exists() and (out / "checkpoints" / "last.pt").exists()
    assert list(out.glob("*.png")), "a run writes at least one picture"


INFERENCE = [(e, c) for e in ENTRIES if e.plugin is not None
             and (e.plugin.sample or e.plugin.apply or e.plugin.load_generator)
             for c in CONSTRAINTS]


@pytest.mark.parametrize("entry,constraint", INFERENCE,
                         ids=[f"{e.name}-{c}" for e, c in INFERENCE])
def test_inference_works_on_a_run_trained_under_each_constraint(
        entry: registry.PluginEntry, constraint: str, tmp_path: Path, wgan) -> None:
    """sample / apply / wgan.load rebuild the networks as the run trained them (spectral
    normalization reparametrizes the critic; a loader that forgot would miss its keys)."""
    plugin = entry.plugin
    assert plugin is not None
    out = tmp_path / "run"
    overrides = {**plugin.smoke_overrides, "constraint": constraint}
    code, _, err = wgan("run", entry.name, "--out", out, "--quiet", "--device", "cpu",
                        *smoke_args(overrides))
    assert code == 0, err
    if plugin.sample is not None:
        code, stdout, err = wgan("sample", out, "-n", "4", "-o", tmp_path / plugin.sample_output,
                                 "--device", "cpu")
        assert code == 0, err
        assert all(Path(p).exists() for p in stdout.split())
    if plugin.apply is not None:
        Image.new("RGB", (20, 14), (120, 30, 200)).save(tmp_path / "in.png")
        code, _, err = wgan("apply", out, tmp_path / "in.png", tmp_path / "up.png",
                            "--device", "cpu")
        assert code == 0, err
        w, h = Image.open(tmp_path / "up.png").size  # translated (same size) or upscaled
        assert w >= 20 and h >= 14 and w * 14 == h * 20
    if plugin.load_generator is not None:
        loaded = api.load(out)
        assert loaded.plugin.name == entry.name and loaded.config.constraint == constraint
        assert not loaded.generator.training

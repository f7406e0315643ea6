"""The shipped plugins keep the plugin contract (``wgan.testing.check_plugin``, the same suite a
third-party plugin runs in its own tests). Only the six built-ins and the shipped example
``hello`` are checked here, never whatever else happens to be installed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from wgan import registry
from wgan.testing import check_plugin
from wgan_core.plugin import RunContext, RunResult

#: The plugins the wgan distribution itself registers.
BUILTINS = ["toy", "superres", "img2img", "graphgen", "federated", "fairness"]
#: The third-party example shipped in examples/wgan-hello-plugin.
EXAMPLES = ["hello"]


def test_builtins_are_registered() -> None:
    """The wgan distribution registers exactly the six built-ins, and each of them loads as
    the plugin of its own name."""
    builtin = {e.name: e for e in registry.discover() if e.distribution == "wgan"}
    assert sorted(builtin) == sorted(BUILTINS)
    for name in BUILTINS:
        entry = builtin[name]
        assert entry.error is None and entry.plugin is not None, (name, entry.error)
        assert entry.plugin.name == name
        assert entry.value == f"wgan_plugins.{name}:PLUGIN"


@pytest.mark.parametrize("name", BUILTINS + EXAMPLES)
def test_plugin_passes_the_conformance_suite(name: str, tmp_path: Path) -> None:
    """Registration, --help, a smoke run (metrics.json against the plugin's schema), resume,
    inference under every constraint the plugin accepts, one-line errors for bad options."""
    report = check_plugin(name, tmp_path=tmp_path)
    report.raise_if_failed()
    for check in ("registration", "help", "smoke-run", "resume", "bad-options"):
        assert check in report.passed, (check, report.skipped.get(check))
    plugin = registry.get(name)
    if name in BUILTINS:
        assert plugin.metrics_schema is not None, f"built-in plugin '{name}' has no schema"
    if plugin.sample or plugin.apply or plugin.load_generator or plugin.audit:
        assert any(c.startswith("inference") for c in report.passed)


def _required_keys(schema: object) -> set[str]:
    """Every key any (sub)schema of a metrics.json schema requires."""
    if isinstance(schema, dict):
        required = schema.get("required")
        found = set(required) if isinstance(required, list) else set()
        return found.union(*(_required_keys(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_required_keys(v) for v in schema))
    return set()


@pytest.mark.parametrize("name", BUILTINS)
def test_a_plugin_reporting_swd_reports_both_variants(name: str) -> None:
    """An SWD in metrics.json is ProGAN's (``swd*``) beside the paired one (``swd_paired*``),
    never one of them alone under an ambiguous name."""
    keys = _required_keys(registry.get(name).metrics_schema)
    progan = {k for k in keys if k.startswith("swd_") and not k.startswith("swd_paired")}
    paired = {k.replace("swd_paired_", "swd_", 1) for k in keys if k.startswith("swd_paired_")}
    assert progan == paired, (name, progan ^ paired)


def test_graphgen_nodes_mode_smoke_run(tmp_path: Path) -> None:
    """graphgen's other mode writes other metrics: its smoke run meets the schema too."""
    check_plugin("graphgen", tmp_path=tmp_path, checks=("smoke-run",),
                 overrides={"mode": "nodes"}).raise_if_failed()


def test_the_suite_names_every_failing_check(tmp_path: Path) -> None:
    """A plugin that restarts instead of resuming and writes metrics its schema refuses fails
    both checks, each by name, in one AssertionError."""
    toy = registry.get("toy")

    def forgetful_run(config: object, context: RunContext) -> RunResult:
        shutil.rmtree(context.checkpoint_dir, ignore_errors=True)  # forgets where it was
        result = toy.run(config, context)
        result.metrics["w1_exact"] = "not a number"
        return result

    broken = dataclasses.replace(toy, run=forgetful_run)
    report = check_plugin(broken, tmp_path=tmp_path, checks=("smoke-run", "resume", "help"))
    assert set(report.failures) == {"smoke-run", "resume"}
    assert report.passed == ["help"]
    assert "w1_exact" in report.failures["smoke-run"]
    assert "started again" in report.failures["resume"]
    with pytest.raises(AssertionError, match=r"(?s)smoke-run: .*resume: "):
        report.raise_if_failed()


@pytest.mark.parametrize("name,stream", [("toy", "toy"), ("superres", "adversarial"),
                                         ("img2img", "adversarial"), ("graphgen", "graphgen")])
def test_preview_reaches_tensorboard_at_every_checkpoint(name: str, stream: str,
                                                         tmp_path: Path) -> None:
    """--logger tensorboard: the plugin's preview hook draws a picture at each checkpoint."""
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    from wgan_core.runs import execute

    plugin = registry.get(name)
    assert plugin.preview is not None
    options = {**plugin.smoke_overrides, "checkpoint_every": 1, "logger": "tensorboard",
               "device": "cpu"}
    execute(plugin, options, out=tmp_path / "run", progress=False)
    acc = event_accumulator.EventAccumulator(str(tmp_path / "run" / "tensorboard" / stream),
                                             size_guidance={"images": 0})
    acc.Reload()
    images = acc.Images(f"{stream}/preview")
    assert [e.step for e in images] == list(range(1, options["steps"] + 1))
    assert min(images[-1].width, images[-1].height) >= 32

"""The registry: lazy lookups (light commands import no other plugin and no heavy dependency)
and plugins validated on load (a broken one is reported by name and reason, never breaking the
others)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

import wgan_core.config
from wgan import registry
from wgan_core.config import TrainConfig

HEAVY = ["flwr", "ray", "torch_geometric", "kornia", "fairlearn"]

PROBE = r"""
import json, sys
from wgan_cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _module_of(value: str) -> str:
    return value.split(":")[0].strip()


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["run", "toy", "--help"]],
                         ids=["version", "help", "run-toy-help"])
def test_light_commands_import_no_other_plugin_and_no_heavy_dependency(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] in (0, None), proc.stderr
    modules = result["modules"]
    heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert not heavy, f"wgan {' '.join(args)} imported {heavy}"
    others = [_module_of(e.value) for e in registry.discover() if e.name != "toy"]
    assert others, "the other built-in plugins are registered"
    leaked = [m for m in modules for o in others if m == o or m.startswith(o + ".")]
    assert not leaked, f"wgan {' '.join(args)} imported {leaked}"


# ---------------------------------------------------------------- broken plugins

ENTRY_POINTS = """\
[wgan.plugins]
raises = wgan_broken_raises:PLUGIN
notplugin = wgan_broken:NOT_A_PLUGIN
mismatch = wgan_broken:MISMATCH
badsmoke = wgan_broken:BAD_SMOKE
badhook = wgan_broken:BAD_HOOK
badtype = wgan_broken:BAD_TYPE
baddefaults = wgan_broken:BAD_DEFAULTS
notshared = wgan_broken:NOT_SHARED
"""

BROKEN = '''
from dataclasses import dataclass

from wgan_core.config import TrainConfig, option
from wgan_core.plugin import Plugin, RunResult


@dataclass
class Config(TrainConfig):
    width: int = option(3, "A plugin's own option.")


@dataclass
class ListConfig(TrainConfig):
    sizes: list = option(None, "Not a type the CLI can render.")


@dataclass
class ZeroStepsConfig(TrainConfig):
    steps: int = option(0, "Invalid by default.")


@dataclass
class Standalone:
    steps: int = 1


def run(config, context):
    return RunResult(metrics={})


def apply(run_dir, input, output):
    return []


NOT_A_PLUGIN = 42
MISMATCH = Plugin(name="other", summary="Named unlike its entry point.", config_class=Config,
                  run=run)
BAD_SMOKE = Plugin(name="badsmoke", summary="A typo in smoke_overrides.", config_class=Config,
                   run=run, smoke_overrides={"steps": 2, "stepz": 3})
BAD_HOOK = Plugin(name="badhook", summary="apply without a device.", config_class=Config,
                  run=run, apply=apply)
BAD_TYPE = Plugin(name="badtype", summary="A list option.", config_class=ListConfig, run=run)
BAD_DEFAULTS = Plugin(name="baddefaults", summary="steps = 0.", config_class=ZeroStepsConfig,
                      run=run)
NOT_SHARED = Plugin(name="notshared", summary="Own options only.", config_class=Standalone,
                    run=run)
'''

#: entry point -> a piece of the one-line reason `wgan plugins` and `wgan run NAME` give.
REASONS = {
    "raises": "RuntimeError: boom while importing",
    "notplugin": "wgan_broken:NOT_A_PLUGIN is not a wgan_core.plugin.Plugin (it is of type int)",
    "mismatch": "entry point 'mismatch' exposes a plugin named 'other'",
    "badsmoke": "smoke_overrides names unknown option 'stepz'",
    "badhook": "apply(run_dir, input, output) lacks the parameter 'device'",
    "badtype": "ListConfig.sizes: unsupported type",
    "baddefaults": "defaults do not validate: ConfigError: steps (--steps) must be at least 1",
    "notshared": f"does not extend wgan_core.config.{registry.SHARED_BASE.__qualname__}",
}
MODULES = ["wgan_broken", "wgan_broken_raises"]


@pytest.fixture
def broken_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution ``broken-pkg`` 0.0 with one entry point per way a plugin can be broken,
    installed by putting its folder on sys.path."""
    site = tmp_path / "site"
    info = site / "broken_pkg-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pkg\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (site / "wgan_broken_raises.py").write_text('raise RuntimeError("boom while importing")\n')
    (site / "wgan_broken.py").write_text(textwrap.dedent(BROKEN))
    for m in MODULES:
        sys.modules.pop(m, None)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for m in MODULES:
        sys.modules.pop(m, None)


def test_plugins_lists_each_broken_plugin_with_its_reason(broken_plugins: Path, wgan) -> None:
    code, out, err = wgan("plugins")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    for name, reason in REASONS.items():
        assert "FAILED" in lines[name] and reason in lines[name], lines[name]
        assert "broken-pkg" in lines[name] and "0.0" in lines[name]
    assert "FAILED" not in lines["toy"] and "2-D mixtures" in lines["toy"]
    assert len(out.strip().splitlines()) == len(lines)  # every reason fits on its line
    code, out, err = wgan("run", "--help")  # lists the plugins that load
    assert code == 0, err
    assert "toy" in out and "superres" in out and not set(REASONS) & set(out.split())


def test_a_good_plugin_runs_beside_broken_ones_without_loading_them(broken_plugins: Path,
                                                                    wgan) -> None:
    code, out, err = wgan("run", "toy", "--help")
    assert code == 0, err
    assert "--steps" in out and "--dataset" in out
    assert not set(MODULES) & set(sys.modules)


@pytest.mark.parametrize("name", sorted(REASONS))
def test_running_a_broken_plugin_is_one_line_and_exit_2(broken_plugins: Path, wgan,
                                                        name: str) -> None:
    code, _, err = wgan("run", name, "--steps", "1")
    assert code == 2
    assert f"plugin '{name}' failed to load" in err and REASONS[name] in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_name_lists_the_entry_points_without_loading_them(broken_plugins: Path,
                                                                   wgan) -> None:
    code, _, err = wgan("run", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no plugin named 'nope'" in err
    assert "toy" in err and "raises" in err and "badhook" in err
    assert not set(MODULES) & set(sys.modules)


def test_discover_is_lazy_and_an_entry_loads_once(broken_plugins: Path) -> None:
    entries = {e.name: e for e in registry.discover()}
    assert list(entries) == sorted(entries)
    assert not any(e.loaded for e in entries.values())
    assert not set(MODULES) & set(sys.modules)
    bad = entries["badsmoke"]
    assert (bad.distribution, bad.version, bad.value) == ("broken-pkg", "0.0",
                                                          "wgan_broken:BAD_SMOKE")
    assert bad.plugin is None and bad.loaded and REASONS["badsmoke"] in (bad.error or "")
    assert "wgan_broken" in sys.modules and "wgan_broken_raises" not in sys.modules
    toy = entries["toy"]
    assert toy.error is None and toy.plugin is toy.load() is registry.get("toy")
    with pytest.raises(registry.UnknownPluginError, match="boom while importing"):
        registry.get("raises")


# ---------------------------------------------------------------- validation units

def test_shared_base_follows_the_core() -> None:
    assert registry.SHARED_BASE is getattr(wgan_core.config, "RunOptions", TrainConfig)


def _apply_ok(run_dir, input, output, device, overwrite=False, tile=64): ...
def _apply_no_overwrite(run_dir, input, output, device): ...
def _apply_kw_device(run_dir, input, output, *, device, overwrite=False): ...
def _sample_extra(run_dir, n, output, seed, device, palette): ...
def _sample_varargs(*args: Any, **kwargs: Any): ...


@pytest.mark.parametrize("hook,fn,expected", [
    ("apply", _apply_ok, None),
    ("sample", _sample_varargs, None),
    ("apply", _apply_no_overwrite,
     "apply(run_dir, input, output, device) lacks the parameter 'overwrite'"),
    ("apply", _apply_kw_device,
     "apply(run_dir, input, output, device, overwrite) takes 'device' only as a keyword"),
    ("sample", _sample_extra, "sample(run_dir, n, output, seed, device, palette) needs the "
     "parameter 'palette' that wgan does not pass"),
    ("audit", lambda run_dir, n, seed: None,
     "audit(run_dir, n, seed) lacks the parameter 'device'"),
    ("run", lambda config, context: None, None),
    ("load_generator", "not a function", "load_generator is not callable (it is of type str)"),
])
def test_hook_signatures_are_checked_against_the_protocols(hook: str, fn: Any,
                                                           expected: str | None) -> None:
    positional, keywords = registry.HOOKS[hook]
    assert registry.check_signature(hook, fn, positional, keywords) == expected

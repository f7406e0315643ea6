"""The plugin conformance suite, as scikit-learn's ``check_estimator``: one call checks that a
plugin keeps the contract every wgan command relies on.

    from wgan.testing import check_plugin

    def test_my_plugin(tmp_path):
        check_plugin("mything", tmp_path=tmp_path).raise_if_failed()

Each check has a name and runs even when an earlier one failed (a check that needs the smoke
run is skipped, with the reason, when that run failed); :class:`CheckReport` holds what passed,
what failed and why, and what was skipped. The checks:

- ``registration``: the registry's own validation (``wgan.registry.validate``): a Plugin named
  as its entry point, a config class the CLI can render whose defaults and
  ``smoke_overrides`` validate, hooks callable as wgan calls them;
- ``help``: ``wgan run NAME --help`` offers every option of the config;
- ``smoke-run``: ``wgan run NAME`` with ``smoke_overrides`` exits 0 and writes config.toml,
  checkpoints/last.pt, a picture and metrics.json, valid against ``metrics_schema`` when the
  plugin declares one;
- ``resume``: ``wgan run NAME --resume RUN --steps N+1 --quiet`` (``--rounds`` for a plugin
  counting rounds) continues the smoke run: the rows its training logs held are kept as they
  were (a restart would write them again) and new ones follow;
- ``inference-<constraint>``: for each constraint of ``constraints`` the plugin accepts, a
  smoke run trained under it, then ``sample``, ``apply``, ``load_generator`` (as
  ``wgan.load``) and ``audit`` (through ``wgan_core.groups.group_report``), whichever the
  plugin offers (skipped when it offers none);
- ``bad-options``: an unknown option, a value of the wrong type and an invalid value each end
  with exit code 2, one line on stderr and no run folder.

The plugin runs in this process, on the CPU, through the same Click command ``wgan run``
builds, so a plugin object that is not (yet) installed can be checked as well.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch

from wgan_core.config import build_config, field_specs
from wgan_core.errors import WganError
from wgan_core.plugin import Plugin

from . import registry

#: Every Lipschitz constraint of the core, the default of ``check_plugin(constraints=...)``.
ALL_CONSTRAINTS = ("gp", "lp", "sn", "clip", "none")
#: The names of the checks, in the order they run.
CHECKS = ("registration", "help", "smoke-run", "resume", "inference", "bad-options")


class CheckFailed(AssertionError):
    """Raised inside a check with the one-line reason it failed."""


@dataclass
class CheckReport:
    """What ``check_plugin`` found: check names that ``passed``, ``failures`` (name -> why)
    and ``skipped`` (name -> why not run)."""

    plugin: str
    passed: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether no check failed."""
        return not self.failures

    def raise_if_failed(self) -> None:
        """Raise one AssertionError listing every failed check by name."""
        if self.failures:
            lines = [f"plugin '{self.plugin}' failed {len(self.failures)} check(s):"]
            lines += [f"  {name}: {why}" for name, why in self.failures.items()]
            raise AssertionError("\n".join(lines))

    def __str__(self) -> str:
        parts = [f"{self.plugin}: {len(self.passed)} passed"]
        parts += [f"FAILED {k}: {v}" for k, v in self.failures.items()]
        parts += [f"skipped {k}: {v}" for k, v in self.skipped.items()]
        return "\n".join(parts)


def check_plugin(name_or_plugin: str | Plugin, *, tmp_path: str | Path | None = None,
                 constraints: Sequence[str] = ALL_CONSTRAINTS,
                 checks: Iterable[str] = CHECKS,
                 overrides: Mapping[str, Any] | None = None) -> CheckReport:
    """Run the conformance checks (module docstring) on a registered plugin (by name) or a
    Plugin object, and return the report; call ``.raise_if_failed()`` on it in a test.

    ``tmp_path``: where the runs go (default: a temporary folder removed afterwards).
    ``constraints``: the constraints the inference checks train under (those the plugin's
    config refuses are skipped). ``checks``: a subset of :data:`CHECKS` to run.
    ``overrides``: options added to ``smoke_overrides`` for every run (e.g. another mode)."""
    wanted = tuple(checks)
    unknown = [c for c in wanted if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check '{unknown[0]}' (checks: {', '.join(CHECKS)})")
    if tmp_path is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="wgan-check-") as tmp:
            return check_plugin(name_or_plugin, tmp_path=tmp, constraints=constraints,
                                checks=wanted, overrides=overrides)
    checker = _Checker(name_or_plugin, Path(tmp_path), dict(overrides or {}))
    checker.run(wanted, tuple(constraints))
    return checker.report


# ---------------------------------------------------------------------- the checks

class _Checker:
    def __init__(self, name_or_plugin: str | Plugin, root: Path,
                 overrides: dict[str, Any]) -> None:
        self.root = root
        self.plugin: Plugin | None = None
        self.load_error: str | None = None
        if isinstance(name_or_plugin, Plugin):
            self.name = name_or_plugin.name
            self.plugin = name_or_plugin
        else:
            self.name = str(name_or_plugin)
            entry = {e.name: e for e in registry.discover()}.get(self.name)
            if entry is None:
                self.load_error = f"no plugin named '{self.name}' is registered"
            elif entry.plugin is None:
                self.load_error = entry.error
            else:
                self.plugin = entry.plugin
        self.report = CheckReport(self.name)
        self.overrides = overrides
        self.smoke_dir: Path | None = None

    def run(self, wanted: tuple[str, ...], constraints: tuple[str, ...]) -> None:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("registration", self.check_registration), ("help", self.check_help),
            ("smoke-run", self.check_smoke_run), ("resume", self.check_resume)]
        for name, fn in steps:
            if name in wanted:
                self._do(name, fn)
        if "inference" in wanted:
            self.check_inference(constraints)
        if "bad-options" in wanted:
            self._do("bad-options", self.check_bad_options)

    def _do(self, name: str, fn: Callable[[], None]) -> None:
        if self.plugin is None and name != "registration":
            self.report.skipped[name] = f"the plugin did not load: {self.load_error}"
            return
        try:
            fn()
        except _Skip as exc:
            self.report.skipped[name] = str(exc)
        except CheckFailed as exc:
            self.report.failures[name] = str(exc)
        except Exception as exc:  # a plugin's own bug: name it, keep checking
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.report.failures[name] = (f"{type(exc).__name__}: {exc} "
                                          f"({Path(where.filename).name}:{where.lineno})")
        else:
            self.report.passed.append(name)

    # ------------------------------------------------------------------ helpers
    def _wgan(self, *args: Any) -> tuple[int, str, str]:
        """``wgan run NAME ARGS``: exit code, stdout, stderr (in this process)."""
        from wgan_cli.main import run_cli, single_plugin_cli

        assert self.plugin is not None
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                run_cli(single_plugin_cli(self.plugin), ["run", self.name, *map(str, args)])
                code: Any = 0
            except SystemExit as exc:
                code = exc.code
        return (code if isinstance(code, int) else (0 if code is None else 1),
                out.getvalue(), err.getvalue())

    def _smoke(self, **more: Any) -> dict[str, Any]:
        assert self.plugin is not None
        return {**self.plugin.smoke_overrides, "device": "cpu", **self.overrides, **more}

    def _train(self, out: Path, options: Mapping[str, Any], *extra: str) -> None:
        code, _, err = self._wgan("--out", out, *extra, *smoke_args(options))
        if code != 0:
            raise CheckFailed(f"wgan run {self.name} {' '.join(smoke_args(options))} exited "
                              f"with {code}: {_last_line(err)}")

    # ------------------------------------------------------------------ checks
    def check_registration(self) -> None:
        if self.plugin is None:
            raise CheckFailed(str(self.load_error))
        problem = registry.validate(self.plugin, self.name)
        if problem:
            raise CheckFailed(problem)

    def check_help(self) -> None:
        assert self.plugin is not None
        code, out, err = self._wgan("--help")
        if code != 0:
            raise CheckFailed(f"--help exited with {code}: {_last_line(err)}")
        missing = [s.name for s in field_specs(self.plugin.config_class)
                   if "--" + s.name.replace("_", "-") not in out]
        if missing:
            raise CheckFailed(f"--help does not offer --{missing[0].replace('_', '-')}")

    def check_smoke_run(self) -> None:
        assert self.plugin is not None
        out = self.root / "smoke"
        # Without --quiet: the resume check then changes that flag.
        self._train(out, self._smoke())
        self.smoke_dir = out  # it ran: the resume check can go on even if what it wrote fails
        problems = run_folder_problems(out, self.plugin.metrics_schema)
        if problems:
            raise CheckFailed("; ".join(problems))

    def check_resume(self) -> None:
        assert self.plugin is not None
        if self.smoke_dir is None:
            raise _Skip("the smoke run failed")
        specs = {s.name for s in field_specs(self.plugin.config_class)}
        knob = next((k for k in ("steps", "rounds") if k in specs), None)
        if knob is None:
            raise _Skip("the config has no steps or rounds option to train on with")
        before = _training_logs(self.smoke_dir)
        if not before:
            raise CheckFailed("the smoke run wrote no training log (a CSV with a step or "
                              "round column) to tell a continued run from a restarted one")
        config = build_config(self.plugin.config_class, self._smoke(), where="smoke")
        more = getattr(config, knob) + 1
        code, _, err = self._wgan("--resume", self.smoke_dir, "--quiet",
                                  f"--{knob}", more, "--device", "cpu")
        if code != 0:
            raise CheckFailed(f"--resume with --{knob} {more} --quiet exited with {code}: "
                              f"{_last_line(err)}")
        after = _training_logs(self.smoke_dir)
        grew = False
        for name, rows in before.items():
            now = after.get(name, [])
            for old, new in zip(rows, now):
                common = [k for k in old if k in new]
                if [old[k] for k in common] != [new[k] for k in common]:
                    raise CheckFailed(f"{name}: the row of step {old.get('step', old.get('round'))} "
                                      f"changed on resume: the run started again instead of "
                                      f"continuing")
            if len(now) < len(rows):
                raise CheckFailed(f"{name}: rows were lost on resume")
            grew = grew or len(now) > len(rows)
        if not grew:
            raise CheckFailed(f"no training log gained a row on resume with --{knob} {more}")

    def check_inference(self, constraints: tuple[str, ...]) -> None:
        plugin = self.plugin
        if plugin is None:
            self.report.skipped["inference"] = f"the plugin did not load: {self.load_error}"
            return
        if not (plugin.sample or plugin.apply or plugin.load_generator or plugin.audit):
            self.report.skipped["inference"] = "the plugin offers no sample, apply, " \
                                               "load_generator or audit"
            return
        specs = {s.name: s for s in field_specs(plugin.config_class)}
        accepted: list[str | None]
        if "constraint" not in specs:
            accepted = [None]
        else:
            accepted = []
            for c in constraints:
                try:
                    build_config(plugin.config_class, self._smoke(constraint=c), where="smoke")
                    accepted.append(c)
                except WganError as exc:
                    self.report.skipped[f"inference-{c}"] = f"the config refuses it: {exc}"
        default = (build_config(plugin.config_class, self._smoke(), where="smoke").constraint
                   if "constraint" in specs else None)
        for c in accepted:
            label = "inference" if c is None else f"inference-{c}"
            self._do(label, lambda c=c: self._inference(c, c == default))

    def _inference(self, constraint: str | None, reuse_smoke: bool) -> None:
        plugin = self.plugin
        assert plugin is not None
        if reuse_smoke and self.smoke_dir is not None:
            run_dir = self.smoke_dir  # the smoke run trained under this constraint already
        else:
            run_dir = self.root / f"run-{constraint or 'default'}"
            more = {} if constraint is None else {"constraint": constraint}
            self._train(run_dir, self._smoke(**more), "--quiet")
        device = torch.device("cpu")
        work = self.root / f"out-{constraint or 'default'}"
        work.mkdir(parents=True, exist_ok=True)
        if plugin.sample is not None:
            paths = plugin.sample(run_dir, 4, work / plugin.sample_output, 0, device)
            if not paths or not all(Path(p).exists() for p in paths):
                raise CheckFailed(f"sample returned {paths!r}, not existing files")
        if plugin.apply is not None:
            from PIL import Image

            Image.new("RGB", (20, 14), (120, 30, 200)).save(work / "in.png")
            paths = plugin.apply(run_dir, work / "in.png", work / "applied.png", device)
            if not paths or not all(Path(p).exists() for p in paths):
                raise CheckFailed(f"apply returned {paths!r}, not existing files")
        if plugin.load_generator is not None:
            from . import load

            loaded = load(run_dir, plugin=plugin)
            if constraint is not None and loaded.config.constraint != constraint:
                raise CheckFailed(f"the loaded config says constraint "
                                  f"'{loaded.config.constraint}', the run trained '{constraint}'")
            if loaded.generator.training:
                raise CheckFailed("load_generator hands out a generator in training mode")
        if plugin.audit is not None:
            from wgan_core.groups import group_report

            grouped = plugin.audit(run_dir, 200, 0, device)
            report = group_report(grouped, k=5)
            if len(report["groups"]) != len(grouped.group_names):
                raise CheckFailed("the audit report lost groups")

    def check_bad_options(self) -> None:
        assert self.plugin is not None
        specs = field_specs(self.plugin.config_class)
        an_int = next((s.name for s in specs if s.base is int and s.choices is None), None)
        cases: list[tuple[str, list[Any]]] = [
            ("an unknown option", ["--no-such-option-xyz", "1"])]
        if an_int is not None:
            flag = "--" + an_int.replace("_", "-")
            cases.append(("a value of the wrong type", [flag, "not-a-number"]))
        cases.append(("an invalid value", ["--log-every", "0"]))
        for i, (what, args) in enumerate(cases):
            out = self.root / f"bad-{i}"
            code, _, err = self._wgan("--out", out, "--device", "cpu", *args)
            lines = err.strip().splitlines()
            if code != 2:
                raise CheckFailed(f"{what} ({' '.join(args)}) exited with {code}, not 2")
            if len(lines) != 1:
                raise CheckFailed(f"{what} ({' '.join(args)}) printed {len(lines)} lines on "
                                  f"stderr, not one")
            if out.exists():
                raise CheckFailed(f"{what} ({' '.join(args)}) wrote the run folder {out}")


class _Skip(Exception):
    """A check that cannot run (its reason is the message)."""


# ---------------------------------------------------------------------- helpers

def smoke_args(overrides: Mapping[str, Any]) -> list[str]:
    """Command-line flags for option values (``{"steps": 3, "normalize": False}`` ->
    ``--steps 3 --no-normalize``)."""
    args: list[str] = []
    for key, value in overrides.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        else:
            args += [flag, str(value)]
    return args


def run_folder_problems(run_dir: Path, schema: Mapping[str, Any] | None) -> list[str]:
    """What a finished run folder lacks ([] when complete): config.toml,
    checkpoints/last.pt, a picture, a non-empty metrics.json valid against ``schema``."""
    problems = []
    for part in ("config.toml", "checkpoints/last.pt", "metrics.json"):
        if not (run_dir / part).exists():
            problems.append(f"the run folder has no {part}")
    if not list(run_dir.glob("*.png")):
        problems.append("the run wrote no picture (*.png) in its folder")
    if problems:
        return problems
    metrics = json.loads((run_dir / "metrics.json").read_text())
    if not metrics:
        return ["metrics.json is empty"]
    if schema is not None:
        try:
            import jsonschema
        except ImportError:
            return ["checking metrics_schema needs jsonschema (pip install 'wgan[test]')"]
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            return [f"metrics_schema is not a valid JSON Schema: {exc.message}"]
        error = jsonschema.validators.validator_for(schema)(schema).iter_errors(metrics)
        first = next(iter(error), None)
        if first is not None:
            where = "/".join(map(str, first.absolute_path)) or "metrics"
            return [f"metrics.json does not match metrics_schema at {where}: {first.message}"]
    return []


def _training_logs(run_dir: Path) -> dict[str, list[dict[str, str]]]:
    """The run folder's CSV files with a step or round column, as rows."""
    logs = {}
    for path in sorted(run_dir.glob("*.csv")):
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            if {"step", "round"} & set(reader.fieldnames or []):
                logs[path.name] = rows
    return logs


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(nothing on stderr)"

"""The plugin registry: every plugin, built-in or third-party, comes from the entry-point group
``wgan.plugins``. Nothing is registered by import side effects.

Lookups are lazy: :func:`discover` reads the entry points (names, targets and distributions,
from installed metadata) without importing any plugin module, and a :class:`PluginEntry`
imports its plugin on first use. :func:`get` imports only the plugin asked for, so
``wgan run toy --help`` never imports the federated plugin's Flower or the graph plugin's PyG.

A plugin is validated when it is loaded (:func:`validate`): the object must be a
``wgan_core.plugin.Plugin`` named as its entry point, its ``config_class`` a dataclass
extending the shared options (:data:`SHARED_BASE`) whose fields the CLI can render and whose
defaults and ``smoke_overrides`` validate, and every hook it sets must be callable the way
``wgan_core.plugin``'s Protocols say. A plugin that fails to import or to validate is recorded
with a one-line reason (``PluginEntry.error``) and never breaks the others; :func:`get` turns
it into an :class:`UnknownPluginError`.
"""

from __future__ import annotations

import dataclasses
import inspect
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Callable

import wgan_core.config
from wgan_core.config import TrainConfig, build_config, field_specs
from wgan_core.errors import WganError
from wgan_core.plugin import Plugin
from wgan_core.runs import read_run_config

GROUP = "wgan.plugins"

#: The options every plugin's ``config_class`` must extend: the core's smallest shared base
#: (``RunOptions`` where the core defines it, else ``TrainConfig``).
SHARED_BASE: type = getattr(wgan_core.config, "RunOptions", TrainConfig)

#: The hooks of a Plugin and how wgan calls them (the Protocols of ``wgan_core.plugin``):
#: positional parameters, then keyword arguments.
HOOKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "run": (("config", "context"), ()),
    "sample": (("run_dir", "n", "output", "seed", "device"), ()),
    "apply": (("run_dir", "input", "output", "device"), ("overwrite",)),
    "audit": (("run_dir", "n", "seed", "device"), ()),
    "load_generator": (("run_dir", "config", "checkpoint"), ()),
    "commands": ((), ()),
    "preview": (("trainer",), ()),
}


class UnknownPluginError(WganError):
    """No plugin of that name is registered, or it failed to load or to validate."""


class PluginEntry:
    """One entry point of the group. ``name``, ``value`` (``module:attribute``),
    ``distribution`` and ``version`` come from the installed metadata without importing
    anything; ``plugin`` (the validated Plugin, or None) and ``error`` (the one-line reason it
    is unusable, or None) import and validate it on first access and keep the result."""

    __slots__ = ("name", "value", "distribution", "version", "_entry_point", "_plugin",
                 "_error", "_loaded")

    def __init__(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        self.name: str = entry_point.name
        self.value: str = entry_point.value
        self.distribution: str = dist.name if dist is not None else "?"
        self.version: str = dist.version if dist is not None else "?"
        self._entry_point = entry_point
        self._plugin: Plugin | None = None
        self._error: str | None = None
        self._loaded = False

    def load(self) -> Plugin | None:
        """Import and validate the plugin once; the Plugin, or None with ``error`` set."""
        if not self._loaded:
            self._plugin, self._error = _load(self._entry_point)
            self._loaded = True
        return self._plugin

    @property
    def loaded(self) -> bool:
        """Whether the plugin has been imported (successfully or not)."""
        return self._loaded

    @property
    def plugin(self) -> Plugin | None:
        """The validated plugin, or None when it failed (loads it on first access)."""
        return self.load()

    @property
    def error(self) -> str | None:
        """Why the plugin is unusable, in one line, or None (loads it on first access)."""
        self.load()
        return self._error

    def __repr__(self) -> str:
        state = ("not loaded" if not self._loaded else
                 "ok" if self._plugin is not None else f"FAILED: {self._error}")
        return (f"PluginEntry(name={self.name!r}, value={self.value!r}, "
                f"distribution={self.distribution!r}, version={self.version!r}, {state})")


# ------------------------------------------------------------------ loading and validation

def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (a SyntaxError's message names its file and line)."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _load(ep: EntryPoint) -> tuple[Plugin | None, str | None]:
    try:
        obj = ep.load()
    except (Exception, SystemExit) as exc:  # a third party's import must stay contained
        return None, _one_line(exc)
    try:
        problem = validate(obj, ep.name, ep.value)
    except Exception as exc:  # a check that itself broke on an odd object
        problem = f"could not be validated: {_one_line(exc)}"
    return (None, problem) if problem else (obj, None)


def validate(obj: Any, name: str, value: str | None = None) -> str | None:
    """Why ``obj``, published as entry point ``name`` (target ``value``), is not a usable
    plugin, in one line; None when it is."""
    if not isinstance(obj, Plugin):
        return (f"{value or name} is not a wgan_core.plugin.Plugin "
                f"(it is of type {type(obj).__name__})")
    if obj.name != name:
        return f"entry point '{name}' exposes a plugin named '{obj.name}'"
    if not isinstance(obj.summary, str) or not obj.summary.strip() or "\n" in obj.summary:
        return "summary must be one non-empty line"
    return _check_config(obj) or _check_hooks(obj)


def _check_config(plugin: Plugin) -> str | None:
    cls = plugin.config_class
    base = SHARED_BASE.__qualname__
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return f"config_class {cls!r} is not a dataclass"
    if not issubclass(cls, SHARED_BASE):
        return f"config_class {cls.__name__} does not extend wgan_core.config.{base}"
    try:
        specs = field_specs(cls)
    except Exception as exc:  # TypeError for an unsupported type, NameError for a bad hint
        return f"config_class {cls.__name__}: {_one_line(exc)}"
    try:
        build_config(cls, {}, where="defaults")
    except Exception as exc:
        return f"config_class {cls.__name__}'s defaults do not validate: {_one_line(exc)}"
    try:
        overrides = dict(plugin.smoke_overrides)
    except Exception as exc:
        return f"smoke_overrides is not a mapping: {_one_line(exc)}"
    known = {s.name for s in specs}
    unknown = sorted(str(k) for k in overrides if k not in known)
    if unknown:
        return f"smoke_overrides names unknown option '{unknown[0]}'"
    try:
        build_config(cls, overrides, where="smoke_overrides")
    except Exception as exc:
        return f"smoke_overrides do not validate: {_one_line(exc)}"
    return None


def _check_hooks(plugin: Plugin) -> str | None:
    if plugin.run is None:
        return "run is not set"
    for hook, (positional, keywords) in HOOKS.items():
        fn = getattr(plugin, hook)
        if fn is not None:
            problem = check_signature(hook, fn, positional, keywords)
            if problem:
                return problem
    return None


def check_signature(hook: str, fn: Callable[..., Any], positional: tuple[str, ...],
                    keywords: tuple[str, ...] = ()) -> str | None:
    """Why ``fn`` cannot be called as ``hook(*positional, **{k: ... for k in keywords})``,
    in one line; None when it can (extra parameters with defaults are fine)."""
    if not callable(fn):
        return f"{hook} is not callable (it is of type {type(fn).__name__})"
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return None
    try:
        sig.bind(*positional, **{k: k for k in keywords})
        return None
    except TypeError as exc:
        reason = str(exc)
    params = list(sig.parameters.values())
    shown = f"{hook}({', '.join(p.name for p in params)})"
    kinds = inspect.Parameter
    if not any(p.kind is kinds.VAR_POSITIONAL for p in params):
        takes = [p for p in params if p.kind in (kinds.POSITIONAL_ONLY,
                                                 kinds.POSITIONAL_OR_KEYWORD)]
        if len(takes) < len(positional):
            missing = positional[len(takes)]
            if missing in sig.parameters:
                return f"{shown} takes '{missing}' only as a keyword"
            return f"{shown} lacks the parameter '{missing}'"
    if not any(p.kind is kinds.VAR_KEYWORD for p in params):
        for k in keywords:
            p = sig.parameters.get(k)
            if p is None or p.kind is kinds.POSITIONAL_ONLY:
                return f"{shown} lacks the parameter '{k}'"
    for i, p in enumerate(params):
        needs = p.default is p.empty and p.kind not in (kinds.VAR_POSITIONAL,
                                                        kinds.VAR_KEYWORD)
        if needs and i >= len(positional) and p.name not in keywords:
            return f"{shown} needs the parameter '{p.name}' that wgan does not pass"
    call = ", ".join([*positional, *(f"{k}=..." for k in keywords)])
    return f"{shown} cannot be called as {hook}({call}): {reason}"


# ------------------------------------------------------------------ lookups

def _entries() -> dict[str, PluginEntry]:
    seen: dict[str, PluginEntry] = {}
    for ep in entry_points(group=GROUP):
        if ep.name not in seen:  # the same distribution can be visible twice (editable + site)
            seen[ep.name] = PluginEntry(ep)
    return {k: seen[k] for k in sorted(seen)}


def discover() -> list[PluginEntry]:
    """All entry points of the group, sorted by name and deduplicated, none loaded yet
    (``entry.plugin`` / ``entry.error`` load one)."""
    return list(_entries().values())


def names() -> list[str]:
    """The registered plugin names, sorted, without loading any plugin."""
    return list(_entries())


def get(name: str) -> Plugin:
    """The validated plugin called ``name``, loading only that one. An unknown name, or a
    plugin that fails to import or validate, raises UnknownPluginError in one line."""
    entries = _entries()
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(entries) or "none"
        raise UnknownPluginError(f"no plugin named '{name}' (available: {known})")
    plugin = entry.load()
    if plugin is None:
        raise UnknownPluginError(f"plugin '{name}' failed to load: {entry.error}")
    return plugin


def available() -> list[Plugin]:
    """Every plugin that loads and validates (this loads them all)."""
    return [e.plugin for e in discover() if e.plugin is not None]


def plugin_of_run(run_dir: str | Path) -> Plugin:
    """The plugin that made a run folder (named in its config.toml); loads only that one."""
    name, _ = read_run_config(Path(run_dir))
    return get(name)

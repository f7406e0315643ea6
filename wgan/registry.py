"""The plugin registry: every plugin, built-in or third-party, comes from the entry-point group
``wgan.plugins``. Nothing is registered by import side effects; a plugin that fails to load is
recorded with its error and never breaks the others.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from wgan_core.errors import WganError
from wgan_core.runs import read_run_config
from wgan_core.plugin import Plugin

GROUP = "wgan.plugins"


@dataclass(frozen=True)
class PluginEntry:
    """One entry point of the group: the loaded plugin, or the error that stopped it."""

    name: str
    value: str
    distribution: str
    version: str
    plugin: Plugin | None
    error: str | None


class UnknownPluginError(WganError):
    """No plugin of that name is registered (or it failed to load)."""


def _load(ep: EntryPoint) -> PluginEntry:
    dist = ep.dist.name if ep.dist is not None else "?"
    version = ep.dist.version if ep.dist is not None else "?"
    try:
        obj = ep.load()
    except Exception as exc:  # any failure of a third party's import must stay contained
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return PluginEntry(ep.name, ep.value, dist, version, None, last)
    if not isinstance(obj, Plugin):
        return PluginEntry(ep.name, ep.value, dist, version, None,
                           f"{ep.value} is a {type(obj).__name__}, not a wgan_core.plugin.Plugin")
    if obj.name != ep.name:
        return PluginEntry(ep.name, ep.value, dist, version, None,
                           f"entry point '{ep.name}' exposes a plugin named '{obj.name}'")
    return PluginEntry(ep.name, ep.value, dist, version, obj, None)


def discover() -> list[PluginEntry]:
    """All entry points of the group, sorted by name, each loaded or with its error."""
    seen: dict[str, PluginEntry] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in seen:  # the same distribution can be visible twice (editable + site)
            continue
        seen[ep.name] = _load(ep)
    return [seen[k] for k in sorted(seen)]


def get(name: str) -> Plugin:
    """The loaded plugin called name, or UnknownPluginError with what is available."""
    entries = {e.name: e for e in discover()}
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(sorted(k for k, e in entries.items() if e.plugin)) or "none"
        raise UnknownPluginError(f"no plugin named '{name}' (available: {known})")
    if entry.plugin is None:
        raise UnknownPluginError(f"plugin '{name}' failed to load: {entry.error}")
    return entry.plugin


def available() -> list[Plugin]:
    """Every plugin that loaded."""
    return [e.plugin for e in discover() if e.plugin is not None]


def plugin_of_run(run_dir: str | Path) -> Plugin:
    """The plugin that made a run folder."""
    name, _ = read_run_config(Path(run_dir))
    return get(name)

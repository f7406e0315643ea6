"""Register the fairness plugin for these tests when the installed metadata predates its
entry point (``pip install -e .`` after pyproject.toml gained it)."""

from __future__ import annotations

import pytest

from wgan import registry


@pytest.fixture(autouse=True)
def _fairness_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = registry.discover()
    if any(e.name == "fairness" for e in entries):
        return
    from wgan_plugins.fairness import PLUGIN

    extra = registry.PluginEntry("fairness", "wgan_plugins.fairness:PLUGIN", "wgan", "0",
                                 PLUGIN, None)
    monkeypatch.setattr(registry, "discover", lambda: sorted(entries + [extra],
                                                             key=lambda e: e.name))

"""The Flower App's run config (flower_app/pyproject.toml) states the plugin's own defaults.

Flower only accepts `flwr run -c` overrides for keys the App's config lists, so the App has to
repeat the options; this test keeps the copy equal to FederatedConfig's defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path

from wgan_core.config import field_specs
from wgan_plugins.federated.config import RUN_ONLY_KEYS, options_from_run_config
from wgan_plugins.federated.config import FederatedConfig

APP_CONFIG = Path(__file__).resolve().parents[3] / "plugins" / "federated" / "flower_app" \
    / "pyproject.toml"
# Options the deployed App leaves out on purpose: they mean nothing on a SuperLink.
NOT_IN_APP = {"ray_cpus", "log_every"}


def test_app_run_config_equals_plugin_defaults() -> None:
    run_config = tomllib.loads(APP_CONFIG.read_text())["tool"]["flwr"]["app"]["config"]
    options = options_from_run_config(run_config)  # also refuses unknown keys
    defaults = {s.name: s.default for s in field_specs(FederatedConfig)}
    for name, value in options.items():
        assert value == defaults[name], f"flower_app: {name} = {value!r}, plugin default " \
                                        f"{defaults[name]!r}"
    listed = set(options) | {k.replace("-", "_") for k, v in run_config.items() if v == ""}
    missing = set(defaults) - listed - NOT_IN_APP - set(RUN_ONLY_KEYS)
    assert not missing, f"options missing from the Flower App's run config: {sorted(missing)}"

"""Config validation: one place, errors that name the key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from wgan_core.config import TrainConfig, build_config, config_to_dict, field_specs, option
from wgan_core.errors import ConfigError


@dataclass
class DemoConfig(TrainConfig):
    mode: Literal["a", "b"] = option("a", "A mode.")
    data: Path | None = option(None, "A path.")
    flag: bool = option(False, "A flag.")


def test_fields_describe_types_choices_and_help() -> None:
    specs = {s.name: s for s in field_specs(DemoConfig)}
    assert specs["steps"].base is int and specs["steps"].help
    assert specs["mode"].choices == ("a", "b")
    assert specs["data"].optional and specs["data"].base is Path
    assert specs["constraint"].choices == ("gp", "sn", "clip", "lp", "none")


def test_build_config_coerces_and_validates() -> None:
    cfg = build_config(DemoConfig, {"steps": 5, "lr_g": 1, "data": "x.csv", "flag": True})
    assert cfg.steps == 5 and cfg.lr_g == 1.0 and cfg.data == Path("x.csv") and cfg.flag
    assert config_to_dict(cfg)["data"] == "x.csv"
    assert "data" not in config_to_dict(DemoConfig())


@pytest.mark.parametrize("values,message", [
    ({"stepz": 1}, "unknown key 'stepz'"),
    ({"steps": "ten"}, "key 'steps' must be int"),
    ({"steps": 1.5}, "key 'steps' must be int"),
    ({"flag": 1}, "key 'flag' must be bool"),
    ({"mode": "c"}, "key 'mode' must be one of a, b"),
    ({"steps": 0}, "steps (--steps) must be at least 1"),
    ({"ema_decay": 1.0}, "ema_decay (--ema-decay) must be in"),
])
def test_bad_values_name_the_key(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_config(DemoConfig, values, where="file.toml")


@dataclass
class DependentConfig(TrainConfig):
    mode: Literal["a", "b"] = option("a", "A mode.")

    @classmethod
    def defaults_for(cls, chosen: dict) -> dict:
        return {"steps": 77, "lr_g": 0.5} if chosen.get("mode") == "b" else {}


def test_defaults_for_fills_only_what_was_not_given() -> None:
    assert build_config(DependentConfig, {}).steps == 2000  # the dataclass default
    cfg = build_config(DependentConfig, {"mode": "b"})
    assert (cfg.steps, cfg.lr_g) == (77, 0.5)
    cfg = build_config(DependentConfig, {"mode": "b", "steps": 3})
    assert (cfg.steps, cfg.lr_g) == (3, 0.5)  # the user's value wins over the dependent default

"""The shared training configuration and the one place where configuration input is validated.

Plugin configs are dataclasses that extend :class:`TrainConfig`. Every field carries a ``help``
text in its metadata; the CLI turns fields into ``--options`` and the keys of a ``--config``
TOML file, so the names here are the names users type.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError
from .precision import PrecisionName


def option(default: Any, help: str, **kwargs: Any) -> Any:
    """A config field: ``default`` is its value when the user gives none, ``help`` one
    sentence shown by ``wgan run NAME --help`` (the default is appended); ``kwargs`` are
    kept in the field's metadata. The field's type annotation (int, float, str, bool, Path,
    a Literal of strings, or one of them | None) decides the flag's type."""
    return field(default=default, metadata={"help": help, **kwargs})


ConstraintName = Literal["gp", "sn", "clip", "lp", "none"]


@dataclass
class RunOptions:
    """Options of every plugin: the seed, the device and how often a run writes its log and
    checkpoints. A plugin's config extends this, :class:`AdversarialOptions` or
    :class:`TrainConfig`, whichever holds exactly the options it uses."""

    log_every: int = option(50, "Write a row of log.csv every k generator steps.")
    checkpoint_every: int = option(500, "Write checkpoints/last.pt every k generator steps.")
    seed: int = option(0, "Random seed.")
    device: Literal["auto", "cpu", "cuda"] = option("auto", "Device.")
    logger: Literal["csv", "tensorboard"] = option(
        "csv", "Where training is logged: log.csv alone, or also TensorBoard event files in "
        "RUN_DIR/tensorboard (needs pip install 'wgan[tensorboard]').")

    def validate(self) -> None:
        """Raise ConfigError naming the first field whose value is out of range."""
        for name in ("log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass
class AdversarialOptions(RunOptions):
    """The adversarial game's options: batches, critic steps, the Lipschitz constraint, the
    optimizers and their learning rates. A :class:`~wgan_core.trainer.Trainer` reads these
    from its config; its schedule (steps, seed, EMA) comes from its
    :class:`~wgan_core.phases.Phase`."""

    batch_size: int = option(256, "Samples per batch.")
    n_critic: int = option(5, "Critic steps per generator step.")
    # The shared defaults are the recipe measured to learn low-dimensional mixtures (the
    # toy's): the one-sided penalty, Adam at 1e-3 decaying linearly, no EMA. The earlier
    # WGAN-GP paper recipe (gp, 1e-4 constant, EMA 0.999) collapsed 1-D mixtures to one or two
    # modes (benchmarks/defaults.py). Plugins that want another recipe declare their own.
    constraint: ConstraintName = option(
        "lp", "Lipschitz constraint: one-sided penalty (WGAN-LP), gradient penalty, spectral "
        "norm, weight clipping or none.")
    penalty_weight: float = option(10.0, "Weight of the gradient penalty (gp, lp).")
    penalty_on: Literal["interpolates", "real", "fake", "mix"] = option(
        "interpolates", "Where the gradient penalty is sampled.")
    clip_value: float = option(0.01, "Weight-clipping bound c (constraint clip).")
    lr_g: float = option(1e-3, "Generator learning rate.")
    lr_c: float = option(1e-3, "Critic learning rate.")
    optimizer: Literal["auto", "adam", "rmsprop"] = option(
        "auto", "auto: Adam(0, 0.9) with a penalty or spectral norm, RMSprop with clipping.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule: linear decay to zero, or constant.")
    # float32 by default: bf16-mixed kept superres's and img2img's quality but is faster
    # only on hardware with native bf16 (benchmarks/precision.py); auto picks it there.
    precision: PrecisionName = option(
        "32", "Numeric precision of the forward passes (Lightning's names): 32, bf16-mixed, "
        "16-mixed (CUDA only) or auto (bf16-mixed where the device has native bf16, else 32).")

    def validate(self) -> None:
        super().validate()
        for name in ("batch_size", "n_critic"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ["lr_g", "lr_c", "clip_value"]:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.penalty_weight < 0:
            raise ConfigError(f"penalty_weight must be >= 0, got {self.penalty_weight}")


@dataclass
class TrainConfig(AdversarialOptions):
    """The shared options of a plugin that trains one generator for ``steps`` steps: the
    adversarial game's, the length of training and the generator's moving average."""

    steps: int = option(2000, "Generator steps to train for.")
    # No EMA by default: with a linear decay the last weights are already averaged by the
    # shrinking steps, and an average of weights that still move is no good generator itself
    # (the toy lost modes with 0.999, plugins/toy/config.py).
    ema_decay: float = option(
        0.0, "Decay of the generator's exponential moving average used for sampling and "
        "evaluation (0 disables).")

    def validate(self) -> None:
        super().validate()
        if self.steps < 1:
            raise ConfigError(f"steps must be at least 1, got {self.steps}")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay}")


# --------------------------------------------------------------------------------------
# Field introspection shared by the CLI and TOML loading.

@dataclass(frozen=True)
class FieldSpec:
    """What a config field accepts: a base type, optional choices, and whether None is allowed."""

    name: str
    base: type
    choices: tuple[str, ...] | None
    optional: bool
    default: Any
    help: str


def field_specs(config_class: type) -> list[FieldSpec]:
    """Describe the fields of a config dataclass (resolving string annotations)."""
    hints = typing.get_type_hints(config_class)
    specs = []
    for f in dataclasses.fields(config_class):
        if not f.init:
            continue
        tp = hints[f.name]
        optional = False
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = len(args) < len(typing.get_args(tp))
            if len(args) != 1:
                raise TypeError(f"{config_class.__name__}.{f.name}: unsupported type {tp}")
            tp = args[0]
            origin = typing.get_origin(tp)
        choices = None
        if origin is Literal:
            choices = tuple(str(a) for a in typing.get_args(tp))
            base = str
        elif tp in (int, float, str, bool, Path):
            base = tp
        else:
            raise TypeError(f"{config_class.__name__}.{f.name}: unsupported type {tp}")
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        specs.append(FieldSpec(f.name, base, choices, optional, default, f.metadata.get("help", "")))
    return specs


def coerce(spec: FieldSpec, value: Any, where: str) -> Any:
    """Check one value against its field, converting only where no information is lost."""
    if value is None or (spec.optional and value == ""):
        if spec.optional:
            return None
        raise ConfigError(f"{where}: key '{spec.name}' must not be empty")
    if spec.base is bool:
        if isinstance(value, bool):
            return value
    elif spec.base is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif spec.base is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ConfigError(f"{where}: key '{spec.name}' must be a finite number, "
                                  f"got {value}")
            return float(value)
    elif spec.base is Path:
        if isinstance(value, (str, Path)):
            return Path(value)
    elif spec.base is str:
        if (spec.choices is not None and isinstance(value, int) and not isinstance(value, bool)
                and str(value) in spec.choices):
            return str(value)  # `precision = 32` in a TOML file means the choice "32"
        if isinstance(value, str):
            if spec.choices is not None and value not in spec.choices:
                raise ConfigError(f"{where}: key '{spec.name}' must be one of "
                                  f"{', '.join(spec.choices)}; got '{value}'")
            return value
    raise ConfigError(f"{where}: key '{spec.name}' must be {spec.base.__name__}, "
                      f"got {type(value).__name__} {value!r}")


def build_config(config_class: type, values: dict[str, Any], where: str = "config") -> Any:
    """Make a validated config from a flat dict; unknown keys and wrong types raise ConfigError.

    Keys not given take the class's ``defaults_for(given)`` when it defines one, else the
    dataclass defaults.
    """
    specs = {s.name: s for s in field_specs(config_class)}
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' "
                          f"(known keys: {', '.join(sorted(specs))})")
    kwargs = {k: coerce(specs[k], v, where) for k, v in values.items()}
    # Defaults that depend on chosen values (e.g. the toy's per-dataset settings): a config
    # class may define ``defaults_for(chosen) -> dict``; what the user gave always wins.
    defaults_for = getattr(config_class, "defaults_for", None)
    if defaults_for is not None:
        kwargs = {**defaults_for(dict(kwargs)), **kwargs}
    config = config_class(**kwargs)
    if hasattr(config, "validate"):
        try:
            config.validate()
        except ConfigError as exc:
            # validate() names the field ("patch_size must be ..."); the user may have typed
            # the key in a TOML file or the flag, so the message gives both.
            name, _, rest = str(exc).partition(" ")
            if name in specs and rest:
                raise ConfigError(f"{name} (--{name.replace('_', '-')}) {rest}") from None
            raise
    return config


def config_to_dict(config: Any) -> dict[str, Any]:
    """A TOML-ready flat dict of a config (paths as strings, None omitted)."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if value is None:
            continue
        out[f.name] = str(value) if isinstance(value, Path) else value
    return out

"""The plugin API: what a plugin exposes and what it receives when it runs.

A plugin is a :class:`Plugin` object published through the entry-point group ``wgan.plugins``::

    [project.entry-points."wgan.plugins"]
    mything = "my_package:PLUGIN"

The CLI builds ``--options`` from ``config_class`` (a dataclass extending TrainConfig), makes
a run folder, and calls ``run(config, context)``. A plugin with a latent may offer ``sample``;
one that maps inputs to outputs may offer ``apply``.
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import torch

from .callbacks import Callback, Progress
from .checkpoint import load_checkpoint
from .config import TrainConfig, build_config
from .errors import CheckpointError, ConfigError
from .files import atomic_file


@dataclass
class RunContext:
    """What a running plugin gets from the CLI (or from a test)."""

    run_dir: Path
    device: torch.device
    seed: int
    resume: bool = False
    #: Whether to show progress (bars on a terminal, lines otherwise).
    progress: bool = True
    #: Where messages go (stderr by default).
    echo: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr,
                                                                 flush=True))

    @property
    def checkpoint_dir(self) -> Path:
        """``RUN_DIR/checkpoints``."""
        return self.run_dir / "checkpoints"

    def callbacks(self, label: str = "train") -> list[Callback]:
        """Callbacks every trainer of this run should get (progress reporting)."""
        return [Progress(label)] if self.progress else []


@dataclass
class RunResult:
    """What a run produced: its metrics (written to metrics.json) and artifact paths."""

    metrics: dict[str, Any]
    artifacts: list[Path] = field(default_factory=list)


class RunFn(Protocol):
    def __call__(self, config: Any, context: RunContext) -> RunResult: ...


class SampleFn(Protocol):
    def __call__(self, run_dir: Path, n: int, output: Path, seed: int,
                 device: torch.device) -> list[Path]: ...


class ApplyFn(Protocol):
    def __call__(self, run_dir: Path, input: Path, output: Path, device: torch.device,
                 overwrite: bool = False) -> list[Path]: ...


@dataclass(frozen=True)
class Plugin:
    """A wgan application: a name, a one-line summary, a config dataclass and ``run``."""

    name: str
    summary: str
    config_class: type[TrainConfig]
    run: RunFn
    #: ``sample(run_dir, n, output, seed, device)`` for plugins with a latent.
    sample: SampleFn | None = None
    #: ``apply(run_dir, input, output, device, overwrite=False)`` for plugins that map an input
    #: to an output. Only the plugin knows every file it will write, so it refuses (DataError)
    #: to replace an existing one unless ``overwrite``, and never writes over an input.
    apply: ApplyFn | None = None
    #: Config overrides that make a run of a few seconds (used by the contract tests).
    smoke_overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"plugin name '{self.name}' must be an identifier")


# ---------------------------------------------------------------------- run folders

def read_run_config(run_dir: Path) -> tuple[str, dict[str, Any]]:
    """The plugin name and the flat config values stored in ``RUN_DIR/config.toml``."""
    path = Path(run_dir) / "config.toml"
    if not path.is_file():
        raise ConfigError(f"{run_dir}: not a run folder (no config.toml)")
    try:
        values = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    name = values.pop("plugin", None)
    if not isinstance(name, str):
        raise ConfigError(f"{path}: missing key 'plugin'")
    return name, values


def load_run(run_dir: Path, plugin: Plugin, map_location: str | torch.device = "cpu"
             ) -> tuple[Any, dict[str, Any]]:
    """The validated config and the last checkpoint of a finished or interrupted run."""
    name, values = read_run_config(run_dir)
    if name != plugin.name:
        raise ConfigError(f"{run_dir}: run of plugin '{name}', not '{plugin.name}'")
    config = build_config(plugin.config_class, values, where=str(Path(run_dir) / "config.toml"))
    ckpt = Path(run_dir) / "checkpoints" / "last.pt"
    if not ckpt.exists():
        raise CheckpointError(f"{run_dir}: no checkpoints/last.pt (has the run trained?)")
    return config, load_checkpoint(ckpt, map_location)


def write_json(path: Path, data: Any) -> Path:
    """Write JSON (non-finite floats as null, so any JSON reader accepts it)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        if hasattr(v, "item") and callable(v.item):
            return clean(v.item())
        return v

    with atomic_file(path) as fh:
        fh.write((json.dumps(clean(data), indent=2, sort_keys=True) + "\n").encode())
    return path

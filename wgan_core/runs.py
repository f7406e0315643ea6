"""The run folder's one owner: making it, resolving and writing its config, running a plugin in
it, writing its metrics, rolling back a failed start, and reading it back.

``execute(plugin, ...)`` is what ``wgan run`` does; the CLI and the Python API (``wgan.run``)
both call it, so a notebook gets exactly the command line's semantics:

- options resolve as defaults < the run folder's config (``resume``) < ``config_file`` <
  ``options``; an unknown key or a wrong type is a ConfigError naming it;
- a new folder must be empty; a resumed one must be a run of the same plugin;
- ``config.toml`` is written before training; if the run stops before it writes a checkpoint,
  a resumed run gets its old ``config.toml`` back and a folder this call created is removed;
- ``metrics.json`` is written when the plugin returns.

Every error a user can act on is a :class:`WganError` (the CLI prints it as one line).
"""

from __future__ import annotations

import json
import math
import shutil
import time
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from .checkpoint import load_checkpoint
from .config import build_config, config_to_dict
from .distributed import Strategy, strategy_from_environment
from .errors import CheckpointError, CheckpointMismatchError, ConfigError, WganError
from .files import atomic_file
from .plugin import Plugin, RunContext, RunResult
from .precision import check_precision
from .tensorboard import require_tensorboard, write_hparams
from .trainer import resolve_device

CONFIG_FILE = "config.toml"
METRICS_FILE = "metrics.json"


# ---------------------------------------------------------------------- files

def read_toml(path: Path) -> dict[str, Any]:
    """A flat table of config values from a TOML file; errors name the file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a TOML file")
    try:
        values = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    for key, value in values.items():
        if isinstance(value, dict):
            raise ConfigError(f"{path}: key '{key}' is a table; config files are flat key = value")
    return values


def write_toml(path: Path, values: Mapping[str, Any]) -> Path:
    """Write a flat TOML file atomically."""
    import tomli_w

    with atomic_file(path) as fh:
        fh.write(tomli_w.dumps(dict(values)).encode())
    return path


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically (non-finite floats as null, so any JSON reader accepts it)."""

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


def read_run_config(run_dir: Path) -> tuple[str, dict[str, Any]]:
    """The plugin name and the flat config values stored in ``RUN_DIR/config.toml``."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir}: not a run folder (no {CONFIG_FILE})")
    values = read_toml(path)
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
    config = build_config(plugin.config_class, values, where=str(Path(run_dir) / CONFIG_FILE))
    ckpt = Path(run_dir) / "checkpoints" / "last.pt"
    if not ckpt.exists():
        raise CheckpointError(f"{run_dir}: no checkpoints/last.pt (has the run trained?)")
    return config, load_checkpoint(ckpt, map_location)


# ---------------------------------------------------------------------- folders

def default_run_dir(name: str, root: Path = Path("runs")) -> Path:
    """``runs/NAME-TIMESTAMP`` (with a counter when that exists already)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = root / f"{name}-{stamp}"
    i = 1
    while path.exists():
        i += 1
        path = root / f"{name}-{stamp}-{i}"
    return path


def make_run_dir(out: Path | None, name: str) -> tuple[Path, bool]:
    """A new, empty, writable run folder, and whether this call created it."""
    run_dir = Path(out) if out is not None else default_run_dir(name)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a file; choose a folder")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} already exists and is not empty; choose another --out "
                          f"or continue it with --resume {run_dir}")
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{run_dir}: cannot write the run folder ({exc.strerror})") from None
    return run_dir, created


def _checkpoint_stamps(run_dir: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime, size) of each checkpoint: whether a call has advanced the run. The
    inode because an atomic replace always makes a new one, even within one mtime tick."""
    stamps = {}
    for path in (run_dir / "checkpoints").glob("*.pt"):
        st = path.stat()
        stamps[path.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return stamps


# ---------------------------------------------------------------------- one run

def resolve_config(plugin: Plugin, options: Mapping[str, Any] | None = None,
                   config_file: Path | None = None, resume: Path | None = None
                   ) -> tuple[Any, dict[str, Any]]:
    """The validated config (defaults < stored run config < config_file < options) and the
    stored values of a resumed run ({} otherwise). ``None`` options are ignored."""
    values: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    if resume is not None:
        stored_name, stored = read_run_config(resume)
        if stored_name != plugin.name:
            raise ConfigError(f"--resume {resume}: that is a '{stored_name}' run, "
                              f"not '{plugin.name}'")
        values.update(stored)
    if config_file is not None:
        file_values = read_toml(config_file)
        named = file_values.pop("plugin", plugin.name)
        if named != plugin.name:
            raise ConfigError(f"{config_file}: written for plugin '{named}', not '{plugin.name}'")
        values.update(file_values)
    values.update({k: v for k, v in (options or {}).items() if v is not None})
    where = str(config_file) if config_file is not None else "options"
    return build_config(plugin.config_class, values, where=where), stored


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def execute(plugin: Plugin, options: Mapping[str, Any] | None = None, *,
            out: Path | None = None, config_file: Path | None = None,
            resume: Path | None = None, progress: bool = True,
            echo: Callable[[str], None] = _stderr,
            announce: Callable[[str], None] | None = None,
            strategy: Strategy | None = None) -> RunResult:
    """Run ``plugin`` in a run folder with the semantics described in the module docstring;
    the result carries the folder (``run_dir``). ``echo`` takes the plugin's messages and
    warnings, ``announce`` (default: ``echo``) the lines saying where the run goes and how to
    continue it. KeyboardInterrupt propagates after the folder is made consistent (the
    trainer checkpoints on Ctrl-C).

    Under torchrun (``strategy``, default: from torchrun's environment) rank 0 alone resolves
    the config, makes the folder and writes config.toml and metrics.json; it hands the
    config and the folder to the other ranks, which train their shards and write nothing."""
    announce = announce or echo
    strategy = strategy if strategy is not None else strategy_from_environment(
        _device_option(plugin, options, config_file, resume))
    prepared: tuple[str | None, dict[str, Any], Path | None] = (None, {}, None)
    failure: WganError | None = None
    if strategy.is_main:
        try:
            prepared = (None, *_prepare(plugin, options, out, config_file, resume))
        except WganError as exc:
            failure, prepared = exc, (str(exc), {}, None)
    error, values, run_dir_ = strategy.broadcast_object(prepared)
    if failure is not None:
        raise failure
    if error is not None:  # rank 0's error, on the other ranks
        raise ConfigError(error)
    assert run_dir_ is not None
    run_dir = Path(run_dir_)
    config = build_config(plugin.config_class, values["config"], where=str(run_dir / CONFIG_FILE))
    torch.manual_seed(config.seed)
    main = strategy.is_main
    context = RunContext(run_dir=run_dir, device=strategy.device(config.device),
                         progress=progress and main, echo=echo, strategy=strategy,
                         logger=getattr(config, "logger", "csv"), preview=plugin.preview)
    if main:
        # The thread count decides the speed (and, through float rounding, the exact
        # numbers) of a run: say it where every run starts.
        threads = torch.get_num_threads()
        announce(f"wgan {plugin.name}: run folder {run_dir} ({threads} "
                 f"thread{'s' if threads != 1 else ''})")
        if hasattr(config, "precision"):
            _, note = check_precision(config.precision, context.device)
            if note is not None:
                echo(note)  # what auto chose, or that bf16 is emulated here
    try:
        result = plugin.run(config, context)
    except BaseException as exc:
        if main:
            _roll_back(exc, plugin, run_dir, values, announce)
        raise
    if main:
        write_json(run_dir / METRICS_FILE, result.metrics)
        if getattr(config, "logger", "csv") == "tensorboard":
            # The options beside the final metrics: TensorBoard's HParams table compares runs.
            write_hparams(run_dir, config_to_dict(config), result.metrics)
    strategy.barrier()  # the folder is complete before any rank returns
    result.run_dir = run_dir
    result.rank = strategy.rank
    return result


def _device_option(plugin: Plugin, options: Mapping[str, Any] | None,
                   config_file: Path | None, resume: Path | None) -> str:
    """The device the run asks for, read before the strategy exists (it picks CUDA/NCCL or
    CPU/gloo); a bad value is reported later, by rank 0's full validation."""
    def stored() -> list[Mapping[str, Any]]:
        try:
            return [read_toml(config_file) if config_file else {},
                    read_run_config(resume)[1] if resume else {}]
        except WganError:
            return []

    for source in [options or {}, *stored()]:
        value = source.get("device")
        if isinstance(value, str):
            return value
    return getattr(plugin.config_class, "device", "auto")


def _prepare(plugin: Plugin, options: Mapping[str, Any] | None, out: Path | None,
             config_file: Path | None, resume: Path | None) -> tuple[dict[str, Any], Path]:
    """Rank 0's part: resolve the config, make (or reopen) the folder, write config.toml.
    Returns what the other ranks and the roll-back need, and the folder."""
    if resume is not None and out is not None:
        raise ConfigError(f"--out {out} and --resume {resume} both given; a resumed run "
                          f"continues in its own folder")
    config, stored = resolve_config(plugin, options, config_file, resume)
    # 'cuda' without CUDA, a precision the device cannot train at, TensorBoard asked for but
    # not installed: one clear line each, before any folder is made.
    device = resolve_device(config.device)
    if hasattr(config, "precision"):
        check_precision(config.precision, device)
    if getattr(config, "logger", "csv") == "tensorboard":
        require_tensorboard()
    if resume is not None:
        run_dir, created = Path(resume), False
    else:
        run_dir, created = make_run_dir(out, plugin.name)
    config_path = run_dir / CONFIG_FILE
    new_values = config_to_dict(config)
    values = {"config": new_values, "stored": stored, "created": created,
              "previous": config_path.read_bytes() if resume is not None else None,
              "checkpoints": _checkpoint_stamps(run_dir)}
    write_toml(config_path, {"plugin": plugin.name, **new_values})
    return values, run_dir


def _roll_back(exc: BaseException, plugin: Plugin, run_dir: Path, values: dict[str, Any],
               announce: Callable[[str], None]) -> None:
    """Leave the folder consistent after a run that stopped; re-raise a checkpoint mismatch
    with the options that changed."""
    if isinstance(exc, KeyboardInterrupt):
        announce(f"interrupted; continue with: wgan run {plugin.name} --resume {run_dir}")
    previous = values["previous"]
    if previous is not None and _checkpoint_stamps(run_dir) == values["checkpoints"]:
        # A resume that stopped (error, Ctrl-C, anything) before it wrote a checkpoint keeps
        # the run's own config, so the run stays usable: sample/apply and the next resume
        # read it.
        with atomic_file(run_dir / CONFIG_FILE) as fh:
            fh.write(previous)
    if (values["created"] and not isinstance(exc, KeyboardInterrupt)
            and not (run_dir / "checkpoints").exists()):
        # Nothing was trained: remove the folder this call made, so a failed start leaves no
        # half-empty run behind (a resumed or trained run is never touched).
        shutil.rmtree(run_dir, ignore_errors=True)
    stored = values["stored"]
    changed = [f"{k} {stored.get(k)!r} -> {v!r}" for k, v in values["config"].items()
               if k in stored and stored[k] != v]
    if isinstance(exc, CheckpointMismatchError) and changed:
        raise CheckpointMismatchError(f"{exc}; options changed since the run was made: "
                              f"{', '.join(changed)}") from None

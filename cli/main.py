"""The ``wgan`` command line. It knows plugins only through the registry.

Every error a user can fix ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import inspect
import shutil
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, Iterator, NoReturn

import click
import torch

from wgan_core import __version__
from wgan_core.config import FieldSpec, build_config, config_to_dict, field_specs
from wgan_core.errors import CheckpointError, ConfigError, WganError
from wgan_core.files import atomic_file
from wgan_core.plugin import Plugin, RunContext, read_run_config, write_json
from wgan_core.trainer import resolve_device

from . import registry

EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    """Print one line and exit with code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Inside the block, a WganError or an OSError (read-only disk, disk full, a file where a
    folder should be, ...) becomes one line on stderr and exit code 2."""
    try:
        yield
    except WganError as exc:
        fail(str(exc))
    except OSError as exc:
        what = exc.strerror or str(exc)
        fail(f"{exc.filename}: {what}" if exc.filename else what)


# ------------------------------------------------------------------ config -> options

def _click_type(spec: FieldSpec) -> Any:
    if spec.choices is not None:
        return click.Choice(spec.choices)
    if spec.base is Path:
        # A plain string: click would turn "" into Path("."), and "" is how a user clears an
        # optional path stored in a run folder (``--resume RUN --data ""``).
        return click.Path()
    return spec.base


def _option_for(spec: FieldSpec) -> click.Option:
    flag = "--" + spec.name.replace("_", "-")
    default = "none" if spec.default is None else spec.default
    help_text = f"{spec.help} [default: {default}]"
    if spec.base is bool:
        return click.Option([f"{flag}/--no-{flag[2:]}", spec.name], default=None, help=help_text)
    return click.Option([flag, spec.name], type=_click_type(spec), default=None, help=help_text,
                        metavar=spec.base.__name__.upper() if spec.choices is None else None)


def read_toml(path: Path) -> dict[str, Any]:
    """A flat table of config values from a TOML file; errors name the file."""
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


def write_toml(path: Path, values: dict[str, Any]) -> None:
    """Write a flat TOML file atomically."""
    import tomli_w

    with atomic_file(path) as fh:
        fh.write(tomli_w.dumps(values).encode())


def _default_run_dir(name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / f"{name}-{stamp}"
    i = 1
    while path.exists():
        i += 1
        path = Path("runs") / f"{name}-{stamp}-{i}"
    return path


def _prepare_run_dir(out: Path | None, resume: Path | None, name: str) -> tuple[Path, bool]:
    """The run folder, and whether this command created it."""
    if resume is not None:
        if not resume.is_dir():
            raise ConfigError(f"--resume {resume}: no such run folder")
        return resume, False
    run_dir = out if out is not None else _default_run_dir(name)
    created = not run_dir.exists()
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a file; choose a folder")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} already exists and is not empty; choose another --out "
                          f"or continue it with --resume {run_dir}")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{run_dir}: cannot write the run folder ({exc.strerror})") from None
    return run_dir, created


def _summary_lines(metrics: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        lines.append(f"  {key:<28} {value:.4g}" if isinstance(value, float)
                     else f"  {key:<28} {value}")
    return lines


def _checkpoint_stamps(run_dir: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime, size) of each checkpoint: whether a command has advanced the run. The
    inode because an atomic replace always makes a new one, even within one mtime tick."""
    stamps = {}
    for path in (run_dir / "checkpoints").glob("*.pt"):
        st = path.stat()
        stamps[path.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return stamps


def execute_run(plugin: Plugin, cli_values: dict[str, Any], out: Path | None,
                config_file: Path | None, resume: Path | None, quiet: bool) -> Path:
    """Resolve the config (defaults < run folder < --config < flags), run, write the folder."""
    values: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    if resume is not None:
        if out is not None:
            raise ConfigError(f"--out {out} and --resume {resume} both given; a resumed run "
                              f"continues in its own folder")
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
    values.update({k: v for k, v in cli_values.items() if v is not None})
    where = str(config_file) if config_file is not None else "options"
    config = build_config(plugin.config_class, values, where=where)
    device = resolve_device(config.device)
    run_dir, created = _prepare_run_dir(out, resume, plugin.name)
    config_path = run_dir / "config.toml"
    previous = config_path.read_bytes() if resume is not None else None
    checkpoints_before = _checkpoint_stamps(run_dir)
    new_values = config_to_dict(config)
    write_toml(config_path, {"plugin": plugin.name, **new_values})
    torch.manual_seed(config.seed)
    context = RunContext(run_dir=run_dir, device=device, seed=config.seed,
                         resume=resume is not None, progress=not quiet)
    click.echo(f"wgan {plugin.name}: run folder {run_dir}")
    try:
        result = plugin.run(config, context)
    except BaseException as exc:
        if previous is not None and _checkpoint_stamps(run_dir) == checkpoints_before:
            # A resume that stopped (error, Ctrl-C, anything) before it wrote a checkpoint
            # keeps the run's own config, so the run stays usable: wgan sample/apply and the
            # next --resume read it.
            with atomic_file(config_path) as fh:
                fh.write(previous)
        if isinstance(exc, KeyboardInterrupt):
            click.echo(f"interrupted; continue with: wgan run {plugin.name} --resume {run_dir}",
                       err=True)
            sys.exit(130)
        if created and not (run_dir / "checkpoints").exists():
            # Nothing was trained: remove the folder this command made, so a failed start
            # leaves no half-empty run behind (a resumed or trained run is never touched).
            shutil.rmtree(run_dir, ignore_errors=True)
        changed = [f"{k} {stored.get(k)!r} -> {v!r}" for k, v in new_values.items()
                   if k in stored and stored[k] != v]
        if isinstance(exc, CheckpointError) and "does not match" in str(exc) and changed:
            raise CheckpointError(f"{exc}; options changed since the run was made: "
                                  f"{', '.join(changed)}") from None
        raise
    write_json(run_dir / "metrics.json", result.metrics)
    click.echo(f"wgan {plugin.name}: done, results in {run_dir}")
    for line in _summary_lines(result.metrics):
        click.echo(line)
    return run_dir


# ------------------------------------------------------------------ commands

class PluginGroup(click.Group):
    """``wgan run NAME``: one sub-command per registered plugin, built from its config."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [p.name for p in registry.available()]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        with user_errors():
            plugin = registry.get(name)
        return make_run_command(plugin)


def make_run_command(plugin: Plugin) -> click.Command:
    """The Click command that runs one plugin, its options generated from the config class."""
    specs = field_specs(plugin.config_class)

    def callback(out: Path | None, config_file: Path | None, resume: Path | None, quiet: bool,
                 **cli_values: Any) -> None:
        with user_errors():
            execute_run(plugin, cli_values, out, config_file, resume, quiet)

    params: list[click.Parameter] = [
        click.Option(["--out", "out"], type=click.Path(path_type=Path), default=None,
                     help="Run folder [default: runs/NAME-TIMESTAMP]."),
        click.Option(["--config", "config_file"], type=click.Path(path_type=Path), default=None,
                     help="TOML file of option values (flags override it)."),
        click.Option(["--resume", "resume"], type=click.Path(path_type=Path), default=None,
                     help="Continue the run in this folder from its last checkpoint."),
        click.Option(["--quiet", "quiet"], is_flag=True, default=False,
                     help="No progress output."),
    ]
    params += [_option_for(s) for s in specs]
    return click.Command(plugin.name, callback=callback, params=params,
                         help=plugin.summary, short_help=plugin.summary)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wgan")
def cli() -> None:
    """wgan: Wasserstein GAN applications as plugins of one core."""


@cli.command("plugins")
def plugins_command() -> None:
    """List registered plugins (a plugin that fails to load is shown with its error)."""
    entries = registry.discover()
    if not entries:
        click.echo("no plugins registered")
        return
    for e in entries:
        if e.plugin is not None:
            click.echo(f"{e.name:<12} {e.version:<10} {e.distribution:<20} {e.plugin.summary}")
        else:
            click.echo(f"{e.name:<12} {e.version:<10} {e.distribution:<20} FAILED: {e.error}")


cli.add_command(PluginGroup("run", help="Train a plugin: wgan run NAME [OPTIONS]."))


def _plugin_of_run(run_dir: Path) -> Plugin:
    name, _ = read_run_config(run_dir)
    return registry.get(name)


@cli.command("sample")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-n", "n", type=int, default=16, show_default=True, help="Number of samples.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file or folder (the plugin says which).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing output.")
def sample_command(run_dir: Path, n: int, output: Path, seed: int, device: str,
                   force: bool) -> None:
    """Draw N new samples from a trained run (plugins with a latent)."""
    with user_errors():
        plugin = _plugin_of_run(run_dir)
        if plugin.sample is None:
            hint = f"; try: wgan apply {run_dir} INPUT OUTPUT" if plugin.apply else ""
            raise ConfigError(f"plugin '{plugin.name}' has no latent to sample{hint}")
        if n < 1:
            raise ConfigError(f"-n must be at least 1, got {n}")
        if output.exists() and not force and not (output.is_dir() and not any(output.iterdir())):
            raise ConfigError(f"{output} already exists; pass --force to overwrite it")
        paths = plugin.sample(run_dir, n, output, seed, resolve_device(device))
    for p in paths:
        click.echo(str(p))


@cli.command("apply")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("input", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True)
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
def apply_command(run_dir: Path, input: Path, output: Path, device: str, force: bool) -> None:
    """Map INPUT (a file or folder) to OUTPUT with a trained run (e.g. upscale a photo)."""
    with user_errors():
        plugin = _plugin_of_run(run_dir)
        if plugin.apply is None:
            hint = f"; try: wgan sample {run_dir} -n 16 -o OUT" if plugin.sample else ""
            raise ConfigError(f"plugin '{plugin.name}' does not map inputs to outputs{hint}")
        if not input.exists():
            raise ConfigError(f"{input}: no such file or folder")
        if "overwrite" in inspect.signature(plugin.apply).parameters:
            paths = plugin.apply(run_dir, input, output, resolve_device(device),
                                 overwrite=force)
        else:
            # A plugin written before the seam had ``overwrite``: guard the one output we can
            # see from here (its folder outputs are its own business).
            if output.is_file() and not force:
                raise ConfigError(f"{output} already exists; pass --force to overwrite it")
            paths = plugin.apply(run_dir, input, output, resolve_device(device))
    for p in paths:
        click.echo(str(p))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: Click usage errors become one line and exit 2."""
    try:
        code = cli.main(args=argv, prog_name="wgan", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except getattr(click.exceptions, "NoArgsIsHelpError", ()) as exc:  # click >= 8.2
        # `wgan` or `wgan run` alone: the help itself, not the help flattened into one line.
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message(), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        fail(exc.format_message().replace("\n", " "))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

"""The ``wgan`` command line: option parsing around the Python API (``wgan``). It knows
plugins only through the registry.

Every error a user can fix ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Iterator, NoReturn

import click

import wgan as api
from wgan import registry
from wgan_core import __version__
from wgan_core.config import FieldSpec, field_specs
from wgan_core.errors import WganError
from wgan_core.plugin import Plugin
from wgan_core.runs import execute

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


def execute_run(plugin: Plugin, cli_values: dict[str, Any], out: Path | None,
                config_file: Path | None, resume: Path | None, quiet: bool) -> Path:
    """``wgan run``: the run folder's owner (``wgan_core.runs.execute``) does the work; this
    prints where it goes and what came out."""
    def announce(message: str) -> None:
        click.echo(message, err=True)

    try:
        result = execute(plugin, cli_values, out=out, config_file=config_file, resume=resume,
                         progress=not quiet, echo=announce, announce=click.echo)
    except KeyboardInterrupt:
        sys.exit(130)  # the run folder's owner has said how to continue
    assert result.run_dir is not None
    if result.rank != 0:
        return result.run_dir  # under torchrun rank 0 alone reports
    click.echo(f"wgan {plugin.name}: done, results in {result.run_dir}")
    for line in _summary_lines(result.metrics):
        click.echo(line)
    return result.run_dir


def _summary_lines(metrics: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        lines.append(f"  {key:<28} {value:.4g}" if isinstance(value, float)
                     else f"  {key:<28} {value}")
    return lines


# ------------------------------------------------------------------ commands

class PluginGroup(click.Group):
    """``wgan run NAME``: one sub-command per registered plugin, built from its config.
    ``wgan run NAME ...`` loads only that plugin; ``wgan run --help`` loads them all and lists
    those that load (``wgan plugins`` shows why one does not)."""

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


class PluginCommands(click.Group):
    """``wgan NAME COMMAND``: the commands a plugin adds of its own (``Plugin.commands``).
    Their WganError or OSError ends as every command's does: one line, exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        with user_errors():
            return super().invoke(ctx)


def plugin_commands(plugin: Plugin) -> click.Group | None:
    """The group of ``plugin``'s own commands, or None when it has none."""
    if plugin.commands is None:
        return None
    commands = list(plugin.commands())
    for command in commands:
        if not isinstance(command, click.Command) or not command.name:
            raise WganError(f"plugin '{plugin.name}': commands() returned "
                            f"{type(command).__name__}, not a named click.Command")
    return PluginCommands(plugin.name, commands={c.name: c for c in commands},
                          help=f"Commands of the plugin {plugin.name}: {plugin.summary}",
                          short_help=f"Commands of the plugin {plugin.name}.")


class RootGroup(click.Group):
    """``wgan``: its own commands, then ``wgan NAME ...`` for a registered plugin that adds
    commands (loaded only when named, so ``wgan --help`` imports no plugin and lists only
    the built-in commands; ``wgan plugins`` shows which plugins add some)."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in registry.names():
            return command
        with user_errors():
            return plugin_commands(registry.get(name))


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wgan")
def cli() -> None:
    """wgan: Wasserstein GAN applications as plugins of one core.

    A plugin may add commands of its own, run as 'wgan NAME COMMAND' ('wgan plugins' lists
    them)."""


@cli.command("plugins")
def plugins_command() -> None:
    """List registered plugins (a plugin that fails to load is shown with its error)."""
    entries = registry.discover()
    if not entries:
        click.echo("no plugins registered")
        return
    for e in entries:
        if e.plugin is not None:
            try:
                group = plugin_commands(e.plugin)
                extra = (f" [wgan {e.name} {'|'.join(sorted(group.commands))}]"
                         if group is not None and group.commands else "")
            except Exception as exc:  # a third party's commands must not break the list
                extra = f" [its commands failed: {' '.join(str(exc).split())}]"
            click.echo(f"{e.name:<12} {e.version:<10} {e.distribution:<20} {e.plugin.summary}"
                       f"{extra}")
        else:
            click.echo(f"{e.name:<12} {e.version:<10} {e.distribution:<20} FAILED: {e.error}")


cli.add_command(PluginGroup("run", help="Train a plugin: wgan run NAME [OPTIONS]."))


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
        paths = api.sample(run_dir, n, output, seed, device, force)
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
        paths = api.apply(run_dir, input, output, device, force)
    for p in paths:
        click.echo(str(p))


@cli.command("audit")
@click.argument("run_dir", type=click.Path(path_type=Path), required=False)
@click.option("-n", "n", type=int, default=10000, show_default=True,
              help="Generated samples to audit (RUN_DIR).")
@click.option("--samples", type=click.Path(path_type=Path), default=None,
              help="CSV of generated samples from any generator (with --reference).")
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="CSV of real samples with the same columns.")
@click.option("--group-column", default=None, help="The group column of both CSV files.")
@click.option("--min-coverage", type=float, default=None,
              help="Fail when a group's coverage is below this [default: 0.5].")
@click.option("--max-discrepancy", type=float, default=None,
              help="Fail when the fairness discrepancy is above this [default: 0.1].")
@click.option("--target-proportions", default=None,
              help="Target group shares, 'name=0.3,other=0.7', or 'uniform' for parity [default: "
                   "the run's target (its plugin says which), or the reference's shares].")
@click.option("-k", "k", type=int, default=5, show_default=True, help="k of the k-NN metrics.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="Folder for audit.json and audit.png [default: RUN_DIR or the samples' folder].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True)
def audit_command(run_dir: Path | None, n: int, samples: Path | None, reference: Path | None,
                  group_column: str | None, min_coverage: float | None,
                  max_discrepancy: float | None, target_proportions: str | None, k: int,
                  out: Path | None, seed: int, device: str) -> None:
    """Audit generated samples group by group (a run's, or any generator's CSV). Exit code 0
    when every threshold holds, 1 when a group is under-served, 2 for bad input."""
    from wgan.audit import format_report

    with user_errors():
        result = api.audit(run_dir, samples=samples, reference=reference,
                           group_column=group_column, n=n, seed=seed, k=k,
                           min_coverage=min_coverage, max_discrepancy=max_discrepancy,
                           target_proportions=target_proportions, out=out, device=device)
    click.echo(format_report(result.report))
    for line in result.failures:
        click.echo(f"under-served: {line}")
    click.echo(f"audit {'passed' if result.passed else 'FAILED'}; wrote "
               + ", ".join(str(p) for p in result.paths))
    if not result.passed:
        sys.exit(1)


@cli.group("plugin")
def plugin_group() -> None:
    """Write and check plugins: wgan plugin new NAME [DIR]."""


@plugin_group.command("new")
@click.argument("name")
@click.argument("directory", type=click.Path(path_type=Path), required=False)
def plugin_new_command(name: str, directory: Path | None) -> None:
    """Write a working plugin package NAME into DIR [default: ./wgan-NAME]: a 1-D mixture of
    two Gaussians to learn, its tests and README. Then: pip install -e DIR && wgan run NAME."""
    from wgan_cli.scaffold import new_plugin

    with user_errors():
        target = new_plugin(name, directory)
    click.echo(f"wrote plugin '{name}' to {target}")
    click.echo(f"next: pip install -e {target} && wgan run {name}")


def single_plugin_cli(plugin: Plugin) -> click.Group:
    """A ``wgan`` command line whose ``run`` knows only ``plugin`` (which need not be
    registered): ``wgan.testing.check_plugin`` runs a Plugin object through it."""
    group = click.Group("wgan", context_settings={"help_option_names": ["-h", "--help"]})
    group.add_command(click.Group("run", commands={plugin.name: make_run_command(plugin)}))
    return group


def run_cli(group: click.Group, argv: list[str] | None = None) -> NoReturn:
    """Run a ``wgan`` command line: Click usage errors become one line and exit code 2."""
    try:
        code = group.main(args=argv, prog_name="wgan", standalone_mode=False)
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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: Click usage errors become one line and exit 2."""
    run_cli(cli, argv)

"""The plugin API: what a plugin exposes and what it receives when it runs.

A plugin is a :class:`Plugin` object published through the entry-point group ``wgan.plugins``::

    [project.entry-points."wgan.plugins"]
    mything = "my_package:PLUGIN"

The CLI builds ``--options`` from ``config_class`` (a dataclass extending RunOptions, usually
through TrainConfig);
``wgan_core.runs.execute`` makes the run folder and calls ``run(config, context)``. A plugin
with a latent may offer ``sample``; one that maps inputs to outputs may offer ``apply``; one
whose samples fall into groups may offer ``audit``; ``load_generator`` lets ``wgan.load`` hand
a run's trained generator to Python code; ``commands`` adds commands of the plugin's own to the
command line (``wgan NAME COMMAND``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

import torch

from .callbacks import Callback, PreviewFn, Progress, TensorBoardLogger
from .config import RunOptions
from .distributed import Strategy
from .groups import GroupedSamples


@dataclass
class RunContext:
    """What a running plugin gets from ``wgan_core.runs.execute`` (or from a test).

    ``run_dir``: the run folder (made, holding config.toml; pass it to the Trainer, write
    pictures and files there); ``device``: where to train (from ``--device``); ``progress``:
    whether to report progress (``callbacks()`` gives the reporting callbacks); ``echo``: where
    messages go (stderr; use it, not print); ``strategy``: one process, or this rank under
    torchrun (pass it to every Trainer; ``is_main`` says whether this process evaluates and
    writes); ``logger``: ``csv`` or ``tensorboard`` (then ``callbacks()`` adds a
    TensorBoardLogger and ``tensorboard()`` opens other event streams); ``preview``: the
    plugin's preview hook, which the TensorBoardLogger draws at every checkpoint."""

    run_dir: Path
    device: torch.device
    #: Whether to show progress (bars on a terminal, lines otherwise).
    progress: bool = True
    #: Where messages go (stderr by default).
    echo: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr,
                                                                 flush=True))
    #: One process, or this process's rank under torchrun: pass it to every Trainer.
    strategy: Strategy = field(default_factory=Strategy)
    #: The config's ``logger``: "csv" (log.csv only) or "tensorboard" (event files too).
    logger: str = "csv"
    #: The plugin's ``preview`` hook (a picture of the generator's output), or None.
    preview: PreviewFn | None = None

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run folder (always, without torchrun). After
        training, the other ranks return at once: evaluation runs once, on rank 0."""
        return self.strategy.is_main

    @property
    def checkpoint_dir(self) -> Path:
        """``RUN_DIR/checkpoints``."""
        return self.run_dir / "checkpoints"

    def callbacks(self, label: str = "train") -> list[Callback]:
        """Callbacks every trainer of this run should get: progress reporting, and with
        ``--logger tensorboard`` the event stream ``label`` (one label per trainer: each
        stream counts its own steps)."""
        callbacks: list[Callback] = [Progress(label)] if self.progress else []
        if self.logger == "tensorboard" and self.is_main:
            callbacks.append(TensorBoardLogger(self.run_dir, label, preview=self.preview))
        return callbacks

    def tensorboard(self, stream: str, resume_step: int | None = None) -> Any:
        """A ``SummaryWriter`` on the event stream ``stream`` of this run (for what a trainer
        does not log, e.g. a federated run's rounds), or None without ``--logger
        tensorboard`` and on processes other than the main one. ``resume_step``: events
        after it from an interrupted run are purged."""
        if self.logger != "tensorboard" or not self.is_main:
            return None
        from .tensorboard import open_writer

        return open_writer(self.run_dir, stream, resume_step)


@dataclass
class RunResult:
    """What a run produced: ``metrics`` (a flat JSON-ready dict, written to metrics.json and
    printed by ``wgan run``; numbers are shown in the summary) and ``artifacts`` (paths of the
    files it wrote: pictures, samples)."""

    metrics: dict[str, Any]
    artifacts: list[Path] = field(default_factory=list)
    #: The run folder (set by ``wgan_core.runs.execute``).
    run_dir: Path | None = None
    #: The process's rank under torchrun (0 in one process; only rank 0's metrics count).
    rank: int = 0


class RunFn(Protocol):
    def __call__(self, config: Any, context: RunContext) -> RunResult: ...


class SampleFn(Protocol):
    def __call__(self, run_dir: Path, n: int, output: Path, seed: int,
                 device: torch.device) -> list[Path]: ...


class ApplyFn(Protocol):
    def __call__(self, run_dir: Path, input: Path, output: Path, device: torch.device,
                 overwrite: bool = False) -> list[Path]: ...


class AuditFn(Protocol):
    def __call__(self, run_dir: Path, n: int, seed: int, device: torch.device
                 ) -> GroupedSamples: ...


class LoadGeneratorFn(Protocol):
    def __call__(self, run_dir: Path, config: Any, checkpoint: dict[str, Any]
                 ) -> torch.nn.Module: ...


@dataclass(frozen=True)
class Plugin:
    """A wgan application: a name, a one-line summary, a config dataclass and ``run``.

    ``name``: what users type (``wgan run NAME``), an identifier equal to the entry point's
    name; ``summary``: one line for ``wgan plugins`` and ``--help``; ``config_class``: a
    dataclass extending RunOptions (usually TrainConfig) whose fields, made with ``option``,
    become the command's flags; ``run(config, context) -> RunResult``: trains in
    ``context.run_dir``. The optional hooks and fields below are documented one by one."""

    name: str
    summary: str
    config_class: type[RunOptions]
    run: RunFn
    #: ``sample(run_dir, n, output, seed, device)`` for plugins with a latent.
    sample: SampleFn | None = None
    #: An OUTPUT that ``sample`` accepts, for help texts and the contract tests (a file
    #: name, or a folder name for plugins that write one file per sample).
    sample_output: str = "samples.csv"
    #: ``apply(run_dir, input, output, device, overwrite=False)`` for plugins that map an input
    #: to an output. Only the plugin knows every file it will write, so it refuses (DataError)
    #: to replace an existing one unless ``overwrite``, and never writes over an input.
    apply: ApplyFn | None = None
    #: ``load_generator(run_dir, config, checkpoint)``: the run's trained sampling generator
    #: (build the architecture from ``config``; ``wgan_core.checkpoint.
    #: load_sampling_generator`` loads the weights from ``checkpoint``). ``wgan.load`` then
    #: hands it out in the data's own units (``wgan_core.units.in_data_units``: the
    #: normalization the trainer stored in the checkpoint is undone).
    load_generator: LoadGeneratorFn | None = None
    #: ``audit(run_dir, n, seed, device) -> GroupedSamples`` for plugins whose samples fall
    #: into groups (fairness groups, federated clients, mixture modes): ``wgan audit``.
    audit: AuditFn | None = None
    #: ``commands() -> [click.Command, ...]``: commands of the plugin's own, offered as ``wgan
    #: NAME COMMAND`` (tools around a run rather than a run: e.g. ``wgan federated keys``). A
    #: factory, so that no Click object is built until that command line is used; the CLI
    #: turns a WganError or OSError they raise into one line and exit code 2.
    commands: Callable[[], Sequence[Any]] | None = None
    #: Config overrides that make a run of a few seconds (used by the contract tests).
    smoke_overrides: Mapping[str, Any] = field(default_factory=dict)
    #: A JSON Schema of ``metrics.json``: the keys every run of the plugin writes and their
    #: types. The contract test checks each run's metrics against it.
    metrics_schema: Mapping[str, Any] | None = None
    #: ``preview(trainer) -> H x W x 3 uint8 array | None``: a small, cheap picture of what
    #: the trainer's generator makes now (points, graphs, image crops). With ``--logger
    #: tensorboard`` it is drawn at every checkpoint, with torch's random stream restored
    #: afterwards and under ``no_grad``.
    preview: PreviewFn | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"plugin name '{self.name}' must be an identifier")

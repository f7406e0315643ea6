"""Trainer callbacks, Lightning style: every hook is a typed no-op with a one-line docstring.

Built in: :class:`Progress` (a bar or plain lines), :class:`CSVLogger` (log.csv),
:class:`Checkpointing` (the phase's checkpoint file) and :class:`TensorBoardLogger` (event
files, with ``--logger tensorboard``); a trainer with a run folder adds CSVLogger and
Checkpointing itself, so writing the run folder goes through the same hooks as any user's
callback.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

import torch

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .trainer import Trainer

#: ``preview(trainer) -> image``: a small picture of what the generator makes now (an
#: ``H x W x 3`` uint8 array), or None; a plugin's optional hook (``Plugin.preview``).
PreviewFn = Callable[["Trainer"], "np.ndarray | None"]


class Callback:
    """Override any hook; state returned by ``state_dict`` travels in checkpoints under the
    callback's ``state_key`` (as in Lightning), so a resume finds each callback's state
    whatever the order or number of the other callbacks."""

    #: Extra columns this callback adds to log.csv (values from ``log_values``).
    log_columns: tuple[str, ...] = ()

    @property
    def state_key(self) -> str:
        """The key of this callback's state in checkpoints: its class name by default.
        Override it when one trainer holds two callbacks of the same class."""
        return type(self).__qualname__

    def log_values(self, trainer: "Trainer") -> dict[str, float]:
        """Values for this callback's ``log_columns`` in the row being written to log.csv."""
        return {}

    def on_fit_start(self, trainer: "Trainer") -> None:
        """Called once before the first step (also after a resume)."""

    def on_step_end(self, trainer: "Trainer", step: int, stats: dict[str, float]) -> None:
        """Called after every generator step with that step's losses."""

    def on_before_optimizer_step(self, trainer: "Trainer", part: str) -> None:
        """Called after a backward pass, before the optimizer step of ``part`` ("critic" or
        "generator"): the gradients are in the parameters' ``.grad`` (already averaged over
        processes) and may be changed here (a federated client's drift correction)."""

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        """Called when a row is written to log.csv."""

    def on_checkpoint(self, trainer: "Trainer", path: Path) -> None:
        """Called after a checkpoint has been written."""

    def on_fit_end(self, trainer: "Trainer") -> None:
        """Called once after the last step."""

    def on_exception(self, trainer: "Trainer", exc: BaseException) -> None:
        """Called when ``fit`` stops with an exception (Ctrl-C, a non-finite loss, ...)."""

    def state_dict(self) -> dict[str, Any]:
        """State to store in checkpoints (tensors, numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""


class Progress(Callback):
    """A progress bar on a terminal; plain lines (one per log row) when not on a terminal."""

    def __init__(self, label: str = "train", stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._start = 0.0

    def on_fit_start(self, trainer: "Trainer") -> None:
        self._start = time.perf_counter()
        if getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self._bar = tqdm(total=trainer.steps, initial=trainer.step, desc=self.label,
                             file=self.stream, dynamic_ncols=True)

    def on_step_end(self, trainer: "Trainer", step: int, stats: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        w = row.get("w_estimate", float("nan"))
        text = f"{self.label} step {int(row['step'])}/{trainer.steps}"
        if trainer.critic is not None:
            text += (f" W={w:.4f} critic={row.get('critic_loss', float('nan')):.4f}"
                     f" gen={row.get('generator_loss', float('nan')):.4f}")
        else:  # a generator-only phase has no critic numbers to show
            text += f" loss={row.get('extra_loss', float('nan')):.4f}"
        if self._bar is not None:
            if trainer.critic is not None:
                self._bar.set_postfix(W=f"{w:.3f}")
        else:
            print(f"{text} ({time.perf_counter() - self._start:.0f}s)", file=self.stream,
                  flush=True)

    def on_fit_end(self, trainer: "Trainer") -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class CSVLogger(Callback):
    """Writes every row the trainer logs to a CSV file (log.csv), on the main process only.

    On a resume it first drops the rows written after the checkpoint the trainer resumed
    from (they will be written again) and gives the file today's columns (a callback's
    columns may have been added)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def on_fit_start(self, trainer: "Trainer") -> None:
        if not trainer.strategy.is_main or not self.path.exists():
            return
        with open(self.path, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = reader.fieldnames or []
        keep = [r for r in rows if int(float(r["step"])) <= trainer.step]
        if len(keep) != len(rows) or header != trainer.log_columns:
            with open(self.path, "w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=trainer.log_columns, restval="",
                                        extrasaction="ignore")
                writer.writeheader()
                writer.writerows(keep)

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        if not trainer.strategy.is_main:
            return
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=trainer.log_columns, restval="",
                                    extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                             for k, v in row.items()})


class Checkpointing(Callback):
    """Writes the trainer's checkpoint every ``every`` steps of ``fit``, after its last step
    and on Ctrl-C (never after a non-finite loss: the last good checkpoint stays). Steps
    trained by ``train_steps`` (a federated worker) write none."""

    def __init__(self, path: Path, every: int) -> None:
        self.path = Path(path)
        self.every = int(every)
        self._active = False

    def on_fit_start(self, trainer: "Trainer") -> None:
        self._active = True

    def on_step_end(self, trainer: "Trainer", step: int, stats: dict[str, float]) -> None:
        if self._active and (step % self.every == 0 or step == trainer.steps):
            trainer.save(self.path)

    def on_exception(self, trainer: "Trainer", exc: BaseException) -> None:
        if self._active and isinstance(exc, KeyboardInterrupt):
            trainer.save(self.path)
        self._active = False

    def on_fit_end(self, trainer: "Trainer") -> None:
        self._active = False


class TensorBoardLogger(Callback):
    """Writes every row the trainer logs as TensorBoard scalars (one per log.csv column, tag
    ``<stream>/<column>``, at the row's step) and, after every checkpoint, the plugin's
    ``preview`` picture (tag ``<stream>/preview``), into ``RUN_DIR/tensorboard/<stream>``
    (``wgan_core.tensorboard``), on the main process only. On a resume the events written
    after the checkpoint are purged, so each step appears once."""

    def __init__(self, run_dir: Path, stream: str = "train",
                 preview: PreviewFn | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.stream = stream
        self.preview = preview
        self._writer: Any = None

    @property
    def state_key(self) -> str:
        return f"TensorBoardLogger[{self.stream}]"

    def on_fit_start(self, trainer: "Trainer") -> None:
        if trainer.strategy.is_main:
            from .tensorboard import open_writer

            self._writer = open_writer(self.run_dir, self.stream, resume_step=trainer.step)

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        if self._writer is None:
            return
        from .tensorboard import numeric

        step = int(row["step"])
        for key, value in numeric(row).items():
            if key != "step":
                self._writer.add_scalar(f"{self.stream}/{key}", value, step)

    def on_checkpoint(self, trainer: "Trainer", path: Path) -> None:
        if self._writer is None or self.preview is None:
            return
        image = self.picture(trainer)
        if image is not None:
            self._writer.add_image(f"{self.stream}/preview", image, trainer.step,
                                   dataformats="HWC")
            self._writer.flush()

    def picture(self, trainer: "Trainer") -> "np.ndarray | None":
        """The preview, drawn without moving training: torch's global random stream is
        restored afterwards (an exact resume continues it) and the networks get their
        train/eval modes back."""
        assert self.preview is not None
        modules = [m for m in (trainer.generator, trainer.sampling_generator, trainer.critic)
                   if m is not None]
        modes = [m.training for m in modules]
        try:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                return self.preview(trainer)
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def on_fit_end(self, trainer: "Trainer") -> None:
        self._close()

    def on_exception(self, trainer: "Trainer", exc: BaseException) -> None:
        self._close()

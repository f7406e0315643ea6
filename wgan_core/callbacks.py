"""Trainer callbacks, Lightning style: every hook is a typed no-op with a one-line docstring."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer


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

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        """Called when a row is written to log.csv."""

    def on_checkpoint(self, trainer: "Trainer", path: Path) -> None:
        """Called after a checkpoint has been written."""

    def on_fit_end(self, trainer: "Trainer") -> None:
        """Called once after the last step."""

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

            self._bar = tqdm(total=trainer.config.steps, initial=trainer.step, desc=self.label,
                             file=self.stream, dynamic_ncols=True)

    def on_step_end(self, trainer: "Trainer", step: int, stats: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_log(self, trainer: "Trainer", row: dict[str, float]) -> None:
        w = row.get("w_estimate", float("nan"))
        text = f"{self.label} step {int(row['step'])}/{trainer.config.steps}"
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

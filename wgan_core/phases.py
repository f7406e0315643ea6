"""Training phases: a plugin declares them, the core runs them.

A :class:`Phase` is one stretch of training with its own schedule: how many generator steps,
the learning rates, the seed of its random stream, the schedule kind, the generator's moving
average, whether a critic plays (a pixel-loss pre-training phase has none) and the files it
writes (checkpoint and log). The :class:`~wgan_core.trainer.Trainer` takes its schedule from
a phase and everything else (batch size, critic steps, constraint, optimizer, intervals,
device) from the plugin's config, so no plugin steers the trainer by forging a config.

:func:`fit_phases` runs a plugin's phases in order, as SRGAN/ESRGAN and pix2pix-style
training need (pixel loss first, then adversarial): each phase resumes from its own
checkpoint, starts from the previous phase's sampling generator, and when a phase trains
in this call, the checkpoints of the later phases are outdated (they continued from older
weights) and are moved aside as ``<phase>_stale.pt``, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

import torch

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer


@dataclass(frozen=True)
class Phase:
    """One stretch of training with its own schedule and files.

    ``steps`` generator steps at learning rates ``lr_g`` / ``lr_c`` (``lr_schedule``:
    constant, or a linear decay to zero over the phase), its random stream seeded with
    ``seed``, an EMA of the generator with ``ema_decay`` (0: none), a critic when
    ``adversarial`` (otherwise the generator trains on the trainer's ``extra_loss`` alone),
    writing ``checkpoints/<checkpoint>`` and ``<log>`` in the run folder."""

    name: str = "train"
    steps: int = 2000
    lr_g: float = 1e-4
    lr_c: float = 1e-4
    seed: int = 0
    lr_schedule: Literal["constant", "linear"] = "constant"
    ema_decay: float = 0.0
    adversarial: bool = True
    checkpoint: str = "last.pt"
    log: str = "log.csv"

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError(f"phase '{self.name}': steps must be >= 0, got {self.steps}")
        if self.lr_schedule not in ("constant", "linear"):
            raise ValueError(f"phase '{self.name}': unknown lr_schedule '{self.lr_schedule}'")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"phase '{self.name}': ema_decay must be in [0, 1)")

    @classmethod
    def from_config(cls, config: Any, **changes: Any) -> "Phase":
        """The one phase of a plugin whose config is a ``TrainConfig`` (its ``steps``,
        learning rates, ``seed``, ``lr_schedule`` and ``ema_decay``), with ``changes``."""
        phase = cls(steps=config.steps, lr_g=config.lr_g, lr_c=config.lr_c, seed=config.seed,
                    lr_schedule=config.lr_schedule, ema_decay=config.ema_decay)
        return replace(phase, **changes) if changes else phase


def fit_phases(phases: Sequence[Phase], build: Callable[[Phase], "Trainer"], *,
               is_main: bool = True, echo: Callable[[str], None] = print
               ) -> dict[str, "Trainer"]:
    """Run ``phases`` in order and return their trainers by name.

    For each phase: the global torch seed is set to ``phase.seed`` and ``build(phase)`` makes
    its Trainer (models built there draw their initial weights from that seed); a phase after
    the first starts from the previous phase's sampling generator (its EMA when kept); then
    the phase trains (resuming from its own checkpoint). A phase with 0 steps is built but
    not trained, so the next phase starts from its initial weights. When a phase trained in
    this call (a fresh run, or a resume asking for more of its steps), every later phase's
    checkpoint is moved aside (``is_main`` only: under torchrun rank 0 owns the folder)."""
    names = [p.name for p in phases]
    if len(set(names)) != len(names):
        raise ValueError(f"phase names must differ: {names}")
    trainers: dict[str, Trainer] = {}
    previous: Trainer | None = None
    for i, phase in enumerate(phases):
        torch.manual_seed(phase.seed)
        trainer = build(phase)
        if trainer.phase is not phase and trainer.phase != phase:
            raise ValueError(f"build() made a trainer for phase '{trainer.phase.name}', "
                             f"asked for '{phase.name}'")
        if previous is not None:
            trainer.start_from(previous.sampling_generator)
        if phase.steps > 0:
            trainer.fit()
            trained = trainer.step > (trainer.resumed_from or 0)
            if trained and is_main and trainer.run_dir is not None:
                for later in phases[i + 1:]:
                    _move_aside(trainer.run_dir, later, phase, echo)
        trainers[phase.name] = trainer
        previous = trainer
    return trainers


def _move_aside(run_dir: Path, later: Phase, trained: Phase,
                echo: Callable[[str], None]) -> None:
    stale = run_dir / "checkpoints" / later.checkpoint
    if stale.exists():
        kept = stale.replace(stale.with_name(f"{later.name}_stale.pt"))
        echo(f"the {trained.name} phase trained on; the {later.name} phase starts again "
             f"(its old checkpoint kept as {kept})")

"""Checkpoints: written atomically, read only as weights (never as arbitrary pickles)."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, CheckpointMismatchError
from .files import atomic_file


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write state to path atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_file(path) as fh:
            torch.save(state, fh)
    except RuntimeError:
        # torch reports a failed write (typically a full disk) as a RuntimeError from its zip
        # writer whose text means nothing to a user; say where, and how much room is left.
        free = shutil.disk_usage(path.parent).free // 2**20
        raise CheckpointError(f"{path}: could not write the checkpoint ({free} MiB free on "
                              f"that disk)") from None
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    A file that needs arbitrary code to unpickle is refused with CheckpointError, and its code
    never runs.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint there")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "refused"
        raise CheckpointError(f"{path}: refused to load, not a weights-only checkpoint ({first})"
                              ) from None
    # A file that is not a torch zip archive can surface as almost any of these (a KeyError
    # for some junk files), so all of them mean the same thing to the user.
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a wgan checkpoint (top level is "
                              f"{type(state).__name__})")
    return state


def mismatch_error(exc: BaseException) -> CheckpointMismatchError:
    """A checkpoint/model mismatch from ``load_state_dict`` as one readable line: torch's text
    is a header ending in ':' and then one line per tensor, and the first of those says what
    differs."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    detail = lines[0] if lines else type(exc).__name__
    return CheckpointMismatchError(f"checkpoint does not match this model/config "
                           f"({detail[:200].rstrip('.')})")


def load_weights(module: torch.nn.Module, state: dict[str, Any]) -> torch.nn.Module:
    """``module.load_state_dict(state)``, with a mismatch raised as a one-line CheckpointError
    (for inference on a run whose config.toml no longer fits its checkpoint)."""
    try:
        module.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise mismatch_error(exc) from None
    return module


def sampling_state(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The generator weights a trained run samples and evaluates with: its EMA when the run
    kept one, else the generator itself (the one place that knows the checkpoint's layout)."""
    state = checkpoint.get("ema") or checkpoint.get("generator")
    if not state:
        raise CheckpointError("checkpoint holds no generator weights")
    return state


def load_sampling_generator(generator: torch.nn.Module, checkpoint: dict[str, Any]
                            ) -> torch.nn.Module:
    """``generator`` (built as the run built it) with the run's sampling weights, in eval mode."""
    return load_weights(generator, sampling_state(checkpoint)).eval()


def load_critic(critic: torch.nn.Module, checkpoint: dict[str, Any], constraint: Any,
                space: Any) -> torch.nn.Module:
    """``critic`` prepared by the run's constraint exactly as the trainer prepared it (spectral
    normalization reparametrizes its layers, and scales its output to the space) and loaded
    with the run's critic weights, in eval mode."""
    state = checkpoint.get("critic")
    if not state:
        raise CheckpointError("checkpoint holds no critic weights")
    return load_weights(constraint.prepare(critic, space), state).eval()

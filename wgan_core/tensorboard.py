"""TensorBoard event files in a run folder (``--logger tensorboard``), through torch's own
``torch.utils.tensorboard.SummaryWriter``.

Layout: ``RUN_DIR/tensorboard/<name>/`` holds one stream of events: one per training phase
(``toy``, ``pretrain``, ``adversarial``, ...), ``rounds`` for a federated run's rounds,
``hparams`` for the options beside the final metrics. ``tensorboard --logdir runs`` shows every
run's streams side by side. Each stream counts its own steps, so a phase that resumes purges
only its own events past the checkpoint (``purge_step``), never another phase's.

The ``tensorboard`` package is an optional extra (``pip install 'wgan[tensorboard]'``);
``require_tensorboard`` turns its absence into one ConfigError line.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from torch.utils.tensorboard import SummaryWriter

#: The sub-folder of a run folder that holds the event files.
FOLDER = "tensorboard"
INSTALL_HINT = "pip install 'wgan[tensorboard]'"


def require_tensorboard() -> None:
    """Raise ConfigError (one line naming the package) when TensorBoard is not installed."""
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ConfigError(f"--logger tensorboard needs the tensorboard package: "
                          f"{INSTALL_HINT}") from None


def stream_dir(run_dir: Path, name: str) -> Path:
    """``RUN_DIR/tensorboard/<name>``."""
    return Path(run_dir) / FOLDER / name


def open_writer(run_dir: Path, name: str, resume_step: int | None = None) -> "SummaryWriter":
    """A writer appending to the stream ``name``. ``resume_step``: the step training continues
    from; events an interrupted run wrote after it are purged (they are written again), so
    every step appears once."""
    require_tensorboard()
    from torch.utils.tensorboard import SummaryWriter

    log_dir = stream_dir(run_dir, name)
    earlier = log_dir.is_dir() and any(log_dir.glob("events.out.tfevents.*"))
    purge = resume_step + 1 if earlier and resume_step is not None else None
    return SummaryWriter(log_dir=str(log_dir), purge_step=purge, flush_secs=30)


def numeric(values: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers of a row or a metrics dict (strings, lists, bools, NaN left out)."""
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                continue
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[key] = float(value)
    return out


def write_hparams(run_dir: Path, options: Mapping[str, Any], metrics: Mapping[str, Any]
                  ) -> Path:
    """The run's options and its final numeric metrics as one HParams session in the stream
    ``hparams`` (written anew at the end of every call: a resumed run's replaces the old)."""
    require_tensorboard()
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    log_dir = stream_dir(run_dir, "hparams")
    shutil.rmtree(log_dir, ignore_errors=True)
    hp = {k: v for k, v in options.items() if isinstance(v, (bool, int, float, str))}
    final = {f"final/{k}": v for k, v in numeric(metrics).items()}
    exp, ssi, sei = hparams(hp, final)
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for summary in (exp, ssi, sei):
            writer.file_writer.add_summary(summary)
        for key, value in final.items():
            writer.add_scalar(key, value, 0)
    return log_dir

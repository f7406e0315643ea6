"""The numeric precision of training: Lightning's names, torch's autocast and GradScaler.

``32`` trains in float32. ``bf16-mixed`` and ``16-mixed`` run the generator's and the critic's
forward passes under ``torch.autocast`` (convolutions and matrix products in bfloat16 or
float16) while the weights, the optimizers, the losses, the penalty's gradient norms and the
logged slopes stay float32: the trainer casts network outputs and gradients to float32 before
it reduces them. ``16-mixed`` also scales the loss (``torch.amp.GradScaler``): float16's
narrow exponent would flush small gradients to zero; bfloat16 has float32's exponent and needs
no scaling. ``auto`` picks ``bf16-mixed`` where the hardware computes bfloat16 natively (a
CUDA device with bf16, a CPU with AVX512-BF16, AMX-BF16 or Arm's BF16), ``32`` elsewhere:
where bfloat16 is only emulated it is slower than float32, not faster.

Weights are float32 under every precision, so a checkpoint does not depend on the precision
it was written at: a run resumes at any other.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import ContextManager, Literal

import torch

from .errors import ConfigError

PrecisionName = Literal["32", "bf16-mixed", "16-mixed", "auto"]
PRECISIONS: tuple[str, ...] = ("32", "bf16-mixed", "16-mixed", "auto")
_DTYPES = {"32": None, "bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}


def native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` computes bfloat16 in hardware (so bf16-mixed is faster there)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(
            including_emulation=False)
    if device.type == "cpu":
        # torch's own CPU feature table (cpuinfo): the bf16 dot-product instructions of x86
        # (AVX512-BF16, AMX-BF16) and of Arm (BF16, SVE-BF16).
        caps = torch.cpu.get_capabilities()
        return any(bool(caps.get(k, False))
                   for k in ("avx512_bf16", "amx_bf16", "bf16", "sve_bf16"))
    return False


def bf16_available(device: torch.device | str) -> bool:
    """Whether torch can train in bfloat16 on ``device`` at all (natively or emulated)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        # oneDNN's check: the CPU kernels torch runs bfloat16 convolutions and matmuls on.
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) or native_bf16(device)
    return False


def check_precision(name: str, device: torch.device | str) -> tuple[str, str | None]:
    """The precision ``name`` resolves to on ``device`` (``auto`` decided) and a note for the
    user (None when there is nothing to say); a precision the device cannot train at is a
    ConfigError."""
    device = torch.device(device)
    if name not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}; got '{name}'")
    if name == "auto":
        if native_bf16(device):
            return "bf16-mixed", f"precision auto: bf16-mixed ({device.type} has native bf16)"
        return "32", None
    if name == "16-mixed" and device.type != "cuda":
        raise ConfigError(f"precision 16-mixed needs a CUDA device (float16 with a gradient "
                          f"scaler); on {device.type} use --precision bf16-mixed or 32")
    if name == "bf16-mixed":
        if not bf16_available(device):
            raise ConfigError(f"precision bf16-mixed: this {device.type} device cannot compute "
                              f"in bfloat16; use --precision 32")
        if not native_bf16(device):
            return name, (f"precision bf16-mixed: this {device.type} has no native bf16, so "
                          f"bfloat16 is emulated and probably slower than --precision 32")
    return name, None


@dataclass(frozen=True)
class Precision:
    """A resolved precision on one device type: ``name`` is 32, bf16-mixed or 16-mixed."""

    name: str = "32"
    device_type: str = "cpu"

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype (None for float32)."""
        return _DTYPES[self.name]

    @property
    def mixed(self) -> bool:
        """Whether forward passes run under autocast."""
        return self.dtype is not None

    def autocast(self) -> ContextManager[object]:
        """The context the forward passes run in (nothing at all for float32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        """A loss scaler for float16 (None otherwise: bfloat16 and float32 need none)."""
        if self.dtype is not torch.float16:
            return None
        return torch.amp.GradScaler(self.device_type)

    def __str__(self) -> str:
        return self.name


def resolve_precision(name: str, device: torch.device | str) -> Precision:
    """The :class:`Precision` that ``name`` means on ``device`` (ConfigError if it cannot)."""
    resolved, _ = check_precision(name, device)
    return Precision(resolved, torch.device(device).type)


def as_float32(t: torch.Tensor) -> torch.Tensor:
    """A half-precision tensor (autocast output) as float32; other tensors unchanged (an
    integer part of a sample, a float64 result stays what it is)."""
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t

"""Translation metrics against the real target: L1 error, PSNR and SSIM on RGB (kornia), the
high-frequency energy ratio (sharpness), and two sliced Wasserstein distances (how far the
distribution of local patches is from the real one): ``swd`` by ProGAN's protocol, comparable
with published SWDs, and ``swd_paired``, the same patch positions in an output and its target,
without ProGAN's sampling noise. The implementations are in ``wgan_core.domains.images``,
shared with superres."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import Tensor

from wgan_core.domains.images import (hf_ratio, psnr_rgb, sliced_wasserstein,
                                      sliced_wasserstein_paired, ssim_rgb)


def image_metrics(output: Tensor, target: Tensor) -> dict[str, float]:
    """Per-image pixel scores of one output [3,H,W] against its real target."""
    return {
        "l1_error": float((output.clamp(0, 1) - target).abs().mean()),
        "psnr": psnr_rgb(output, target),
        "ssim": ssim_rgb(output, target),
        "hf_ratio": hf_ratio(output, target),
    }


def swd_metrics(outputs: list[Tensor], targets: list[Tensor]
                ) -> tuple[dict[str, Any], list[float]]:
    """Both SWDs (×10³) between all outputs and all targets — ``swd`` (ProGAN's protocol) and
    ``swd_paired`` as the mean over levels, each with its levels (``swd_levels``,
    ``swd_paired_levels``) — and each image's own paired SWD (its patches against its target's,
    at the same positions; ProGAN's unpaired SWD of one image is mostly its sampling floor)."""
    paired, each = sliced_wasserstein_paired(outputs, targets, per_image=True)
    progan = sliced_wasserstein(outputs, targets)
    return ({"swd": float(np.mean(progan)), "swd_levels": progan,
             "swd_paired": float(np.mean(paired)), "swd_paired_levels": paired},
            [float(np.mean(e)) for e in each])


_MODELS = ("l1", "adv")
_NONNEG = {"type": "number", "minimum": 0}
#: One image's scores (and their means over the held-out images), per model: L1 error of
#: outputs clamped to [0, 1] against targets in [0, 1], PSNR of 8-bit images in [0, 1]
#: (MSE <= 1, so >= 0 dB), SSIM in [-1, 1], the high-frequency ratio and the paired SWD
#: (x 10^3) >= 0.
_PIXEL = {
    **{f"l1_error_{m}": {"type": "number", "minimum": 0, "maximum": 1} for m in _MODELS},
    **{f"psnr_{m}": _NONNEG for m in _MODELS},
    **{f"ssim_{m}": {"type": "number", "minimum": -1, "maximum": 1} for m in _MODELS},
    **{f"hf_ratio_{m}": _NONNEG for m in _MODELS},
}
_PER_IMAGE = {**_PIXEL, **{f"swd_paired_{m}": _NONNEG for m in _MODELS}}
#: The set's SWDs (x 10^3, mean over levels) and their levels, finest first.
_SWD = {**{f"{k}_{m}": _NONNEG for k in ("swd", "swd_paired") for m in _MODELS},
        **{f"{k}_levels_{m}": {"type": "array", "items": _NONNEG, "minItems": 1}
           for k in ("swd", "swd_paired") for m in _MODELS}}
_NAMES = {"type": "array", "items": {"type": "string"}, "minItems": 1}
#: Patches per second of a phase; NaN (null) for a phase that trained no step in this call.
_RATE = {"type": ["number", "null"], "minimum": 0}

#: JSON Schema of an img2img run's metrics.json.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "img2img metrics.json",
    "type": "object",
    "required": [*_PIXEL, *_SWD, "per_image", "task",
                 "train_images", "test_images", "seconds_pretrain", "seconds_adversarial",
                 "patches_per_second_pretrain", "patches_per_second_adversarial",
                 "seconds_total"],
    "properties": {
        **_PER_IMAGE,
        **_SWD,
        "per_image": {"type": "object", "minProperties": 1,
                      "additionalProperties": {"type": "object", "required": list(_PER_IMAGE),
                                               "properties": _PER_IMAGE}},
        "task": {"enum": ["edges2photo", "colorize", "user"]},
        "train_images": _NAMES,
        "test_images": _NAMES,
        "seconds_pretrain": _NONNEG,
        "seconds_adversarial": _NONNEG,
        "patches_per_second_pretrain": _RATE,
        "patches_per_second_adversarial": _RATE,
        "seconds_total": _NONNEG,
    },
}

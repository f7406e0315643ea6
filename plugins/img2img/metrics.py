"""Translation metrics against the real target: L1 error, PSNR and SSIM on RGB (kornia), the
high-frequency energy ratio (sharpness), and ProGAN's sliced Wasserstein distance (how far the
distribution of local patches is from the real one). The implementations are in
``wgan_core.domains.images``, shared with superres."""

from __future__ import annotations

import numpy as np
from torch import Tensor

from wgan_core.domains.images import hf_ratio, psnr_rgb, sliced_wasserstein, ssim_rgb


def image_metrics(output: Tensor, target: Tensor) -> dict[str, float]:
    """Per-image pixel scores of one output [3,H,W] against its real target."""
    return {
        "l1_error": float((output.clamp(0, 1) - target).abs().mean()),
        "psnr": psnr_rgb(output, target),
        "ssim": ssim_rgb(output, target),
        "hf_ratio": hf_ratio(output, target),
    }


def swd_metrics(outputs: list[Tensor], targets: list[Tensor]
                ) -> tuple[float, list[float], list[float]]:
    """The SWD (×10³, mean over levels) between all outputs and all targets, its levels, and
    each image's own SWD (its patches against its target's, the same patches)."""
    levels, each = sliced_wasserstein(outputs, targets, per_image=True)
    return float(np.mean(levels)), levels, [float(np.mean(e)) for e in each]

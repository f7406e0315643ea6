"""What superres reports, as the papers do: PSNR and SSIM on the Y channel with a border of
``scale`` pixels cropped, and the high-frequency energy ratio (the measures themselves are
``wgan_core.domains.images``, shared with img2img), on every held-out photo at full size, for
bicubic, the pixel-loss and the adversarial model; one comparison picture per photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wgan_core.domains.images import Photo, comparison_stems, hf_ratio, psnr_y, ssim_y
from wgan_core.plots import pyplot, save_figure

from .config import SuperResConfig
from .data import downscale, modcrop, upscale_bicubic
from .models import SRGenerator, upscale


@torch.no_grad()
def evaluate(test: list[Photo], l1_model: SRGenerator, sr_model: SRGenerator,
             config: SuperResConfig, run_dir: Path) -> tuple[dict[str, Any], list[Path]]:
    """Full-size Y-channel PSNR/SSIM (border = scale) and sharpness on every held-out photo,
    for bicubic, the pixel-loss and the adversarial model; one comparison PNG per photo."""
    s = config.scale
    per_image: dict[str, dict[str, float]] = {}
    artifacts = []
    device = next(sr_model.parameters()).device
    for photo, stem in zip(test, comparison_stems([p.name for p in test])):
        hr = modcrop(photo.image, s).unsqueeze(0).to(device)
        lr = downscale(hr, s)
        outputs = {"bicubic": upscale_bicubic(lr, s), "l1": upscale(l1_model, lr, config.tile),
                   "sr": upscale(sr_model, lr, config.tile)}
        row = {}
        for key, out in outputs.items():
            row[f"psnr_{key}"] = psnr_y(out, hr, border=s)
            row[f"ssim_{key}"] = ssim_y(out, hr, border=s)
            row[f"hf_ratio_{key}"] = hf_ratio(out, hr, border=s)
        per_image[photo.name] = row
        artifacts.append(comparison_png(photo.name, lr, outputs, hr, row, s, run_dir, stem))
    keys = list(next(iter(per_image.values())).keys())
    metrics: dict[str, Any] = {k: float(np.mean([r[k] for r in per_image.values()]))
                               for k in keys}
    metrics["per_image"] = per_image
    return metrics, artifacts


def _best_crop(hr: Tensor, size: int) -> tuple[int, int]:
    """Top-left corner of the size x size window with the most fine detail (to zoom on)."""
    from kornia.filters import laplacian

    energy = laplacian(hr.mean(dim=1, keepdim=True), 3).pow(2)
    pooled = F.avg_pool2d(energy, size, stride=max(1, size // 4))
    idx = int(pooled.flatten().argmax())
    stride = max(1, size // 4)
    return (idx // pooled.shape[-1]) * stride, (idx % pooled.shape[-1]) * stride


def comparison_png(name: str, lr: Tensor, outputs: dict[str, Tensor], hr: Tensor,
                   row: dict[str, float], scale: int, run_dir: Path, file_stem: str) -> Path:
    """low-res | bicubic | pixel-loss | adversarial | original, on a zoomed crop."""
    plt = pyplot()
    size = min(24 * scale, hr.shape[-2] // scale * scale, hr.shape[-1] // scale * scale)
    y, x = _best_crop(hr, size)
    y, x = y - y % scale, x - x % scale
    lr_crop = lr[..., y // scale:(y + size) // scale, x // scale:(x + size) // scale]
    panels = [("low-res (nearest)", F.interpolate(lr_crop, scale_factor=scale, mode="nearest")),
              (f"bicubic {row['psnr_bicubic']:.2f} dB", outputs["bicubic"]),
              (f"pixel-loss {row['psnr_l1']:.2f} dB", outputs["l1"]),
              (f"adversarial {row['psnr_sr']:.2f} dB", outputs["sr"]),
              ("original", hr)]
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4))
    for ax, (title, img) in enumerate(panels):
        crop = img if img.shape[-1] == size else img[..., y:y + size, x:x + size]
        axes[ax].imshow(crop[0].clamp(0, 1).permute(1, 2, 0).cpu().numpy(),
                        interpolation="nearest")
        axes[ax].set_title(title, fontsize=10)
        axes[ax].axis("off")
    fig.suptitle(f"{name} x{scale} (PSNR on Y of the full image)", fontsize=11)
    return save_figure(fig, Path(run_dir) / f"comparison_{file_stem}.png")


_METHODS = ("bicubic", "l1", "sr")
_NONNEG = {"type": "number", "minimum": 0}
#: Per photo and averaged: PSNR of 8-bit images in [0, 1] (MSE <= 1, so >= 0 dB), SSIM in
#: [-1, 1], the high-frequency energy ratio >= 0; for bicubic, the L1 model and the adversarial.
_SCORES: dict[str, Any] = {
    **{f"psnr_{m}": _NONNEG for m in _METHODS},
    **{f"ssim_{m}": {"type": "number", "minimum": -1, "maximum": 1} for m in _METHODS},
    **{f"hf_ratio_{m}": _NONNEG for m in _METHODS},
}
_NAMES = {"type": "array", "items": {"type": "string"}, "minItems": 1}

#: JSON Schema of a superres run's metrics.json (augment_p_final only with --augment).
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "superres metrics.json",
    "type": "object",
    "required": [*_SCORES, "per_image", "scale", "train_images", "test_images",
                 "seconds_pretrain", "seconds_adversarial", "seconds_total"],
    "properties": {
        **_SCORES,
        "per_image": {"type": "object", "minProperties": 1,
                      "additionalProperties": {"type": "object", "required": list(_SCORES),
                                               "properties": _SCORES}},
        "scale": {"enum": [2, 4]},
        "train_images": _NAMES,
        "test_images": _NAMES,
        "seconds_pretrain": _NONNEG,
        "seconds_adversarial": _NONNEG,
        "seconds_total": _NONNEG,
        # ADA's augmentation probability, which it clamps to [0, 0.8]
        "augment_p_final": {"type": "number", "minimum": 0, "maximum": 0.8},
    },
}

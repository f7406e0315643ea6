"""SR metrics as the papers report them: PSNR and SSIM on the Y channel with a border of
``scale`` pixels cropped, plus a texture-sharpness measure (high-frequency energy ratio)."""

from __future__ import annotations

import torch
from kornia.color import rgb_to_ycbcr
from kornia.filters import laplacian
from kornia.metrics import psnr, ssim
from torch import Tensor


def y_channel(rgb: Tensor) -> Tensor:
    """The BT.601 studio-swing luma the SR papers use (MATLAB's rgb2ycbcr), in [16/255, 235/255].

    kornia's ``rgb_to_ycbcr`` gives full-range Y = 0.299R + 0.587G + 0.114B; the papers'
    Y = (16 + 65.481R + 128.553G + 24.966B) / 255 is exactly (16 + 219 Y_full) / 255.
    """
    return (16.0 + 219.0 * rgb_to_ycbcr(rgb)[..., :1, :, :]) / 255.0


def _prepare(sr: Tensor, hr: Tensor, border: int) -> tuple[Tensor, Tensor]:
    if sr.shape != hr.shape:
        raise ValueError(f"shapes differ: {tuple(sr.shape)} vs {tuple(hr.shape)}")
    sr, hr = (t if t.dim() == 4 else t.unsqueeze(0) for t in (sr, hr))
    # Round to 8-bit as saved images would be, then crop the border (the papers' protocol).
    sr, hr = (torch.round(t.clamp(0, 1) * 255) / 255 for t in (sr.double(), hr.double()))
    y_sr, y_hr = y_channel(sr), y_channel(hr)
    if border > 0:
        y_sr, y_hr = (t[..., border:-border, border:-border] for t in (y_sr, y_hr))
    return y_sr, y_hr


def psnr_y(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """PSNR (dB) on the Y channel of RGB images in [0, 1], ``border`` pixels cropped."""
    y_sr, y_hr = _prepare(sr, hr, border)
    return float(psnr(y_sr, y_hr, max_val=1.0))


def ssim_y(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """SSIM on the Y channel (Wang et al.: 11x11 Gaussian window, sigma 1.5, valid region)."""
    y_sr, y_hr = _prepare(sr, hr, border)
    return float(ssim(y_sr, y_hr, window_size=11, max_val=1.0, padding="valid").mean())


def hf_energy(rgb: Tensor, border: int = 0) -> float:
    """Mean squared Laplacian of the Y channel: how much fine texture an image carries."""
    y = y_channel(rgb.double() if rgb.dim() == 4 else rgb.double().unsqueeze(0))
    lap = laplacian(y, kernel_size=3)
    if border > 0:
        lap = lap[..., border:-border, border:-border]
    return float(lap.pow(2).mean())


def hf_ratio(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """High-frequency energy of SR over that of HR: 1 = as sharp as the original, < 1 blurrier."""
    return hf_energy(sr, border) / max(hf_energy(hr, border), 1e-20)

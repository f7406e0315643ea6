"""SR metrics as the papers report them: PSNR and SSIM on the Y channel with a border of
``scale`` pixels cropped, plus a texture-sharpness measure (high-frequency energy ratio).

The implementations live in ``wgan_core.images`` (shared with img2img); this module names the
ones superres reports."""

from __future__ import annotations

from wgan_core.images import hf_energy, hf_ratio, psnr_y, ssim_y, y_channel

__all__ = ["hf_energy", "hf_ratio", "psnr_y", "ssim_y", "y_channel"]

"""Photos for super-resolution: the embedded default set, user folders, patches and LR inputs.

Embedded default (no download): the colour photographs inside the scikit-image wheel and
scikit-learn's two sample photos (``wgan_core.domains.images``, shared with img2img). The split is fixed
and documented in ``DEFAULT_TEST``: those images are held out and never trained on.

Low-resolution inputs are made with kornia's bicubic resize with antialiasing (a Gaussian
prefilter), so training and evaluation degrade images the same way.
"""

from __future__ import annotations

from pathlib import Path

import torch
from kornia.geometry.transform import resize
from torch import Tensor

from wgan_core.data import Batch
from wgan_core.errors import DataError
# Image loading and the embedded photographs with their split are shared with img2img.
from wgan_core.domains import images
from wgan_core.domains.images import (DEFAULT_TEST, DEFAULT_TRAIN, EXTENSIONS, Photo, Warn,
                              find_images, load_folder, read_image, split_user_photos,
                              to_rgb_float)
from wgan_core.domains.images import warn_stderr as _warn

__all__ = ["DEFAULT_TEST", "DEFAULT_TRAIN", "EXTENSIONS", "PatchSource", "Photo", "Warn",
           "default_photos", "downscale", "find_images", "flip_transpose", "load_folder",
           "load_photos", "modcrop", "read_image", "split_user_photos", "to_rgb_float",
           "upscale_bicubic"]


def default_photos() -> tuple[list[Photo], list[Photo]]:
    """The embedded (train, held-out) photos named by this module's ``DEFAULT_TRAIN`` and
    ``DEFAULT_TEST`` (read at call time, so a benchmark may select others)."""
    return images.default_photos(DEFAULT_TRAIN, DEFAULT_TEST)


def load_photos(data: Path | None, test_data: Path | None, patch_size: int, scale: int,
                warn: Warn = _warn) -> tuple[list[Photo], list[Photo]]:
    """Training and held-out photos, validated: every training photo holds a patch, every
    held-out photo is big enough to score (DataError naming the file otherwise)."""
    if data is None:
        train, test = default_photos()
        if test_data is not None:
            test = load_folder(test_data, warn)
    else:
        photos = load_folder(data, warn)
        train, test = ((photos, load_folder(test_data, warn)) if test_data is not None
                       else split_user_photos(photos))
    for p in train:
        h, w = p.image.shape[-2:]
        if min(h, w) < patch_size:
            raise DataError(f"{p.name}: image is {w}x{h}, smaller than the {patch_size}-pixel "
                            f"training patch (use a smaller --patch-size or remove it)")
    minimum = scale * (11 + 2)  # SSIM's 11-pixel window after the scale-pixel border crop
    for p in test:
        h, w = p.image.shape[-2:]
        if min(h, w) < minimum:
            raise DataError(f"{p.name}: held-out image is {w}x{h}, smaller than the "
                            f"{minimum} pixels needed to score it at scale {scale}")
    return train, test


# ---------------------------------------------------------------------- degradation

def modcrop(hr: Tensor, scale: int) -> Tensor:
    """Crop H and W down to multiples of scale (the SR convention), keeping the top-left."""
    h, w = hr.shape[-2:]
    return hr[..., : h - h % scale, : w - w % scale]


def downscale(hr: Tensor, scale: int) -> Tensor:
    """The low-resolution input: kornia bicubic resize with a Gaussian antialiasing prefilter."""
    h, w = hr.shape[-2:]
    return resize(hr, (h // scale, w // scale), interpolation="bicubic",
                  antialias=True).clamp(0.0, 1.0)


def upscale_bicubic(lr: Tensor, scale: int) -> Tensor:
    """The bicubic baseline (the same interpolation the generator's skip path uses)."""
    h, w = lr.shape[-2:]
    return resize(lr, (h * scale, w * scale), interpolation="bicubic").clamp(0.0, 1.0)


def flip_transpose(patch: Tensor, flips: Tensor) -> Tensor:
    """One of the 8 flips/transposes of a [C, H, W] patch: ``flips`` = (horizontal, vertical,
    transpose) as 0/1. Downscaling commutes with all of them, so an HR patch and its LR input
    may be flipped alike."""
    if flips[0]:
        patch = patch.flip(-1)
    if flips[1]:
        patch = patch.flip(-2)
    if flips[2]:
        patch = patch.transpose(-1, -2)
    return patch


class PatchSource:
    """Random HR patches with flips/transposes and their LR inputs, as a core data source.

    Each patch is the more textured of ``candidates`` random crops (see ``__call__``).

    Every random choice (image, position, flips) is drawn from the trainer's generator, so a
    resumed run sees the same batches. Each image is chosen with equal probability, so one
    very large photo (the mostly black retina scan) does not dominate training.
    """

    def __init__(self, photos: list[Photo], patch_size: int, scale: int,
                 candidates: int = 2,
                 memory_format: torch.memory_format = torch.contiguous_format) -> None:
        self.images = [p.image for p in photos]
        self.patch_size = patch_size
        self.scale = scale
        self.candidates = max(1, candidates)
        #: The batches' layout (the networks' own: channels_last in the plugin).
        self.memory_format = memory_format

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        p, k = self.patch_size, self.candidates
        which = torch.randint(0, len(self.images), (batch_size,), generator=generator)
        u = torch.rand(batch_size, k, 2, generator=generator)
        flips = torch.randint(0, 2, (batch_size, 3), generator=generator)
        patches = []
        for i in range(batch_size):
            im = self.images[int(which[i])]
            h, w = im.shape[-2:]
            # Of k random positions keep the most textured (largest std): flat sky, black
            # scan background and empty space teach an upscaler nothing.
            crops = [im[:, y:y + p, x:x + p] for y, x in
                     ((int(a * (h - p + 1)), int(b * (w - p + 1))) for a, b in u[i].tolist())]
            patches.append(flip_transpose(max(crops, key=lambda c: float(c.std())), flips[i]))
        hr = torch.stack(patches).contiguous(memory_format=self.memory_format)
        lr = downscale(hr, self.scale).contiguous(memory_format=self.memory_format)
        return Batch(real=hr, gen_input=lr)

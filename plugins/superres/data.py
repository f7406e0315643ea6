"""Photos for super-resolution: the embedded default set, user folders, patches and LR inputs.

Embedded default (no download): the colour photographs inside the scikit-image wheel and
scikit-learn's two sample photos. The split is fixed and documented in ``DEFAULT_TEST``: those
images are held out and never trained on.

Low-resolution inputs are made with kornia's bicubic resize with antialiasing (a Gaussian
prefilter), so training and evaluation degrade images the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from kornia.geometry.transform import resize
from torch import Tensor

from wgan_core.data import Batch
from wgan_core.errors import DataError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

#: Training photos of the default set: (source, name). Both motorcycle views stay on the same
#: side of the split, so no held-out scene is seen from another angle.
DEFAULT_TRAIN = [
    ("skimage", "astronaut"), ("skimage", "rocket"), ("skimage", "hubble_deep_field"),
    ("skimage", "retina"), ("skimage", "immunohistochemistry"),
    ("skimage", "motorcycle_left"), ("skimage", "motorcycle_right"),
    ("sklearn", "china.jpg"),
]
#: Held-out photos of the default set: never trained on, evaluated at full size.
DEFAULT_TEST = [("skimage", "chelsea"), ("skimage", "coffee"), ("sklearn", "flower.jpg")]

Warn = Callable[[str], None]


@dataclass
class Photo:
    """One RGB image in [0, 1], shape [3, H, W], with the name it is reported under."""

    name: str
    image: Tensor


def _warn(msg: str) -> None:
    """Default warning sink: one line on stderr (the run passes its context.echo instead)."""
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def to_rgb_float(arr: np.ndarray) -> np.ndarray:
    """Any image array (gray, gray+alpha, RGB, RGBA; 8/16-bit, float, bool) -> float32 RGB [0,1]."""
    if arr.dtype == np.bool_:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "ui":
        # 16-bit data decoded into wider ints (Pillow's mode "I") still means 0..65535.
        top = 255.0 if arr.dtype == np.uint8 or arr.max(initial=0) <= 255 else 65535.0
        arr = arr.astype(np.float32) / top
    else:
        arr = arr.astype(np.float32)
        peak = float(np.nanmax(arr)) if arr.size else 1.0
        arr = np.nan_to_num(arr / peak if peak > 1.0 else arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"unsupported array shape {arr.shape}")
    channels = arr.shape[2]
    if channels in (1, 2):  # gray (+ alpha): alpha dropped, gray repeated
        arr = np.repeat(arr[..., :1], 3, axis=2)
    elif channels >= 3:  # RGBA: alpha dropped
        arr = arr[..., :3]
    return np.clip(arr, 0.0, 1.0)


def read_image(path: Path) -> Tensor:
    """Read one image file as a [3, H, W] float tensor; raises ValueError/OSError if unreadable."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()  # decode now, so a truncated file fails here and not later
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F", "1", "L", "LA", "RGB",
                        "RGBA"):
            arr = np.asarray(img)
        else:  # palette, CMYK, YCbCr, ...: let Pillow produce RGB(A)
            arr = np.asarray(img.convert("RGBA" if "transparency" in img.info else "RGB"))
    return torch.from_numpy(np.ascontiguousarray(to_rgb_float(arr).transpose(2, 0, 1)))


def find_images(folder: Path) -> list[Path]:
    """Image files under a folder (recursive, sorted); DataError if the folder is missing."""
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder")
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


def load_folder(folder: Path, warn: Warn = _warn) -> list[Photo]:
    """All readable images of a folder; unreadable ones are skipped with a warning naming them."""
    files = find_images(folder)
    if not files:
        raise DataError(f"{folder}: no images found (png, jpg, jpeg, bmp, tif)")
    photos = []
    for path in files:
        try:
            photos.append(Photo(str(path.relative_to(folder) if path != folder else path.name),
                                read_image(path)))
        except (OSError, ValueError, SyntaxError) as exc:
            warn(f"skipping unreadable image {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    if not photos:
        raise DataError(f"{folder}: none of the {len(files)} image files could be read")
    return photos


def _default_photo(source: str, name: str) -> Photo:
    if source == "skimage":
        import skimage.data

        if name.startswith("motorcycle_"):  # stereo_motorcycle() gives (left, right, disparity)
            arr = skimage.data.stereo_motorcycle()[0 if name.endswith("left") else 1]
        else:
            arr = getattr(skimage.data, name)()
        return Photo(name, torch.from_numpy(to_rgb_float(np.asarray(arr)).transpose(2, 0, 1).copy()))
    from sklearn.datasets import load_sample_image

    return Photo(name.removesuffix(".jpg"),
                 torch.from_numpy(to_rgb_float(load_sample_image(name)).transpose(2, 0, 1).copy()))


def default_photos() -> tuple[list[Photo], list[Photo]]:
    """The embedded (train, held-out) photos."""
    return ([_default_photo(*k) for k in DEFAULT_TRAIN], [_default_photo(*k) for k in DEFAULT_TEST])


def split_user_photos(photos: list[Photo]) -> tuple[list[Photo], list[Photo]]:
    """Fixed split of a user folder without --test-data: every 5th image (sorted by path,
    starting with the 5th; at least the last one) is held out."""
    if len(photos) < 2:
        raise DataError(f"need at least 2 images to hold one out for evaluation (found "
                        f"{len(photos)}); or pass --test-data")
    test_idx = set(range(4, len(photos), 5)) or {len(photos) - 1}
    return ([p for i, p in enumerate(photos) if i not in test_idx],
            [p for i, p in enumerate(photos) if i in test_idx])


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
                 candidates: int = 2) -> None:
        self.images = [p.image for p in photos]
        self.patch_size = patch_size
        self.scale = scale
        self.candidates = max(1, candidates)

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
        hr = torch.stack(patches)
        return Batch(real=hr, gen_input=downscale(hr, self.scale))

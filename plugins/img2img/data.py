"""Paired images for translation: the embedded tasks, the user's pairs, and training crops.

Embedded default (no download): the photographs superres ships (``wgan_core.domains.images``), split
the same way — the held-out photos are never trained on. The target is the photo; the source is

- ``edges2photo``: its Canny edges (kornia, on the greyscale photo, thresholds 0.1 / 0.2,
  Gaussian 5x5 σ=1), drawn black on white like pix2pix's edges2shoes, as three equal channels;
- ``colorize``: its greyscale (kornia's ``rgb_to_grayscale``, BT.601 weights) as three equal
  channels.

User data: ``--data DIR`` in pix2pix's aligned format (each file A|B side by side, ``train/`` and
``test/`` or ``val/`` subfolders; ``--direction`` picks the source half), or ``--data-a DIR
--data-b DIR`` paired by file name. A pair whose halves differ in size, a file with no partner
and an unreadable file are skipped with a warning naming them; nothing left is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import Tensor

from wgan_core.data import Batch
from wgan_core.errors import DataError
from wgan_core.domains.images import (Photo, Warn, default_photos, find_images, first_line, read_image,
                              warn_stderr)

from .config import Img2ImgConfig

#: Smallest side a held-out image may have: SSIM's 11-pixel window and one 16-pixel level of
#: the sliced Wasserstein pyramid must fit.
MIN_TEST_SIDE = 16


@dataclass
class Pair:
    """A source image and its target, both RGB [3, H, W] in [0, 1] of the same size."""

    name: str
    source: Tensor
    target: Tensor


# ---------------------------------------------------------------------- embedded tasks

def edges(image: Tensor) -> Tensor:
    """Canny edges of an RGB image [3,H,W] as black lines on white, three equal channels.

    kornia's ``canny`` finds the gradients, non-maximum suppression and the double threshold;
    its own hysteresis (``hysteresis=True``) grows edges one pixel per pass and takes 48 s on the
    1411-px retina scan on one core, so the weak-to-strong linking is scikit-image's
    ``apply_hysteresis_threshold`` (connected components, 0.1 s) on kornia's 0 / 0.5 / 1 map
    (0.6 % of the pixels of the astronaut differ from kornia's own hysteresis).
    """
    from kornia.color import rgb_to_grayscale
    from kornia.filters import canny
    from skimage.filters import apply_hysteresis_threshold

    _, weak_strong = canny(rgb_to_grayscale(image.unsqueeze(0).float()), low_threshold=0.1,
                           high_threshold=0.2, hysteresis=False)
    linked = apply_hysteresis_threshold(weak_strong[0, 0].numpy(), 0.25, 0.75)
    return (1.0 - torch.from_numpy(linked).float()).expand(3, -1, -1).contiguous()


def greyscale(image: Tensor) -> Tensor:
    """The greyscale of an RGB image [3,H,W] as three equal channels."""
    from kornia.color import rgb_to_grayscale

    return rgb_to_grayscale(image.unsqueeze(0))[0].expand(3, -1, -1).contiguous()


def make_source(task: str, image: Tensor) -> Tensor:
    """The source image of an embedded task for a photo."""
    if task == "edges2photo":
        return edges(image)
    if task == "colorize":
        return greyscale(image)
    raise ValueError(f"unknown task '{task}'")


@lru_cache(maxsize=64)
def _cached_source(task: str, name: str, image: Tensor) -> Tensor:
    return make_source(task, image)


def task_pairs(task: str, photos: list[Photo]) -> list[Pair]:
    """(source, photo) pairs of an embedded task. The sources of the embedded photos are made
    once per process (Canny on the eleven photos takes 8 s on one core)."""
    return [Pair(p.name, _cached_source(task, p.name, p.image), p.image) for p in photos]


# ---------------------------------------------------------------------- user data

def _readable(path: Path, warn: Warn) -> Tensor | None:
    try:
        return read_image(path)
    except (OSError, ValueError, SyntaxError) as exc:
        warn(f"skipping unreadable image {path}: {first_line(exc)}")
        return None


def load_aligned(folder: Path, direction: str, warn: Warn = warn_stderr) -> list[Pair]:
    """Every readable A|B file of ``folder`` (recursive): the left half is A, the right B;
    ``direction`` AtoB makes A the source, BtoA swaps them."""
    files = find_images(folder)
    if not files:
        raise DataError(f"{folder}: no images found (png, jpg, jpeg, bmp, tif)")
    pairs = []
    for path in files:
        image = _readable(path, warn)
        if image is None:
            continue
        w = image.shape[-1]
        if w % 2:  # an odd width: the halves cannot be the same size
            warn(f"skipping {path}: its width {w} is odd, so its A and B halves differ in size")
            continue
        a, b = image[..., : w // 2], image[..., w // 2:]
        source, target = (a, b) if direction == "AtoB" else (b, a)
        pairs.append(Pair(str(path.relative_to(folder)), source.contiguous(), target.contiguous()))
    if not pairs:
        raise DataError(f"{folder}: none of the {len(files)} image files gave a usable A|B pair")
    return pairs


def load_two_folders(folder_a: Path, folder_b: Path, direction: str,
                     warn: Warn = warn_stderr) -> list[Pair]:
    """Images of two folders paired by relative path without extension (a/x.png with b/x.jpg)."""
    def index(folder: Path) -> dict[str, Path]:
        if folder.is_file():
            raise DataError(f"{folder}: is a file; --data-a and --data-b take folders")
        files = find_images(folder)
        if not files:
            raise DataError(f"{folder}: no images found (png, jpg, jpeg, bmp, tif)")
        return {str(p.relative_to(folder).with_suffix("")): p for p in files}

    files_a, files_b = index(folder_a), index(folder_b)
    for key in sorted(set(files_a) ^ set(files_b)):
        lone = files_a.get(key) or files_b[key]
        other = folder_b if key in files_a else folder_a
        warn(f"skipping {lone}: no file of that name in {other}")
    pairs = []
    for key in sorted(set(files_a) & set(files_b)):
        a, b = _readable(files_a[key], warn), _readable(files_b[key], warn)
        if a is None or b is None:
            continue
        if a.shape != b.shape:
            warn(f"skipping {files_a[key]} / {files_b[key]}: sizes differ "
                 f"({a.shape[-1]}x{a.shape[-2]} vs {b.shape[-1]}x{b.shape[-2]})")
            continue
        source, target = (a, b) if direction == "AtoB" else (b, a)
        pairs.append(Pair(key, source, target))
    if not pairs:
        raise DataError(f"{folder_a}, {folder_b}: no usable pairs (matching names, same sizes)")
    return pairs


def split_pairs(pairs: list[Pair]) -> tuple[list[Pair], list[Pair]]:
    """The fixed split of pairs without a test folder: every 5th (sorted by name, starting
    with the 5th; at least the last one) is held out, as superres splits a user folder."""
    if len(pairs) < 2:
        raise DataError(f"need at least 2 pairs to hold one out for evaluation (found "
                        f"{len(pairs)})")
    test_idx = set(range(4, len(pairs), 5)) or {len(pairs) - 1}
    return ([p for i, p in enumerate(pairs) if i not in test_idx],
            [p for i, p in enumerate(pairs) if i in test_idx])


def load_pairs(config: Img2ImgConfig, warn: Warn = warn_stderr
               ) -> tuple[list[Pair], list[Pair]]:
    """Training and held-out pairs for a config, validated: every training pair holds a crop,
    every held-out pair is big enough to score (DataError naming the file otherwise)."""
    data, data_a, data_b = config.data, config.data_a, config.data_b
    direction, crop = config.direction, config.crop_size
    if data is not None:
        data = Path(data)
        if not data.is_dir():
            raise DataError(f"{data}: no such folder")
        train_dir = data / "train"
        test_dir = next((data / n for n in ("test", "val") if (data / n).is_dir()), None)
        if not train_dir.is_dir() or test_dir is None:
            raise DataError(f"{data}: expected aligned A|B images in train/ and test/ (or val/) "
                            f"subfolders")
        train = load_aligned(train_dir, direction, warn)
        test = load_aligned(test_dir, direction, warn)
    elif data_a is not None and data_b is not None:
        train, test = split_pairs(load_two_folders(Path(data_a), Path(data_b), direction, warn))
    else:
        photos_train, photos_test = default_photos()
        train = task_pairs(config.task, photos_train)
        test = task_pairs(config.task, photos_test)
    for p in train:
        h, w = p.source.shape[-2:]
        if min(h, w) < crop:
            raise DataError(f"{p.name}: image is {w}x{h}, smaller than the {crop}-pixel training "
                            f"crop (use a smaller --crop-size or remove it)")
    for p in test:
        h, w = p.source.shape[-2:]
        if min(h, w) < MIN_TEST_SIDE:
            raise DataError(f"{p.name}: held-out image is {w}x{h}, smaller than the "
                            f"{MIN_TEST_SIDE} pixels needed to score it")
    return train, test


# ---------------------------------------------------------------------- training crops

class PairSource:
    """Random aligned crops of (source, target) pairs with random horizontal flips (pix2pix's
    augmentation), as a core data source: the target is ``real``, the source is both the
    generator's input and the critic's condition.

    Every random choice is drawn from the trainer's generator, so a resumed run sees the same
    batches. Each image is chosen with equal probability (one big photo does not dominate);
    of ``candidates`` random positions the crop with the most textured target is kept.
    """

    def __init__(self, pairs: list[Pair], crop: int, candidates: int = 2,
                 memory_format: torch.memory_format = torch.contiguous_format) -> None:
        self.pairs = pairs
        self.crop = crop
        self.candidates = max(1, candidates)
        #: The batches' layout (the networks' own: channels_last in the plugin).
        self.memory_format = memory_format

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        c, k = self.crop, self.candidates
        which = torch.randint(0, len(self.pairs), (batch_size,), generator=generator)
        u = torch.rand(batch_size, k, 2, generator=generator)
        flips = torch.randint(0, 2, (batch_size,), generator=generator)
        sources, targets = [], []
        for i in range(batch_size):
            pair = self.pairs[int(which[i])]
            h, w = pair.target.shape[-2:]
            corners = [(int(a * (h - c + 1)), int(b * (w - c + 1))) for a, b in u[i].tolist()]
            y, x = max(corners, key=lambda yx: float(
                pair.target[:, yx[0]:yx[0] + c, yx[1]:yx[1] + c].std()))
            s, t = pair.source[:, y:y + c, x:x + c], pair.target[:, y:y + c, x:x + c]
            if flips[i]:
                s, t = s.flip(-1), t.flip(-1)
            sources.append(s)
            targets.append(t)
        source = torch.stack(sources).contiguous(memory_format=self.memory_format)
        target = torch.stack(targets).contiguous(memory_format=self.memory_format)
        return Batch(real=target, gen_input=source, cond=source)

"""Image helpers shared by the image plugins (super-resolution, image-to-image translation).

The trainer never imports this module; plugins do. It holds what two image plugins need alike:

- reading images of any mode (grey, RGBA, 16-bit, palette) as RGB floats in [0, 1], folders of
  them with unreadable files skipped by name, and writing results atomically;
- the embedded default photographs (inside the scikit-image and scikit-learn wheels) and their
  fixed train / held-out split, so that no plugin trains on another's test photos;
- tiled inference with overlap for images larger than memory (or than a network likes);
- the refusals every ``apply`` shares (never over an input, never over a file without
  ``overwrite``, no two inputs to one output);
- metrics: PSNR / SSIM (kornia) on the Y channel or on RGB, the high-frequency energy ratio, and
  two sliced Wasserstein distances between sets of images: ``sliced_wasserstein`` by ProGAN's
  protocol (comparable with published SWDs) and ``sliced_wasserstein_paired`` (the same patch
  positions in an output and its real target: no sampling noise, for aligned outputs).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from ..errors import DataError
from ..files import atomic_file

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


def warn_stderr(msg: str) -> None:
    """Default warning sink: one line on stderr (a run passes its context.echo instead)."""
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (or its type name): what a warning shows."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# ---------------------------------------------------------------------- reading, writing

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


def load_folder(folder: Path, warn: Warn = warn_stderr) -> list[Photo]:
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
            warn(f"skipping unreadable image {path}: {first_line(exc)}")
    if not photos:
        raise DataError(f"{folder}: none of the {len(files)} image files could be read")
    return photos


def save_image(img: Tensor, path: Path) -> Path:
    """Write an RGB [3,H,W] image in [0,1] atomically (8-bit; format from the suffix)."""
    from PIL import Image

    arr = (img.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy())
    image_format = Image.registered_extensions()[path.suffix.lower()]
    with atomic_file(path) as fh:
        Image.fromarray(arr).save(fh, format=image_format)
    return path


# ---------------------------------------------------------------------- embedded photos

def _default_photo(source: str, name: str) -> Photo:
    if source == "skimage":
        import skimage.data

        if name.startswith("motorcycle_"):  # stereo_motorcycle() gives (left, right, disparity)
            arr = skimage.data.stereo_motorcycle()[0 if name.endswith("left") else 1]
        else:
            arr = getattr(skimage.data, name)()
        rgb = to_rgb_float(np.asarray(arr)).transpose(2, 0, 1)
        return Photo(name, torch.from_numpy(rgb.copy()))
    from sklearn.datasets import load_sample_image

    return Photo(name.removesuffix(".jpg"),
                 torch.from_numpy(to_rgb_float(load_sample_image(name)).transpose(2, 0, 1).copy()))


@lru_cache(maxsize=32)
def _embedded(source: str, name: str) -> Photo:
    # Decoded once per process (all eleven take 4 s on one core; tests and benchmarks run many
    # runs in one process). The tensor is shared: callers treat it as read-only.
    return _default_photo(source, name)


def default_photos(train: Sequence[tuple[str, str]] | None = None,
                   test: Sequence[tuple[str, str]] | None = None
                   ) -> tuple[list[Photo], list[Photo]]:
    """The embedded (train, held-out) photos: ``DEFAULT_TRAIN`` and ``DEFAULT_TEST``, or the
    (source, name) keys given (a plugin or benchmark may pass its own selection)."""
    train = DEFAULT_TRAIN if train is None else train
    test = DEFAULT_TEST if test is None else test
    return ([Photo(p.name, p.image) for p in (_embedded(*k) for k in train)],
            [Photo(p.name, p.image) for p in (_embedded(*k) for k in test)])


def split_user_photos(photos: list[Photo]) -> tuple[list[Photo], list[Photo]]:
    """Fixed split of a user folder without --test-data: every 5th image (sorted by path,
    starting with the 5th; at least the last one) is held out."""
    if len(photos) < 2:
        raise DataError(f"need at least 2 images to hold one out for evaluation (found "
                        f"{len(photos)}); or pass --test-data")
    test_idx = set(range(4, len(photos), 5)) or {len(photos) - 1}
    return ([p for i, p in enumerate(photos) if i not in test_idx],
            [p for i, p in enumerate(photos) if i in test_idx])


# ---------------------------------------------------------------------- tiled inference

@torch.no_grad()
def apply_tiled(model: Callable[[Tensor], Tensor], x: Tensor, scale: int = 1, tile: int = 128,
                overlap: int = 20, multiple: int = 1) -> Tensor:
    """model(x) computed tile by tile: x [B,C,h,w] -> [B,C',h*scale,w*scale], clamped to [0,1].

    Each tile is run with ``overlap`` extra input pixels of context on every side and only its
    centre is kept. When the overlap covers the model's receptive radius the stitched result
    equals the untiled one (up to float rounding). ``multiple``: the model needs input sides
    divisible by it (a U-Net of depth d: 2**d); each window is then padded by replication up
    to the next multiple and the padding cropped off the output.
    """
    if tile < 1 or overlap < 0 or multiple < 1:
        raise ValueError(f"tile and multiple must be >= 1 and overlap >= 0, got "
                         f"{tile}, {multiple}, {overlap}")
    b, _, h, w = x.shape
    out: Tensor | None = None
    for y0 in range(0, h, tile):
        y1 = min(y0 + tile, h)
        ya, yb = max(0, y0 - overlap), min(h, y1 + overlap)
        for x0 in range(0, w, tile):
            x1 = min(x0 + tile, w)
            xa, xb = max(0, x0 - overlap), min(w, x1 + overlap)
            window = x[..., ya:yb, xa:xb]
            if multiple > 1:
                ph, pw = -window.shape[-2] % multiple, -window.shape[-1] % multiple
                if ph or pw:
                    window = torch.nn.functional.pad(window, (0, pw, 0, ph), mode="replicate")
            y = model(window)
            if out is None:
                out = x.new_empty(b, y.shape[1], h * scale, w * scale)
            out[..., y0 * scale:y1 * scale, x0 * scale:x1 * scale] = y[
                ..., (y0 - ya) * scale:(y1 - ya) * scale, (x0 - xa) * scale:(x1 - xa) * scale]
    assert out is not None
    return out.clamp_(0.0, 1.0)


# ---------------------------------------------------------------------- apply's refusals

def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed; DataError if that fails or it is not writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{folder}: cannot create output folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise DataError(f"{folder}: output folder is not writable")


def check_jobs(jobs: list[tuple[Path, Path]], overwrite: bool) -> None:
    """Refuse, before anything is written, outputs that would replace an input, collide with
    each other (a.png and a.jpg -> a.png), or replace an existing file without ``overwrite``."""
    inputs = {src.resolve() for src, _ in jobs}
    seen: dict[Path, Path] = {}
    for src, dst in jobs:
        target = dst.resolve()
        if target in inputs:
            raise DataError(f"output {dst} is an input image; choose another output")
        if target in seen:
            raise DataError(f"{seen[target]} and {src} would both be written to {dst}; "
                            f"rename one of them")
        seen[target] = src
        if dst.exists() and not overwrite:
            raise DataError(f"{dst} already exists; pass --force to overwrite it")


def apply_to_images(input: Path, output: Path, transform: Callable[[Tensor], Tensor],
                    suffix: str, overwrite: bool = False, warn: Warn | None = None
                    ) -> list[Path]:
    """Run ``transform`` (an RGB image [3, H, W] in [0, 1] -> an image) on one file (OUTPUT a
    file, or a folder that gets ``<stem><suffix>.png``) or on every image of a folder,
    recursively (OUTPUT a folder mirroring INPUT, PNG files). Everything is checked before the
    first file is written (``check_jobs``, ``check_writable``); unreadable images in a folder
    are skipped with a warning. Returns the files written."""
    warn = warn or warn_stderr
    input, output = Path(input), Path(output)
    if not input.exists():
        raise DataError(f"{input}: no such file or folder")
    if input.is_file():
        if output.is_dir():
            output = output / f"{input.stem}{suffix}.png"
        if output.suffix.lower() not in EXTENSIONS:
            raise DataError(f"{output}: output must end in one of {', '.join(EXTENSIONS)}")
        jobs = [(input, output)]
    else:
        files = find_images(input)
        if not files:
            raise DataError(f"{input}: no images found (png, jpg, jpeg, bmp, tif)")
        jobs = [(f, output / f.relative_to(input).with_suffix(".png")) for f in files]
    check_jobs(jobs, overwrite)
    check_writable(output.parent if input.is_file() else output)
    written = []
    for src, dst in jobs:
        try:
            img = read_image(src)
        except (OSError, ValueError, SyntaxError) as exc:
            if len(jobs) == 1:  # one named file: an error, not a warning and then an error
                raise DataError(f"{src}: unreadable image ({first_line(exc)})") from None
            warn(f"skipping unreadable image {src}: {first_line(exc)}")
            continue
        result = transform(img)
        dst.parent.mkdir(parents=True, exist_ok=True)
        written.append(save_image(result, dst))
    if not written:
        raise DataError(f"{input}: none of the {len(jobs)} image files could be read")
    return written


def comparison_stems(names: list[str]) -> list[str]:
    """File-name stems for per-image PNGs of images named by their relative paths: folders
    stay in the stem (a/x.png and b/x.png must not share a file), and so does the extension
    when two names differ only there (x.png, x.jpg)."""
    def flat(name: str) -> str:
        return name.replace("/", "_").replace("\\", "_")

    stems = [flat(str(Path(n).with_suffix(""))) for n in names]
    counts = Counter(stems)
    return [stem if counts[stem] == 1 else flat(n).replace(".", "_")
            for stem, n in zip(stems, names)]


# ---------------------------------------------------------------------- PSNR, SSIM, sharpness

def y_channel(rgb: Tensor) -> Tensor:
    """The BT.601 studio-swing luma the SR papers use (MATLAB's rgb2ycbcr), in [16/255, 235/255].

    kornia's ``rgb_to_ycbcr`` gives full-range Y = 0.299R + 0.587G + 0.114B; the papers'
    Y = (16 + 65.481R + 128.553G + 24.966B) / 255 is exactly (16 + 219 Y_full) / 255.
    """
    from kornia.color import rgb_to_ycbcr

    return (16.0 + 219.0 * rgb_to_ycbcr(rgb)[..., :1, :, :]) / 255.0


def _quantized(a: Tensor, b: Tensor, border: int, luma: bool) -> tuple[Tensor, Tensor]:
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    a, b = (t if t.dim() == 4 else t.unsqueeze(0) for t in (a, b))
    # Round to 8-bit as saved images would be, then crop the border (the papers' protocol).
    a, b = (torch.round(t.clamp(0, 1) * 255) / 255 for t in (a.double(), b.double()))
    if luma:
        a, b = y_channel(a), y_channel(b)
    if border > 0:
        a, b = (t[..., border:-border, border:-border] for t in (a, b))
    return a, b


def psnr_y(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """PSNR (dB) on the Y channel of RGB images in [0, 1], ``border`` pixels cropped."""
    from kornia.metrics import psnr

    y_sr, y_hr = _quantized(sr, hr, border, luma=True)
    return float(psnr(y_sr, y_hr, max_val=1.0))


def ssim_y(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """SSIM on the Y channel (Wang et al.: 11x11 Gaussian window, sigma 1.5, valid region)."""
    from kornia.metrics import ssim

    y_sr, y_hr = _quantized(sr, hr, border, luma=True)
    return float(ssim(y_sr, y_hr, window_size=11, max_val=1.0, padding="valid").mean())


def psnr_rgb(x: Tensor, target: Tensor) -> float:
    """PSNR (dB) over all three RGB channels of 8-bit-rounded images in [0, 1] (colour errors
    count, which the Y channel would hide)."""
    from kornia.metrics import psnr

    a, b = _quantized(x, target, 0, luma=False)
    return float(psnr(a, b, max_val=1.0))


def ssim_rgb(x: Tensor, target: Tensor) -> float:
    """SSIM (11x11 Gaussian window, sigma 1.5, valid region) averaged over the RGB channels."""
    from kornia.metrics import ssim

    a, b = _quantized(x, target, 0, luma=False)
    return float(ssim(a, b, window_size=11, max_val=1.0, padding="valid").mean())


def hf_energy(rgb: Tensor, border: int = 0) -> float:
    """Mean squared Laplacian of the Y channel: how much fine texture an image carries."""
    from kornia.filters import laplacian

    y = y_channel(rgb.double() if rgb.dim() == 4 else rgb.double().unsqueeze(0))
    lap = laplacian(y, kernel_size=3)
    if border > 0:
        lap = lap[..., border:-border, border:-border]
    return float(lap.pow(2).mean())


def hf_ratio(sr: Tensor, hr: Tensor, border: int = 0) -> float:
    """High-frequency energy of an output over that of its reference: 1 = as sharp as the
    original, < 1 blurrier."""
    return hf_energy(sr, border) / max(hf_energy(hr, border), 1e-20)


# ---------------------------------------------------------------------- sliced Wasserstein

def laplacian_levels(image: Tensor, min_size: int = 16) -> list[Tensor]:
    """The Laplacian pyramid of ``sliced_wasserstein_paired``, of one image [C,H,W] (or
    [1,C,H,W]) down to ``min_size`` pixels: band-pass levels G_i - up(G_{i+1}), then the
    coarsest Gaussian level.

    Built from kornia's ``pyrdown`` / ``pyrup`` (the 5-tap binomial blur, but bilinear resampling
    where ProGAN subsamples and inserts zeros: see ``progan_pyramid``) by hand,
    because kornia's ``build_laplacian_pyramid`` reflect-pads any image whose sides are not
    powers of two up to the next power of two: a 451-pixel photo would gain 61 mirrored
    columns, whose patches are not the image's."""
    from kornia.geometry.transform import pyrdown, pyrup

    g = image if image.dim() == 4 else image.unsqueeze(0)
    levels = []
    while min(g.shape[-2:]) // 2 >= min_size:
        h, w = g.shape[-2:]
        g = g[..., : h - h % 2, : w - w % 2]  # even sides, so up(down(g)) has g's size
        low = pyrdown(g)
        levels.append(g - pyrup(low))
        g = low
    levels.append(g)
    return levels


def _descriptors(level: Tensor, positions: Tensor, patch: int) -> Tensor:
    """patch x patch neighbourhoods of a [1,C,H,W] level at top-left ``positions`` [n, 2],
    flattened to [n, C*patch*patch]."""
    dy = torch.arange(patch)
    rows = (positions[:, 0, None] + dy)[:, :, None]
    cols = (positions[:, 1, None] + dy)[:, None, :]
    return level[0][:, rows, cols].permute(1, 0, 2, 3).reshape(len(positions), -1)


def sliced_wasserstein_paired(fakes: Sequence[Tensor], reals: Sequence[Tensor],
                              patches: int = 128, patch: int = 7, directions: int = 512,
                              min_size: int = 16, seed: int = 0, per_image: bool = False
                              ) -> list[float] | tuple[list[float], list[list[float]]]:
    """The *paired* sliced Wasserstein distance between an aligned set of outputs and their real
    targets, one value ×10³ per Laplacian level (finest first); the headline is their mean.

    ProGAN's distance (7×7 neighbourhoods, 128 per image per level, each colour channel of each
    set normalised by that set's own statistics, 512 random unit directions, sorted projections,
    mean absolute difference) with two changes that suit outputs aligned with a target
    (img2img, superres): the same random positions are drawn in ``fakes[i]`` and ``reals[i]``,
    which must have the same size, so identical sets give exactly 0 and the sampling noise of
    two independent draws is gone; and kornia's pyramid (``laplacian_levels``). Its values are
    therefore lower than, and not comparable with, published SWDs: ``sliced_wasserstein`` is
    ProGAN's protocol. With ``per_image`` it also returns each pair's own levels (its 128
    patches per level against its real image's), from the same patches.

    Hand-written: the pyramid walk (see ``laplacian_levels``), the patch sampling and the
    per-channel normalisation, none of which POT does. The distance itself is POT's
    ``ot.sliced_wasserstein_distance`` with ``p=1``: mean over uniformly random unit directions
    of the 1-D W1 between the projections, which with equal sample counts is exactly ProGAN's
    mean |sorted difference| (POT's default p=2 would take a root of mean squares instead).
    """
    import ot

    if len(fakes) != len(reals) or not fakes:
        raise ValueError("need the same positive number of generated and real images")
    gen = torch.Generator().manual_seed(seed)
    # float32 pyramids: kornia's float64 convolutions are ~10x slower on a CPU.
    pyramids_f = [laplacian_levels(f.float(), min_size) for f in fakes]
    pyramids_r = [laplacian_levels(r.float(), min_size) for r in reals]
    n_levels = min(len(p) for p in pyramids_f + pyramids_r)

    def swd(a: Tensor, b: Tensor, level: int) -> float:
        a, b = _normalised(a.double(), patch), _normalised(b.double(), patch)
        return 1e3 * float(ot.sliced_wasserstein_distance(
            a.numpy(), b.numpy(), n_projections=directions, p=1, seed=seed + level))

    result: list[float] = []
    each: list[list[float]] = [[] for _ in fakes]
    for level in range(n_levels):
        desc_f, desc_r = [], []
        for i, (pf, pr) in enumerate(zip(pyramids_f, pyramids_r)):
            lf, lr = pf[level], pr[level]
            if lf.shape != lr.shape:
                raise ValueError(f"image sizes differ: {tuple(lf.shape)} vs {tuple(lr.shape)}")
            h, w = lf.shape[-2:]
            pos = torch.stack([torch.randint(0, h - patch + 1, (patches,), generator=gen),
                               torch.randint(0, w - patch + 1, (patches,), generator=gen)], 1)
            desc_f.append(_descriptors(lf, pos, patch))
            desc_r.append(_descriptors(lr, pos, patch))
            if per_image:
                each[i].append(swd(desc_f[-1], desc_r[-1], level))
        result.append(swd(torch.cat(desc_f), torch.cat(desc_r), level))
    return (result, each) if per_image else result


#: ProGAN's 5-tap binomial filter [1, 4, 6, 4, 1] / 16 in both directions (= cv2.pyrDown's).
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _binomial(x: Tensor, gain: float = 1.0) -> Tensor:
    """x [B,C,H,W] filtered by the 5x5 binomial kernel times ``gain``, borders mirrored without
    repeating the edge pixel (torch's 'reflect' = scipy.ndimage's 'mirror', ProGAN's choice)."""
    k = torch.outer(_BINOMIAL, _BINOMIAL).to(x.dtype) * gain
    c = x.shape[1]
    return torch.nn.functional.conv2d(torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect"),
                                      k.expand(c, 1, 5, 5), groups=c)


def pyr_down(x: Tensor) -> Tensor:
    """ProGAN's ``pyr_down``: binomial blur, then every other row and column."""
    return _binomial(x)[..., ::2, ::2]


def pyr_up(x: Tensor) -> Tensor:
    """ProGAN's ``pyr_up``: zeros inserted between samples (twice the size), then the binomial
    blur with gain 4 (each output pixel sees a quarter of the taps)."""
    b, c, h, w = x.shape
    up = x.new_zeros(b, c, 2 * h, 2 * w)
    up[..., ::2, ::2] = x
    return _binomial(up, gain=4.0)


def progan_levels(size: int, min_size: int = 16) -> int:
    """How many pyramid levels ProGAN uses for images whose smaller side is ``size``: one per
    resolution size, size/2, ... down to ``min_size`` (64 px: 64, 32, 16 = 3 levels)."""
    count = 0
    while size >= min_size:
        count, size = count + 1, size // 2
    return count


def progan_pyramid(image: Tensor, levels: int) -> list[Tensor]:
    """ProGAN's Laplacian pyramid of one image [C,H,W] (or [1,C,H,W]), finest first: band-pass
    levels G_i - pyr_up(G_{i+1}), then the coarsest Gaussian level G_{levels-1}.

    ProGAN's images are squares of a power of two; a side that is odd at some level (a 451-px
    photo) loses its last row or column there so that pyr_up(pyr_down(g)) has g's size. For
    power-of-two sides this is exactly ProGAN's pyramid."""
    g = image if image.dim() == 4 else image.unsqueeze(0)
    out = []
    for _ in range(levels - 1):
        h, w = g.shape[-2:]
        g = g[..., : h - h % 2, : w - w % 2]
        low = pyr_down(g)
        out.append(g - pyr_up(low))
        g = low
    out.append(g)
    return out


def _progan_descriptors(level: np.ndarray, count: int, patch: int,
                        rng: np.random.RandomState) -> np.ndarray:
    """``count`` random patch x patch neighbourhoods of one level [C,H,W] as [count, C, patch,
    patch]. Centres as ProGAN draws them (columns first, then rows, each uniform over the
    centres whose neighbourhood fits), and laid out as ProGAN lays them (column offset before
    row offset), so that the same random state picks the same numbers."""
    half = patch // 2
    _, h, w = level.shape
    cols = rng.randint(half, w - half, size=count)
    rows = rng.randint(half, h - half, size=count)
    offsets = np.arange(-half, half + 1)
    r = rows[:, None, None] + offsets[None, None, :]  # [count, 1 (col offset), patch (row)]
    c = cols[:, None, None] + offsets[None, :, None]  # [count, patch (col offset), 1]
    return level[:, r, c].transpose(1, 0, 2, 3)


def _progan_normalised(desc: np.ndarray) -> np.ndarray:
    """ProGAN's ``finalize_descriptors``: each colour channel of a set of [N, C, p, p]
    descriptors to zero mean and unit (population) std over the whole set, flattened to [N, C*p*p].
    A flat channel (std 0) stays 0 instead of becoming NaN."""
    desc = desc - desc.mean(axis=(0, 2, 3), keepdims=True)
    std = desc.std(axis=(0, 2, 3), keepdims=True)
    return (desc / np.where(std > 0, std, 1.0)).reshape(len(desc), -1)


def _sliced_w1(a: np.ndarray, b: np.ndarray, repeats: int, per_repeat: int,
               rng: np.random.RandomState) -> float:
    """ProGAN's distance between two equal-size point sets: ``repeats`` times ``per_repeat``
    Gaussian directions normalised to unit length, both sets projected and sorted, the mean
    absolute difference of the sorted projections (the 1-D W1), averaged over all directions."""
    results = []
    for _ in range(repeats):
        dirs = rng.randn(a.shape[1], per_repeat)
        dirs /= np.sqrt((dirs ** 2).sum(axis=0, keepdims=True))
        pa, pb = np.sort(a @ dirs, axis=0), np.sort(b @ dirs, axis=0)
        results.append(np.abs(pa - pb).mean())
    return float(np.mean(results))


def sliced_wasserstein(fakes: Sequence[Tensor], reals: Sequence[Tensor], patches: int = 128,
                       patch: int = 7, repeats: int = 4, per_repeat: int = 128,
                       min_size: int = 16, seed: int = 0) -> list[float]:
    """ProGAN's sliced Wasserstein distance (Karras et al. 2018, ``metrics/sliced_wasserstein.py``)
    between a set of generated and a set of real images, one value ×10³ per Laplacian level
    (finest first); the published headline is their mean.

    Protocol: ProGAN's own Laplacian pyramid (5-tap binomial filter, subsampling; zero insertion
    and gain 4 on the way up) with one level per resolution down to 16 px; ``patches`` random
    7×7 neighbourhoods per image per level, drawn *independently* in the real and the generated
    images; each colour channel of each set's descriptors normalised to zero mean and unit std
    by that set's own statistics; ``repeats`` × ``per_repeat`` (4 × 128) random unit directions,
    sorted projections, mean absolute difference. Two independent draws of the same images do
    not give 0 but a small-sample floor (about 50 per level for eight 64-px images; it shrinks
    as more images are pooled); only differences well above it mean something. For outputs
    aligned with targets, ``sliced_wasserstein_paired`` removes that noise.

    The images may differ in size (not in number: ProGAN compares equal patch counts); levels
    are counted from the smallest side of any of them. Randomness is numpy's legacy
    ``RandomState(seed)`` (ProGAN draws from numpy's global legacy generator), consumed in this
    order: every real image, level by level, column then row positions; the same for the
    generated images; then per level ``repeats`` blocks of directions. Fed the same images one
    per minibatch in this order, ProGAN's own functions give the same values to float32
    rounding (7e-7 relative, checked by hand); we compute in float64 (ProGAN: float32).
    """
    if len(fakes) != len(reals) or not fakes:
        raise ValueError("need the same positive number of generated and real images")
    levels = progan_levels(min(min(t.shape[-2:]) for t in [*fakes, *reals]), min_size)
    if levels == 0:
        raise ValueError(f"images need sides of at least {min_size} px for the SWD")
    rng = np.random.RandomState(seed)

    def descriptors(images: Sequence[Tensor]) -> list[np.ndarray]:
        per_level: list[list[np.ndarray]] = [[] for _ in range(levels)]
        for img in images:
            for k, level in enumerate(progan_pyramid(img.detach().cpu().double(), levels)):
                per_level[k].append(_progan_descriptors(level[0].numpy(), patches, patch, rng))
        return [_progan_normalised(np.concatenate(d)) for d in per_level]

    desc_r = descriptors(reals)
    desc_f = descriptors(fakes)
    return [1e3 * _sliced_w1(r, f, repeats, per_repeat, rng) for r, f in zip(desc_r, desc_f)]


def _normalised(desc: Tensor, patch: int) -> Tensor:
    """Each colour channel of a descriptor set to zero mean and unit std (ProGAN's
    ``finalize_descriptors``): overall brightness and contrast do not count, structure does."""
    n = desc.shape[0]
    d = desc.view(n, -1, patch * patch)
    d = d - d.mean(dim=(0, 2), keepdim=True)
    d = d / d.std(dim=(0, 2), keepdim=True).clamp_min(1e-12)
    return d.reshape(n, -1)


def image_grid(rows: Sequence[Sequence[Tensor]], gap: int = 2) -> np.ndarray:
    """Images ``[3, H, W]`` in [0, 1], row by row, as one ``H x W x 3`` uint8 array on white
    (a preview: LR | output | target side by side, one row per crop)."""
    h = max(int(t.shape[-2]) for row in rows for t in row)
    w = max(int(t.shape[-1]) for row in rows for t in row)
    cols = max(len(row) for row in rows)
    out = np.full((len(rows) * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            arr = (img.detach().float().clamp(0, 1).mul(255).round().byte()
                   .permute(1, 2, 0).cpu().numpy())
            y, x = i * (h + gap), j * (w + gap)
            out[y:y + arr.shape[0], x:x + arr.shape[1]] = arr
    return out

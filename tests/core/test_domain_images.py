"""The image helpers shared by the image plugins (wgan_core.domains.images)."""

import numpy as np
import pytest
import torch

from wgan_core.domains.images import (apply_tiled, laplacian_levels, progan_pyramid, psnr_rgb,
                                      pyr_down, pyr_up, sliced_wasserstein,
                                      sliced_wasserstein_paired, ssim_rgb)


def _images(n: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    # smooth random images with some structure at every scale
    base = torch.rand(n, 3, 8, 8, generator=g)
    up = torch.nn.functional.interpolate(base, size=(64, 64), mode="bilinear")
    return list((up + 0.1 * torch.rand(n, 3, 64, 64, generator=g)).clamp(0, 1))


def test_paired_swd_is_zero_for_identical_sets_and_grows_with_a_shift() -> None:
    reals = _images(4, 0)
    levels = sliced_wasserstein_paired(reals, reals)
    assert len(levels) == 3  # 64, 32 (band-pass) and the 16-px Gaussian level
    assert max(levels) == 0.0
    # a growing shift of the patch distribution: more and more noise on every image
    g = torch.Generator().manual_seed(1)
    noise = [torch.randn(3, 64, 64, generator=g) for _ in reals]
    swd = [sum(sliced_wasserstein_paired([r + s * e for r, e in zip(reals, noise)], reals)) / 3
           for s in (0.02, 0.1, 0.3)]
    assert 0 < swd[0] < swd[1] < swd[2]
    # each set is normalised by its own statistics (ProGAN): a brightness offset is not a
    # difference in local structure
    offset = sliced_wasserstein_paired([r + 0.2 for r in reals], reals)
    assert max(offset) < 0.01 * swd[0]  # float32 rounding only


# ---------------------------------------------------------------------- ProGAN's SWD

def _transcribed_progan_swd(fakes: list[np.ndarray], reals: list[np.ndarray], seed: int
                            ) -> list[float]:
    """ProGAN's SWD transcribed to plain numpy from its published description (Karras et al.
    2018, appendix D, and the structure of its ``metrics/sliced_wasserstein.py``), for square
    power-of-two images [C,H,W], drawing from one ``RandomState`` in the order
    ``sliced_wasserstein`` documents. A second, independent implementation: scipy's convolution
    instead of torch's, loops instead of fancy indexing."""
    from scipy.ndimage import convolve

    taps = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    kernel = np.outer(taps, taps)[None]  # [1, 5, 5]: channels kept apart

    def down(g: np.ndarray) -> np.ndarray:
        return convolve(g, kernel, mode="mirror")[:, ::2, ::2]

    def up(g: np.ndarray) -> np.ndarray:
        z = np.zeros((g.shape[0], 2 * g.shape[1], 2 * g.shape[2]))
        z[:, ::2, ::2] = g
        return convolve(z, 4 * kernel, mode="mirror")

    n_levels, side = 0, reals[0].shape[1]
    while side >= 16:
        n_levels, side = n_levels + 1, side // 2
    rng = np.random.RandomState(seed)

    def pyramid(img: np.ndarray) -> list[np.ndarray]:
        gauss = [img]
        for _ in range(n_levels - 1):
            gauss.append(down(gauss[-1]))
        return [g - up(nxt) for g, nxt in zip(gauss, gauss[1:])] + [gauss[-1]]

    def descriptors(images: list[np.ndarray]) -> list[np.ndarray]:
        sets: list[list[np.ndarray]] = [[] for _ in range(n_levels)]
        for img in images:
            for k, level in enumerate(pyramid(img)):
                _, h, w = level.shape
                xs = rng.randint(3, w - 3, size=128)  # centres: columns, then rows
                ys = rng.randint(3, h - 3, size=128)
                for x, y in zip(xs, ys):
                    # ProGAN's element order: channel, column offset, row offset
                    sets[k].append(level[:, y - 3:y + 4, x - 3:x + 4].transpose(0, 2, 1))
        out = []
        for d in sets:
            d = np.stack(d)
            d = (d - d.mean(axis=(0, 2, 3), keepdims=True)) / d.std(axis=(0, 2, 3), keepdims=True)
            out.append(d.reshape(len(d), -1))
        return out

    real_desc, fake_desc = descriptors(reals), descriptors(fakes)
    result = []
    for a, b in zip(real_desc, fake_desc):
        dists = []
        for _ in range(4):
            dirs = rng.randn(a.shape[1], 128)
            dirs = dirs / np.linalg.norm(dirs, axis=0)
            dists.append(np.mean(np.abs(np.sort(a @ dirs, 0) - np.sort(b @ dirs, 0))))
        result.append(1e3 * float(np.mean(dists)))
    return result


def test_progan_swd_equals_a_transcription_of_progans_algorithm() -> None:
    reals, fakes = _images(3, 0), _images(3, 1)
    ours = sliced_wasserstein(fakes, reals, seed=3)
    expected = _transcribed_progan_swd([f.double().numpy() for f in fakes],
                                       [r.double().numpy() for r in reals], seed=3)
    assert len(ours) == 3  # 64, 32 (band-pass) and the 16-px Gaussian level
    assert ours == pytest.approx(expected, rel=1e-6)
    assert sliced_wasserstein(fakes, reals, seed=4) != pytest.approx(ours, rel=1e-3)


def test_progan_pyramid_gain_and_reconstruction() -> None:
    # zero insertion keeps a quarter of the samples: gain 4 brings a flat image back exactly,
    # so its band-pass levels are 0
    flat = torch.full((1, 3, 32, 32), 0.7, dtype=torch.float64)
    torch.testing.assert_close(pyr_up(pyr_down(flat)), flat)
    img = torch.rand(3, 64, 64, dtype=torch.float64)
    levels = progan_pyramid(img, 3)
    assert [tuple(t.shape[-2:]) for t in levels] == [(64, 64), (32, 32), (16, 16)]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = band + pyr_up(rebuilt)
    torch.testing.assert_close(rebuilt[0], img)
    # a side that turns odd loses its last row/column at that level (ProGAN's sides never do)
    assert [tuple(t.shape[-2:]) for t in progan_pyramid(torch.rand(3, 36, 70), 2)] == \
        [(36, 70), (18, 35)]


def test_progan_swd_has_a_floor_paired_swd_has_none_and_blur_ranks_worse() -> None:
    from kornia.filters import gaussian_blur2d

    reals = _images(8, 0)
    floor = sliced_wasserstein(reals, reals)
    # independent patches of the same images: a small-sample floor well above 0 ...
    assert min(floor) > 10
    # ... where the paired variant, same positions in both, is exactly 0
    assert max(sliced_wasserstein_paired(reals, reals)) == 0.0
    # blurred images lose their fine structure: above the floor at the finest level, the more
    # so the stronger the blur
    def blurred(sigma: float) -> list[float]:
        return sliced_wasserstein([gaussian_blur2d(r[None], (7, 7), (sigma, sigma))[0]
                                   for r in reals], reals)

    mild, strong = blurred(0.7), blurred(1.5)
    assert floor[0] < mild[0] < strong[0]
    assert strong[0] > 1.8 * floor[0]
    assert np.mean(floor) < np.mean(strong)
    with pytest.raises(ValueError, match="same positive number"):
        sliced_wasserstein(reals[:2], reals)


def test_laplacian_levels_reconstruct_the_image() -> None:
    from kornia.geometry.transform import pyrup

    img = torch.rand(3, 64, 96)
    levels = laplacian_levels(img, min_size=16)
    assert [tuple(t.shape[-2:]) for t in levels] == [(64, 96), (32, 48), (16, 24)]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = band + pyrup(rebuilt)
    torch.testing.assert_close(rebuilt[0], img, atol=1e-5, rtol=0)


def test_tiles_pad_to_a_multiple_and_crop_back() -> None:
    calls = []

    def model(x: torch.Tensor) -> torch.Tensor:
        calls.append(tuple(x.shape[-2:]))
        return x * 0.5

    x = torch.rand(1, 3, 37, 50)
    out = apply_tiled(model, x, tile=16, overlap=4, multiple=8)
    torch.testing.assert_close(out, x * 0.5)
    assert all(h % 8 == 0 and w % 8 == 0 for h, w in calls)


def test_rgb_psnr_and_ssim() -> None:
    x = torch.rand(3, 32, 32)
    assert psnr_rgb(x, x) == pytest.approx(80, abs=1e-6) or psnr_rgb(x, x) > 60
    assert ssim_rgb(x, x) == pytest.approx(1.0)
    assert ssim_rgb(x, torch.rand(3, 32, 32)) < 0.2

"""The image helpers shared by the image plugins (wgan_core.domains.images)."""

import pytest
import torch

from wgan_core.domains.images import (apply_tiled, laplacian_levels, psnr_rgb, sliced_wasserstein,
                              ssim_rgb)


def _images(n: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    # smooth random images with some structure at every scale
    base = torch.rand(n, 3, 8, 8, generator=g)
    up = torch.nn.functional.interpolate(base, size=(64, 64), mode="bilinear")
    return list((up + 0.1 * torch.rand(n, 3, 64, 64, generator=g)).clamp(0, 1))


def test_swd_is_zero_for_identical_sets_and_grows_with_a_shift() -> None:
    reals = _images(4, 0)
    levels = sliced_wasserstein(reals, reals)
    assert len(levels) == 3  # 64, 32 (band-pass) and the 16-px Gaussian level
    assert max(levels) == 0.0
    # a growing shift of the patch distribution: more and more noise on every image
    g = torch.Generator().manual_seed(1)
    noise = [torch.randn(3, 64, 64, generator=g) for _ in reals]
    swd = [sum(sliced_wasserstein([r + s * e for r, e in zip(reals, noise)], reals)) / 3
           for s in (0.02, 0.1, 0.3)]
    assert 0 < swd[0] < swd[1] < swd[2]
    # each set is normalised by its own statistics (ProGAN): a brightness offset is not a
    # difference in local structure
    offset = sliced_wasserstein([r + 0.2 for r in reals], reals)
    assert max(offset) < 0.01 * swd[0]  # float32 rounding only


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

import math

import numpy as np
import pytest
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import structural_similarity

from wgan_core.domains.images import hf_ratio, psnr_y, ssim_y, y_channel


def test_y_channel_matches_matlab_rgb2ycbcr() -> None:
    rgb = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    ref = rgb2ycbcr(rgb[0].permute(1, 2, 0).numpy())[..., 0] / 255.0
    np.testing.assert_allclose(y_channel(rgb)[0, 0].numpy(), ref, atol=1e-12)


def test_psnr_known_value() -> None:
    # Uniform RGB offset of 10/255 -> Y offset of 219*10/255 /255, so
    # PSNR = 20 log10(255 * 255 / (219 * 10)) = 29.4512... dB.
    hr = torch.full((1, 3, 20, 20), 100 / 255)
    sr = torch.full((1, 3, 20, 20), 110 / 255)
    assert psnr_y(sr, hr, border=2) == pytest.approx(20 * math.log10(255 * 255 / 2190), abs=1e-6)


def test_border_is_cropped() -> None:
    hr = torch.rand(1, 3, 30, 30)
    sr = hr.clone()
    sr[..., :4, :] = 0  # damage only the 4-pixel top border
    assert psnr_y(sr, hr, border=0) < 30
    assert math.isinf(psnr_y(sr, hr, border=4))
    assert ssim_y(sr, hr, border=4) == pytest.approx(1.0)


def test_ssim_matches_skimage_gaussian_convention() -> None:
    g = torch.Generator().manual_seed(0)
    hr = torch.rand(1, 3, 48, 40, generator=g)
    sr = (hr + 0.1 * torch.randn(hr.shape, generator=g)).clamp(0, 1)
    y_sr = rgb2ycbcr(np.round(sr[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8))[..., 0]
    y_hr = rgb2ycbcr(np.round(hr[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8))[..., 0]
    b = 2
    ref = structural_similarity(y_hr[b:-b, b:-b] / 255, y_sr[b:-b, b:-b] / 255, data_range=1.0,
                                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert ssim_y(sr, hr, border=b) == pytest.approx(ref, abs=1e-4)
    assert 0.2 < ref < 0.95  # a case where a wrong window or range would show


def test_hf_ratio_orders_blur_below_sharp() -> None:
    hr = torch.rand(1, 3, 32, 32)
    blurred = torch.nn.functional.avg_pool2d(hr, 3, stride=1, padding=1)
    assert hf_ratio(hr, hr) == pytest.approx(1.0)
    assert hf_ratio(blurred, hr) < 0.5

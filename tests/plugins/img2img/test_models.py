import pytest
import torch

from wgan_plugins.img2img.models import PatchCritic, UNetGenerator, icnr_, unet_depth


@pytest.mark.parametrize("crop,depth,patches", [(32, 3, 2), (64, 4, 6)])
@pytest.mark.parametrize("norm,upsample", [("none", "transposed"), ("instance", "resize"),
                                          ("none", "pixelshuffle")])
def test_unet_and_critic_shapes(crop: int, depth: int, patches: int, norm: str,
                                upsample: str) -> None:
    g = UNetGenerator(unet_depth(crop), channels=4, norm=norm, upsample=upsample)
    assert g.depth == depth and g.multiple == 2 ** depth
    src = torch.rand(2, 3, crop, crop)
    out = g(src)
    assert out.shape == src.shape and 0 <= out.min() and out.max() <= 1
    c = PatchCritic(channels=4)
    # pix2pix's map: 30x30 on 256 px; here (crop/8 - 2) per side
    assert c.patch_map(out, src).shape == (2, 1, patches, patches)
    assert c(out, src).shape == (2,)
    # fully convolutional: any multiple of 2**depth, not only the crop
    assert g(torch.rand(1, 3, 2 * crop, 3 * crop)).shape == (1, 3, 2 * crop, 3 * crop)


def test_dropout_is_the_noise_in_training_only() -> None:
    g = UNetGenerator(4, channels=4)
    x = torch.rand(1, 3, 64, 64)
    assert not torch.equal(g.train()(x), g(x))
    assert torch.equal(g.eval()(x), g(x))


def test_critic_receptive_field_is_70_pixels() -> None:
    """The gradient of one interior patch score w.r.t. the input is non-zero exactly on a 70x70
    window (source and target alike)."""
    torch.manual_seed(0)
    c = PatchCritic(channels=2)
    x = torch.rand(1, 3, 160, 160, requires_grad=True)
    cond = torch.rand(1, 3, 160, 160, requires_grad=True)
    patch_map = c.patch_map(x, cond)
    patch_map[0, 0, 8, 8].backward()
    for grad in (x.grad, cond.grad):
        rows = grad.abs().sum(dim=(0, 1, 3)).nonzero().flatten()
        cols = grad.abs().sum(dim=(0, 1, 2)).nonzero().flatten()
        assert len(rows) == len(cols) == PatchCritic.receptive_field == 70
        assert rows.max() - rows.min() == cols.max() - cols.min() == 69
        assert (grad.abs().sum(dim=(0, 1))[rows.min():rows.max() + 1,
                                            cols.min():cols.max() + 1] > 0).all()


def test_icnr_starts_pixel_shuffle_as_nearest_upsampling() -> None:
    """ICNR: the four sub-pixel channels of each output channel start with one kernel, so at
    initialisation conv + PixelShuffle(2) is a conv followed by nearest x2: every 2x2 block of
    the output is constant (no checkerboard). Up to float rounding of identical sums."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(5, 4 * 3, 3, padding=1)
    icnr_(conv, 2)
    out = torch.nn.PixelShuffle(2)(conv(torch.randn(2, 5, 8, 8)))
    assert out.shape == (2, 3, 16, 16)
    corner = out[..., 0::2, 0::2]
    for dy, dx in ((0, 1), (1, 0), (1, 1)):
        assert torch.allclose(out[..., dy::2, dx::2], corner, atol=1e-6)
    # The same layer without ICNR is not block-constant: the test can fail.
    plain = torch.nn.Conv2d(5, 4 * 3, 3, padding=1)
    raw = torch.nn.PixelShuffle(2)(plain(torch.randn(2, 5, 8, 8)))
    assert not torch.allclose(raw[..., 0::2, 1::2], raw[..., 0::2, 0::2], atol=1e-3)


def test_chroma_critic_sees_colour_but_not_luma() -> None:
    """view="chroma": Cb and Cr are differences from Y, so a grey offset (the same on R, G and
    B) changes Y only: the score's directional derivative along (1, 1, 1) vanishes at every
    pixel, while along a colour direction it does not. The RGB critic sees both."""
    torch.manual_seed(0)
    cond = torch.rand(2, 3, 64, 64)
    chroma, rgb = PatchCritic(channels=4, view="chroma"), PatchCritic(channels=4)
    assert chroma.net[0].in_channels == 5 and rgb.net[0].in_channels == 6
    for critic, luma_blind in ((chroma, True), (rgb, False)):
        x = (torch.rand(2, 3, 64, 64) * 0.6 + 0.2).requires_grad_()
        (grad,) = torch.autograd.grad(critic(x, cond).sum(), x)
        along_grey = grad.sum(dim=1).abs().max()  # derivative along (1, 1, 1), per pixel
        along_red = grad[:, 0].abs().max()
        assert along_red > 0
        assert (along_grey <= 1e-5 * along_red) == luma_blind
    with pytest.raises(ValueError, match="critic view"):
        PatchCritic(view="lab")

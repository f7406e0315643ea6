"""pix2pix's U-Net generator and a Wasserstein 70x70 PatchGAN critic on (source, target) pairs."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wgan_core.models import Critic, Generator


def unet_depth(crop_size: int) -> int:
    """Down-sampling steps for a crop: the bottleneck is 4x4 at the training crop (64 px: 4).

    pix2pix's unet_256 goes down to 1x1; here two fewer steps, so that the innermost convs see
    image content rather than mostly padding, and the same weights transfer to the larger maps
    of full-size images at evaluation and in ``wgan apply``.
    """
    return max(2, int(math.log2(crop_size)) - 2)


#: What the critic sees of a target (``--critic-view``): all of it, or its chroma only.
CRITIC_VIEWS = ("rgb", "chroma")

#: The U-Net decoder's upsampling layers (``--upsample``).
UPSAMPLERS = ("transposed", "resize", "pixelshuffle")


def icnr_(conv: nn.Conv2d, scale: int) -> None:
    """ICNR initialisation (Aitken et al. 2017) of a conv that feeds ``PixelShuffle(scale)``:
    the ``scale**2`` output channels that shuffle into one channel start with the same kernel,
    so the layer starts as nearest-neighbour upsampling of an ordinary conv and has no
    checkerboard at initialisation. Written here because torch and kornia have no ICNR (fastai's
    ``icnr_init`` is the reference)."""
    out_channels, in_channels, kh, kw = conv.weight.shape
    sub = torch.empty(out_channels // scale**2, in_channels, kh, kw)
    nn.init.kaiming_uniform_(sub, a=math.sqrt(5))  # nn.Conv2d's own default initialisation
    with torch.no_grad():
        # PixelShuffle takes channels c*s^2 ... c*s^2 + s^2 - 1 into output channel c.
        conv.weight.copy_(sub.repeat_interleave(scale**2, dim=0))
        if conv.bias is not None:
            conv.bias.copy_(conv.bias[::scale**2].repeat_interleave(scale**2))


class UNetGenerator(Generator):
    """Source image [B,3,H,W] in [0,1] -> target image [B,3,H,W] in [0,1] (H, W multiples of
    ``2 ** depth``).

    pix2pix's U-Net (Isola et al. 2017): 4x4 stride-2 convs down with leaky ReLU, 4x4 stride-2
    transposed convs up with ReLU, each decoder level concatenated with the encoder level of the
    same size (the skip connections carry the source's layout straight to the output), widths
    doubling from ``channels`` to at most 8x, tanh output. The noise is dropout in the innermost
    decoder blocks (active in training only; evaluation and ``wgan apply`` are deterministic).
    ``norm``: "none" or "instance" after every inner conv (pix2pix's batch norm at batch 1 is
    instance norm; none keeps every output pixel independent of how the image was tiled).
    """

    latent_dim = None  # the input is data (the source image)

    def __init__(self, depth: int = 4, channels: int = 16, norm: str = "none",
                 dropout: float = 0.5, in_channels: int = 3, out_channels: int = 3,
                 upsample: str = "transposed") -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be at least 2, got {depth}")
        if norm not in ("none", "instance"):
            raise ValueError(f"unknown norm '{norm}'")
        if upsample not in UPSAMPLERS:
            raise ValueError(f"unknown upsample '{upsample}'")
        self.depth = depth
        widths = [channels * min(2 ** i, 8) for i in range(depth)]
        bias = norm == "none"  # a norm layer's shift makes the conv's bias redundant

        def up(c_in: int, c_out: int, with_bias: bool) -> list[nn.Module]:
            # pix2pix's 4x4 stride-2 transposed conv; nearest x2 then a 3x3 conv (Odena et al.
            # 2016: no uneven kernel overlap, so no checkerboard pattern); or a 3x3 conv to 4x
            # the channels then pixel shuffle, ICNR-initialised (Aitken et al. 2017)
            if upsample == "transposed":
                return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=with_bias)]
            if upsample == "pixelshuffle":
                conv = nn.Conv2d(c_in, 4 * c_out, 3, padding=1, bias=with_bias)
                icnr_(conv, 2)
                return [conv, nn.PixelShuffle(2)]
            return [nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv2d(c_in, c_out, 3, padding=1, bias=with_bias)]

        def normed(c: int) -> list[nn.Module]:
            return [nn.InstanceNorm2d(c, affine=True)] if norm == "instance" else []

        self.down = nn.ModuleList([nn.Conv2d(in_channels, widths[0], 4, 2, 1)])
        for i in range(1, depth):
            innermost = i == depth - 1  # the 1-pixel-deep end of pix2pix has no norm either
            self.down.append(nn.Sequential(
                nn.LeakyReLU(0.2), nn.Conv2d(widths[i - 1], widths[i], 4, 2, 1, bias=bias),
                *([] if innermost else normed(widths[i]))))
        # Decoder block i maps level i back to level i - 1; the innermost one sees only the
        # bottleneck, the others the concatenation [decoded, skip].
        dropped = set(range(max(1, depth - 4), depth - 1))  # pix2pix: 3 blocks inside the end
        self.up = nn.ModuleList()
        for i in range(depth - 1, 0, -1):
            c_in = widths[i] if i == depth - 1 else 2 * widths[i]
            self.up.append(nn.Sequential(
                nn.ReLU(), *up(c_in, widths[i - 1], bias),
                *normed(widths[i - 1]), *([nn.Dropout(dropout)] if i in dropped and dropout
                                          else [])))
        self.out = nn.Sequential(nn.ReLU(), *up(2 * widths[0], out_channels, True), nn.Tanh())

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (tiled inference pads up to it)."""
        return 2 ** self.depth

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        x = z * 2.0 - 1.0  # [0,1] -> [-1,1], the range the tanh output lives in
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.up:
            x = torch.cat([block(x), skips.pop()], dim=1)
        return (self.out(x) + 1.0) / 2.0


class PatchCritic(Critic):
    """pix2pix's 70x70 PatchGAN (``NLayerDiscriminator``, n_layers=3) as a Wasserstein critic.

    Input: the channel concatenation of source and target, so the critic judges whether the
    target fits *its* source. Three 4x4 stride-2 convs, a 4x4 stride-1 conv to 8x the width,
    a 4x4 stride-1 conv to one channel: each output sees a 70x70 window. No normalization (batch
    norm breaks the per-sample penalty; instance norm would let every patch see the whole
    image), leaky ReLU 0.2, no sigmoid. The score is the mean of the patch map: one unbounded
    real per sample, whose slope the gradient penalty holds. ``view="chroma"`` shows it the
    target's Cb and Cr only (colourization: the source already fixes the luma, which the L1
    loss then keeps alone).
    """

    receptive_field = 70

    def __init__(self, channels: int = 16, in_channels: int = 6, view: str = "rgb") -> None:
        super().__init__()
        if view not in CRITIC_VIEWS:
            raise ValueError(f"unknown critic view '{view}'")
        # view "chroma": the target enters as YCbCr's Cb and Cr only (two channels, not three)
        self.view = view
        if view == "chroma":
            in_channels -= 1
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 4 * c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * c, 8 * c, 4, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(8 * c, 1, 4, 1, 1))

    def patch_map(self, x: Tensor, cond: Tensor) -> Tensor:
        """The [B,1,h,w] map of patch scores of targets ``x`` given sources ``cond``."""
        if self.view == "chroma":
            from kornia.color import rgb_to_ycbcr
            x = rgb_to_ycbcr(x)[:, 1:]  # Cb, Cr in [0, 1], 0.5 for grey
        return self.net(torch.cat([cond, x], dim=1) - 0.5)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is None:
            raise ValueError("the PatchGAN critic scores (source, target) pairs: pass cond")
        return self.patch_map(x, cond).mean(dim=(1, 2, 3))

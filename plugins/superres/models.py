"""The SR generator (residual blocks, no batch norm, PixelShuffle) and a BN-free critic."""

from __future__ import annotations

import torch
from kornia.geometry.transform import resize
from torch import Tensor, nn

from wgan_core.domains.images import apply_tiled
from wgan_core.models import Critic, Generator


class ResidualBlock(nn.Module):
    """conv-ReLU-conv with a scaled skip; no batch norm (ESRGAN: BN causes artifacts and
    hurts PSNR in SR)."""

    def __init__(self, channels: int, res_scale: float = 0.2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(True),
                                  nn.Conv2d(channels, channels, 3, padding=1))
        self.res_scale = res_scale

    def forward(self, x: Tensor) -> Tensor:
        return x + self.res_scale * self.body(x)


class SRGenerator(Generator):
    """LR image [B,3,h,w] in [0,1] -> HR image [B,3,h*s,w*s].

    The network predicts a residual on top of bicubic upscaling (the last conv starts at
    zero), so training starts from the bicubic baseline and only has to learn the detail.
    """

    latent_dim = None  # the input is data (the low-resolution image)

    def __init__(self, scale: int = 4, channels: int = 32, blocks: int = 6) -> None:
        super().__init__()
        if scale not in (2, 4):
            raise ValueError(f"scale must be 2 or 4, got {scale}")
        self.scale = scale
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)],
                                  nn.Conv2d(channels, channels, 3, padding=1))
        # ESPCN-style sub-pixel output: one conv to 3*s*s channels in LR space, then one
        # PixelShuffle(s). Every conv runs at LR resolution, which on a CPU buys far more
        # residual blocks per second than convs at 2x/4x resolution would.
        self.tail = nn.Sequential(nn.Conv2d(channels, 3 * scale * scale, 3, padding=1),
                                  nn.PixelShuffle(scale))
        nn.init.zeros_(self.tail[0].weight)
        nn.init.zeros_(self.tail[0].bias)
        self.blocks = blocks

    @property
    def receptive_radius(self) -> int:
        """How many LR pixels of context one output pixel depends on (each 3x3 conv adds one,
        all convs run at LR; bicubic adds two). Tiled inference overlaps tiles by this."""
        return 1 + 2 * self.blocks + 1 + 1 + 2  # head, blocks, body conv, tail conv, bicubic

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        h, w = z.shape[-2:]
        base = resize(z, (h * self.scale, w * self.scale), interpolation="bicubic")
        feat = self.head(z)
        feat = feat + self.body(feat)
        return base + self.tail(feat)


class SRCritic(Critic):
    """HR image -> one score: strided convs with leaky ReLU, no batch norm (it would break the
    per-sample gradient penalty), global average pooling, a linear head.

    With ``highpass_scale`` = s the critic first removes what the low-resolution input already
    determines, x - bicubic_up(down(x)), and judges only the detail above the LR band (the
    frequency-separation idea of Fritsche et al., 2019). A plain critic spends its unit slope
    on whatever separates real from fake most cheaply (colour, brightness), which the L1 loss
    already controls; the high-pass critic can only reward texture. It is a fixed linear map in
    front of the convs, so the gradient penalty still measures slopes in image space.
    """

    def __init__(self, channels: int = 32, highpass_scale: int = 0) -> None:
        super().__init__()
        self.highpass_scale = highpass_scale
        c = channels
        # Strided 4x4 convs from the first layer on: the critic (run three times per step with
        # a double backward for the penalty) would otherwise cost ten times the generator.
        widths = [3, c, 2 * c, 4 * c, 4 * c]
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1], 1)
        #: ADA augmentation probability (a buffer so checkpoints keep it); 0 = off.
        self.register_buffer("augment_p", torch.zeros(()))
        self.augment = False

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if self.augment and self.training and float(self.augment_p) > 0:
            from .augment import augment

            x = augment(x, float(self.augment_p))
        if self.highpass_scale:
            s = self.highpass_scale
            h, w = x.shape[-2:]
            low = resize(x, (h // s, w // s), interpolation="bicubic", antialias=True)
            x = x - resize(low, (h, w), interpolation="bicubic")
        return self.head(self.features(x).mean(dim=(-2, -1))).squeeze(-1)


def upscale(model: SRGenerator, lr: Tensor, tile: int) -> Tensor:
    """Tiled upscaling with an overlap that covers the model's receptive radius, so the
    stitched result equals one pass over the whole image (up to float rounding)."""
    model.eval()
    return apply_tiled(model, lr, model.scale, tile, model.receptive_radius)

"""Tiled inference: upscale a large image in overlapping LR tiles so memory stays bounded.

Each tile is run with ``overlap`` extra LR pixels of context on every side and only its
centre is kept. When the overlap covers the generator's receptive radius the stitched result
equals the untiled one (up to float rounding), because every kept output pixel saw exactly
the context it would have seen in one pass. The tiling itself is ``wgan_core.images.apply_tiled``
(shared with img2img).
"""

from __future__ import annotations

from typing import Callable

from torch import Tensor

from wgan_core.images import apply_tiled


def upscale_tiled(model: Callable[[Tensor], Tensor], lr: Tensor, scale: int, tile: int = 128,
                  overlap: int = 20) -> Tensor:
    """model(lr) computed tile by tile: lr [B,3,h,w] -> [B,3,h*scale,w*scale], clamped to [0,1]."""
    return apply_tiled(model, lr, scale, tile, overlap)

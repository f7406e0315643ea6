"""Tiled inference: upscale a large image in overlapping LR tiles so memory stays bounded.

Each tile is run with ``overlap`` extra LR pixels of context on every side and only its
centre is kept. When the overlap covers the generator's receptive radius the stitched result
equals the untiled one (up to float rounding), because every kept output pixel saw exactly
the context it would have seen in one pass.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor


@torch.no_grad()
def upscale_tiled(model: Callable[[Tensor], Tensor], lr: Tensor, scale: int, tile: int = 128,
                  overlap: int = 20) -> Tensor:
    """model(lr) computed tile by tile: lr [B,3,h,w] -> [B,3,h*scale,w*scale], clamped to [0,1]."""
    if tile < 1 or overlap < 0:
        raise ValueError(f"tile must be >= 1 and overlap >= 0, got {tile}, {overlap}")
    b, c, h, w = lr.shape
    out = lr.new_empty(b, c, h * scale, w * scale)
    for y0 in range(0, h, tile):
        y1 = min(y0 + tile, h)
        ya, yb = max(0, y0 - overlap), min(h, y1 + overlap)
        for x0 in range(0, w, tile):
            x1 = min(x0 + tile, w)
            xa, xb = max(0, x0 - overlap), min(w, x1 + overlap)
            sr = model(lr[..., ya:yb, xa:xb])
            out[..., y0 * scale:y1 * scale, x0 * scale:x1 * scale] = sr[
                ..., (y0 - ya) * scale:(y1 - ya) * scale, (x0 - xa) * scale:(x1 - xa) * scale]
    return out.clamp_(0.0, 1.0)

"""Trace the pixel-loss (L1) phase of superres (not a test): mean held-out PSNR-Y every k
steps, with variations the config does not offer. The README's "What did not close the gap"
numbers come from it.

    OMP_NUM_THREADS=1 python benchmarks/superres_l1_trace.py '{"pretrain_steps": 3000}'
    ... '{"pretrain_steps": 3000, "channels": 48}'
    ... '{"pretrain_steps": 3000}' --candidates 1           # uniform instead of textured crops
    ... '{"pretrain_steps": 3000}' --res-scale 1.0          # residual blocks' skip scale
    ... '{"pretrain_steps": 3000}' --extra-train grass gravel brick camera   # skimage images
    ... '{"pretrain_steps": 3000}' --downscaled-copies 0.75 0.5
    ... '{"pretrain_steps": 3000}' --self-ensemble          # also x8 geometric self-ensemble
    ... '{"pretrain_steps": 3000}' --channel-shuffle        # random RGB order per patch
    ... '{"pretrain_steps": 3000}' --loss-y 1.0             # + L1 on the Y channel (the metric's)
    ... '{"pretrain_steps": 3000, "batch_size": 32}'        # (or "blocks": 12, "pretrain_lr": 1e-3)
    ... '{"pretrain_steps": 3000}' --mse-after 0.67         # MSE instead of L1 for the last third
    ... '{"pretrain_steps": 3000}' --aligned-lr             # LR patches cut from the whole LR photo
    ... '{"pretrain_steps": 3000}' --dead-leaves 8          # + 8 generated dead-leaves images
    ... '{"pretrain_steps": 3000, "seed": 1}'               # seed spread
    ... '{"pretrain_steps": 3000}' --drop-train retina immunohistochemistry   # training subsets
    ... '{"pretrain_steps": 3000, "data": "D", "test_data": "D"}'   # ceiling: D = held-out PNGs

The first argument is a JSON dict of ``SuperResConfig`` options (only the L1 phase is run).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
from kornia.geometry.transform import resize
from torch import Tensor

import wgan_plugins.superres.data as srdata
import wgan_plugins.superres.models as srmodels
from wgan_core.callbacks import Callback
from wgan_core.config import build_config
from wgan_core.data import Batch
from wgan_core.trainer import Trainer
from wgan_plugins.superres.config import SuperResConfig
from wgan_plugins.superres.data import (Photo, PatchSource, downscale, flip_transpose,
                                        load_photos, modcrop, upscale_bicubic)
from wgan_core.domains.images import psnr_y, y_channel
from wgan_plugins.superres.models import upscale
from wgan_plugins.superres.plugin import l1_loss, make_generator, phases


def self_ensemble(model: srmodels.SRGenerator, lr: Tensor, tile: int) -> Tensor:
    """Mean of the 8 flips/transposes' outputs, each mapped back (EDSR+'s test-time trick)."""
    outs = []
    for k in range(8):
        x = lr.transpose(-1, -2) if k & 4 else lr
        x = x.flip(-1) if k & 1 else x
        x = x.flip(-2) if k & 2 else x
        y = upscale(model, x, tile)
        y = y.flip(-2) if k & 2 else y
        y = y.flip(-1) if k & 1 else y
        outs.append(y.transpose(-1, -2) if k & 4 else y)
    return torch.stack(outs).mean(0)


class AlignedPatchSource(PatchSource):
    """Patches cut from the low-res version of the whole photo and the aligned HR crop, so
    every LR pixel is degraded as at test time (no blur or bicubic padding at patch edges)."""

    def __init__(self, photos: list[Photo], patch_size: int, scale: int,
                 candidates: int = 2) -> None:
        super().__init__(photos, patch_size, scale, candidates)
        self.images = [modcrop(im, scale) for im in self.images]
        self.lows = [downscale(im[None], scale)[0] for im in self.images]

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        p, k, s = self.patch_size, self.candidates, self.scale
        which = torch.randint(0, len(self.images), (batch_size,), generator=generator)
        u = torch.rand(batch_size, k, 2, generator=generator)
        flips = torch.randint(0, 2, (batch_size, 3), generator=generator)
        hrs, lrs = [], []
        for i in range(batch_size):
            im, low = self.images[int(which[i])], self.lows[int(which[i])]
            h, w = low.shape[-2:]
            q = p // s
            corners = [(int(a * (h - q + 1)), int(b * (w - q + 1))) for a, b in u[i].tolist()]
            y, x = max(corners, key=lambda c: float(
                im[:, c[0] * s:c[0] * s + p, c[1] * s:c[1] * s + p].std()))
            hrs.append(flip_transpose(im[:, y * s:y * s + p, x * s:x * s + p], flips[i]))
            lrs.append(flip_transpose(low[:, y:y + q, x:x + q], flips[i]))
        return Batch(real=torch.stack(hrs), gen_input=torch.stack(lrs))


def dead_leaves(size: int, colours: Tensor, generator: torch.Generator) -> Tensor:
    """A dead-leaves image (Lee, Mumford & Huang 2001): opaque disks with radii drawn from
    p(r) ~ r^-3, stacked until the canvas is covered, colours drawn from ``colours`` [N, 3].
    Rendered at twice the size and averaged down, so edges are anti-aliased."""
    big = 2 * size
    img = torch.full((3, big, big), -1.0)
    r_min, r_max = 2.0, big / 3
    uncovered = big * big
    while uncovered > 0:
        u = float(torch.rand((), generator=generator))
        # inverse CDF of p(r) ~ r^-3 on [r_min, r_max]
        r = (r_min ** -2 - u * (r_min ** -2 - r_max ** -2)) ** -0.5
        cy, cx = (torch.rand(2, generator=generator) * big).tolist()
        y0, y1 = max(0, int(cy - r)), min(big, int(cy + r) + 1)
        x0, x1 = max(0, int(cx - r)), min(big, int(cx + r) + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        yy = torch.arange(y0, y1)[:, None].float()
        xx = torch.arange(x0, x1)[None, :].float()
        window = img[:, y0:y1, x0:x1]
        disk = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) & (window[0] < 0)
        colour = colours[int(torch.randint(0, len(colours), (), generator=generator))]
        window[:, disk] = colour[:, None]
        uncovered -= int(disk.sum())
    return torch.nn.functional.avg_pool2d(img[None], 2)[0]


def channel_shuffled(source: PatchSource) -> Callable[[int, torch.Generator], Batch]:
    """The same patches with the RGB channels in a random order per patch (HR and LR alike:
    downscaling acts per channel, so the pair stays consistent)."""

    def draw(batch_size: int, generator: torch.Generator) -> Batch:
        b = source(batch_size, generator)
        perm = torch.stack([torch.randperm(3, generator=generator) for _ in range(batch_size)])
        index = perm[:, :, None, None]
        return Batch(real=torch.gather(b.real, 1, index.expand_as(b.real)),
                     gen_input=torch.gather(b.gen_input, 1, index.expand_as(b.gen_input)))

    return draw


def with_y_loss(weight: float) -> Callable[[Tensor, Batch], Tensor]:
    """L1 on RGB plus ``weight`` x L1 on the Y channel the metric is computed on."""

    def loss(fake: Tensor, batch: Batch) -> Tensor:
        y_error = (y_channel(fake) - y_channel(batch.real)).abs().mean()
        return l1_loss(fake, batch) + weight * y_error

    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("options", nargs="?", default="{}")
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--res-scale", type=float, default=None)
    parser.add_argument("--extra-train", nargs="*", default=[])
    parser.add_argument("--downscaled-copies", type=float, nargs="*", default=[])
    parser.add_argument("--self-ensemble", action="store_true")
    parser.add_argument("--channel-shuffle", action="store_true")
    parser.add_argument("--loss-y", type=float, default=0.0)
    parser.add_argument("--aligned-lr", action="store_true")
    parser.add_argument("--dead-leaves", type=int, default=0,
                        help="add this many generated 512-px dead-leaves images to training")
    parser.add_argument("--mse-after", type=float, default=None,
                        help="switch the loss from L1 to MSE after this fraction of the steps")
    parser.add_argument("--drop-train", nargs="*", default=[])
    args = parser.parse_args()
    if args.res_scale is not None:
        block_init = srmodels.ResidualBlock.__init__

        def with_res_scale(self, channels: int, res_scale: float = 0.2) -> None:
            block_init(self, channels, args.res_scale)

        srmodels.ResidualBlock.__init__ = with_res_scale  # type: ignore[method-assign]
    srdata.DEFAULT_TRAIN = [k for k in srdata.DEFAULT_TRAIN if k[1] not in args.drop_train] + [
        ("skimage", n) for n in args.extra_train]
    config = build_config(SuperResConfig, json.loads(args.options))
    s = config.scale
    train, test = load_photos(config.data, config.test_data, config.patch_size, s, warn=print)
    for factor in args.downscaled_copies:
        for photo in list(train[:len(train)]):
            if photo.name.endswith("@"):
                continue
            h, w = (int(d * factor) for d in photo.image.shape[-2:])
            if min(h, w) >= config.patch_size:
                small = resize(photo.image[None], (h, w), interpolation="bicubic", antialias=True)
                train.append(Photo(photo.name + "@", small[0].clamp(0, 1)))
    if args.dead_leaves:
        pixels = torch.cat([p.image.flatten(1).T for p in train])
        g = torch.Generator().manual_seed(1234)
        colours = pixels[torch.randint(0, len(pixels), (4096,), generator=g)]
        for i in range(args.dead_leaves):
            train.append(Photo(f"leaves{i}", dead_leaves(512, colours, g)))
    print(f"training on {len(train)} images")
    pairs = []
    for photo in test:
        hr = modcrop(photo.image, s).unsqueeze(0)
        pairs.append((hr, downscale(hr, s)))
    bicubic = [psnr_y(upscale_bicubic(lr, s), hr, border=s) for hr, lr in pairs]
    print(f"bicubic {sum(bicubic) / len(bicubic):.3f}")

    class Trace(Callback):
        def on_step_end(self, trainer: Trainer, step: int, stats: dict[str, float]) -> None:
            if step % args.every and step != trainer.steps:
                return
            with torch.no_grad():
                v = [psnr_y(upscale(trainer.sampling_generator, lr, config.tile), hr, border=s)
                     for hr, lr in pairs]
            trainer.generator.train()
            print(f"step {step}: PSNR-Y {sum(v) / len(v):.3f} {[round(x, 2) for x in v]}; "
                  f"{trainer.elapsed_seconds:.0f} s", flush=True)

    torch.manual_seed(config.seed)
    generator = make_generator(config)
    source = (AlignedPatchSource if args.aligned_lr else PatchSource)(
        train, config.patch_size, s, candidates=args.candidates)
    if args.channel_shuffle:
        source = channel_shuffled(source)
    loss = l1_loss if not args.loss_y else with_y_loss(args.loss_y)
    use_mse = [args.mse_after is not None and args.mse_after <= 0]

    def loss_or_mse(fake: Tensor, batch: Batch) -> Tensor:
        return torch.nn.functional.mse_loss(fake, batch.real) if use_mse[0] else loss(fake, batch)

    class SwitchToMse(Callback):
        def on_step_end(self, trainer: Trainer, step: int, stats: dict[str, float]) -> None:
            if args.mse_after is not None and step >= args.mse_after * trainer.steps:
                use_mse[0] = True
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, None, source, config, phase=phases(config)[0],
                          run_dir=Path(tmp), extra_loss=loss_or_mse,
                          callbacks=[Trace(), SwitchToMse()])
        start = time.perf_counter()
        trainer.fit()
    print(f"{time.perf_counter() - start:.0f} s")
    if args.self_ensemble:
        with torch.no_grad():
            v = [psnr_y(self_ensemble(trainer.sampling_generator, lr, config.tile), hr, border=s)
                 for hr, lr in pairs]
        print(f"self-ensemble x8: PSNR-Y {sum(v) / len(v):.3f} {[round(x, 2) for x in v]}")


if __name__ == "__main__":
    main()

"""``wgan run img2img``: an L1-only phase, then L1 + Wasserstein PatchGAN training, evaluation on
held-out pairs at full size; ``wgan apply RUN_DIR INPUT OUTPUT``: translate new source images."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wgan_core.checkpoint import load_sampling_generator
from wgan_core.constraints import Constraint, constraint_from_config
from wgan_core.data import Batch
from wgan_core.domains.images import apply_tiled, apply_to_images, comparison_stems, image_grid
from wgan_core.files import atomic_file
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run
from wgan_core.phases import Phase, fit_phases
from wgan_core.trainer import Trainer

from .config import Img2ImgConfig
from .data import Pair, PairSource, greyscale, load_pairs
from .metrics import image_metrics, swd_metrics
from .metrics import METRICS_SCHEMA
from .models import PatchCritic, UNetGenerator, unet_depth


#: The networks' memory format: NHWC (channels_last) made the default training steps 8-11 %
#: faster on a CPU than NCHW (``benchmarks/precision.py --channels-last``, README).
MEMORY_FORMAT = torch.channels_last


def make_generator(config: Img2ImgConfig) -> UNetGenerator:
    return UNetGenerator(unet_depth(config.crop_size), config.channels, config.norm,
                         config.dropout, upsample=config.upsample).to(memory_format=MEMORY_FORMAT)


def make_critic(config: Img2ImgConfig) -> PatchCritic:
    return PatchCritic(config.critic_channels, view=config.critic_view).to(
        memory_format=MEMORY_FORMAT)


def make_constraint(config: Img2ImgConfig) -> Constraint:
    """The run's constraint; with ``condition_penalty`` the gradient penalty also holds the
    critic's slope w.r.t. the source (the core's ``condition_weight``, same pass)."""
    return constraint_from_config(config, condition_weight=config.condition_penalty)


def l1_loss(weight: float) -> Callable[[Tensor, Batch], Tensor]:
    """λ × mean absolute error to the real target (both phases)."""
    def loss(fake: Tensor, batch: Batch) -> Tensor:
        return weight * F.l1_loss(fake, batch.real)

    return loss


def translate(model: UNetGenerator, source: Tensor, tile: int) -> Tensor:
    """A source [B,3,H,W] of any size -> its translation, in overlapping tiles (the overlap,
    3 x 2**depth pixels, covers most of the U-Net's context, so seams do not show)."""
    model.eval()
    return apply_tiled(model, source, 1, tile, 3 * model.multiple, model.multiple)


def phases(config: Img2ImgConfig) -> list[Phase]:
    """L1 alone (no critic; its own checkpoint and log), then L1 + Wasserstein loss under the
    shared options (a different seed, so the critic's stream is its own)."""
    return [Phase("pretrain", config.pretrain_steps, lr_g=config.pretrain_lr, lr_c=config.lr_c,
                  seed=config.seed, lr_schedule=config.lr_schedule, ema_decay=config.ema_decay,
                  adversarial=False, checkpoint="pretrain.pt", log="log_pretrain.csv"),
            Phase.from_config(config, name="adversarial", seed=config.seed + 1)]


# ---------------------------------------------------------------------- run

def run(config: Img2ImgConfig, context: RunContext) -> RunResult:
    """Train both phases (resuming from their checkpoints) and evaluate on held-out pairs."""
    run_started = time.perf_counter()
    run_dir = Path(context.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    train, test = load_pairs(config, warn=context.echo)
    what = (f"aligned pairs from {config.data}" if config.data is not None else
            f"pairs from {config.data_a} / {config.data_b}" if config.data_a is not None else
            f"task {config.task}")
    context.echo(f"img2img ({what}): training on {len(train)} images "
                 f"({', '.join(p.name for p in train)}); held out {len(test)} "
                 f"({', '.join(p.name for p in test)})")
    source = PairSource(train, config.crop_size, memory_format=MEMORY_FORMAT)
    content = l1_loss(config.l1_weight)

    # L1 alone first (the "L1-only" model of the comparison and the start of the second
    # phase), then lambda L1 + adv_weight x the Wasserstein loss against the PatchGAN critic.
    def build(phase: Phase) -> Trainer:
        generator = make_generator(config)
        if not phase.adversarial:
            return Trainer(generator, None, source, config, phase=phase, run_dir=run_dir,
                           extra_loss=content, callbacks=context.callbacks(phase.name),
                           device=context.device, strategy=context.strategy)
        return Trainer(generator, make_critic(config), source, config,
                       phase=phase, constraint=make_constraint(config), run_dir=run_dir,
                       extra_loss=content, adversarial_weight=config.adv_weight,
                       callbacks=context.callbacks(phase.name), device=context.device,
                       strategy=context.strategy)

    trainers = fit_phases(phases(config), build, is_main=context.is_main, echo=context.echo)
    pre, adv = trainers["pretrain"], trainers["adversarial"]
    if not context.is_main:
        return RunResult(metrics={})
    l1_model = pre.sampling_generator.eval()

    metrics, artifacts = evaluate(test, l1_model, adv.sampling_generator.eval(), config, run_dir)

    def rate(trainer: Trainer) -> float:
        seconds = trainer.elapsed_seconds  # time in training steps, across resumes
        return (trainer.step * config.batch_size / seconds if trainer.step and seconds > 0
                else float("nan"))

    metrics.update({
        "task": config.task if config.data is None and config.data_a is None else "user",
        "train_images": [p.name for p in train],
        "test_images": [p.name for p in test],
        "seconds_pretrain": pre.elapsed_seconds,
        "seconds_adversarial": adv.elapsed_seconds,
        "patches_per_second_pretrain": rate(pre),
        "patches_per_second_adversarial": rate(adv),
        "seconds_total": time.perf_counter() - run_started,
    })
    return RunResult(metrics=metrics, artifacts=artifacts)


MODELS = ("l1", "adv")


@torch.no_grad()
def evaluate(test: list[Pair], l1_model: UNetGenerator, adv_model: UNetGenerator,
             config: Img2ImgConfig, run_dir: Path) -> tuple[dict[str, Any], list[Path]]:
    """Every held-out pair at full size (tiled), for the L1-only and the adversarial model:
    L1 error, PSNR, SSIM and high-frequency ratio per image, and the sliced Wasserstein
    distances over the whole set (ProGAN's and the paired one), the paired one also per image;
    one comparison PNG per image."""
    device = next(adv_model.parameters()).device
    outputs: dict[str, list[Tensor]] = {m: [] for m in MODELS}
    for pair in test:
        src = pair.source.unsqueeze(0).to(device)
        outputs["l1"].append(translate(l1_model, src, config.tile)[0].cpu())
        outputs["adv"].append(translate(adv_model, src, config.tile)[0].cpu())
    per_image: dict[str, dict[str, float]] = {p.name: {} for p in test}
    metrics: dict[str, Any] = {}
    for m in MODELS:
        for pair, out in zip(test, outputs[m]):
            for key, value in image_metrics(out, pair.target).items():
                per_image[pair.name][f"{key}_{m}"] = value
        # the set's SWDs: all images' patches in one distribution
        swd, each = swd_metrics(outputs[m], [p.target for p in test])
        for pair, value in zip(test, each):
            per_image[pair.name][f"swd_paired_{m}"] = value
        metrics.update({f"{key}_{m}": value for key, value in swd.items()})
    for key in next(iter(per_image.values())):
        if not key.startswith("swd_"):
            metrics[key] = float(np.mean([row[key] for row in per_image.values()]))
    stems = comparison_stems([p.name for p in test])
    artifacts = [comparison_png(pair, {m: outputs[m][i] for m in MODELS}, per_image[pair.name],
                                run_dir, stems[i]) for i, pair in enumerate(test)]
    metrics["per_image"] = per_image
    return metrics, artifacts


def comparison_png(pair: Pair, out: dict[str, Tensor], row: dict[str, float], run_dir: Path,
                   file_stem: str) -> Path:
    """source | L1-only | adversarial | real target at full resolution, each under a caption
    (drawn with Pillow: matplotlib takes seconds per full-size figure)."""
    from PIL import Image, ImageDraw

    panels = [("source", pair.source),
              (f"L1-only  PSNR {row['psnr_l1']:.2f} dB  SWD paired {row['swd_paired_l1']:.0f}",
               out["l1"]),
              (f"adversarial  PSNR {row['psnr_adv']:.2f} dB  "
               f"SWD paired {row['swd_paired_adv']:.0f}", out["adv"]),
              ("real target", pair.target)]
    h, w = pair.target.shape[-2:]
    gap, caption = 4, 18
    sheet = Image.new("RGB", (4 * w + 3 * gap, h + caption), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (title, img) in enumerate(panels):
        arr = img.detach().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
        sheet.paste(Image.fromarray(arr), (i * (w + gap), caption))
        draw.text((i * (w + gap) + 2, 3), title, fill="black")
    path = Path(run_dir) / f"comparison_{file_stem}.png"
    with atomic_file(path) as fh:
        sheet.save(fh, format="PNG")
    return path


# ---------------------------------------------------------------------- preview

def preview(trainer: Trainer) -> np.ndarray:
    """TensorBoard's picture: four training crops, always the same ones (a fixed seed, so
    checkpoints compare), as source | translation | real target, one row each."""
    batch = trainer.data(4, torch.Generator().manual_seed(0))
    source = batch.gen_input
    assert isinstance(source, Tensor)
    out = trainer.sampling_generator.eval()(source.to(trainer.device)).cpu()
    return image_grid([[s, o, t] for s, o, t in zip(source, out, batch.real)])


# ---------------------------------------------------------------------- apply

def load_generator(run_dir: Path, config: Img2ImgConfig, checkpoint: dict
                   ) -> UNetGenerator:
    """The run's adversarial generator (EMA weights), for ``wgan.load``: source image in [0, 1]
    ``[B, 3, H, W]`` (sides multiples of ``generator.multiple``) -> target ``[B, 3, H, W]``."""
    return load_sampling_generator(make_generator(config), checkpoint)


def trained_model(run_dir: Path, device: torch.device) -> tuple[Img2ImgConfig, UNetGenerator]:
    """The run's config and its evaluation generator on ``device`` (what apply uses)."""
    config, checkpoint = load_run(Path(run_dir), PLUGIN, map_location=device)
    return config, load_generator(run_dir, config, checkpoint).to(device)


def prepare_source(config: Img2ImgConfig, image: Tensor) -> Tensor:
    """A user's input as the source the run trained on: a colorize run sees greyscale (a colour
    photo is converted); every other run takes the image as it is (an edges2photo run expects
    an edge drawing, black lines on white)."""
    uses_task = config.data is None and config.data_a is None
    return greyscale(image) if uses_task and config.task == "colorize" else image


def apply(run_dir: Path, input: Path, output: Path, device: torch.device,
          overwrite: bool = False, warn: Callable[[str], None] | None = None) -> list[Path]:
    """Translate one source image (OUTPUT is a file) or every image of a folder, recursively
    (OUTPUT is a folder mirroring INPUT, PNG files), at its own size. Unreadable images in a
    folder are skipped with a warning. Existing outputs are kept (DataError) unless
    ``overwrite``; an input is never replaced."""
    config, model = trained_model(run_dir, device)

    def transform(img: Tensor) -> Tensor:
        source = prepare_source(config, img).unsqueeze(0).to(device)
        return translate(model, source, config.tile)[0]

    return apply_to_images(input, output, transform, "_translated", overwrite, warn)


PLUGIN = Plugin(
    name="img2img",
    summary="Paired image-to-image translation (edges -> photo, greyscale -> colour): pix2pix's "
            "U-Net with a Wasserstein PatchGAN critic",
    config_class=Img2ImgConfig,
    run=run,
    apply=apply,
    load_generator=load_generator,
    preview=preview,
    smoke_overrides={"steps": 2, "pretrain_steps": 2, "batch_size": 2, "crop_size": 32,
                     "channels": 4, "critic_channels": 4, "log_every": 1, "task": "colorize"},
    metrics_schema=METRICS_SCHEMA,
)

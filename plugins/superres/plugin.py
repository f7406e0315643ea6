"""``wgan run superres``: L1 pre-training, WGAN fine-tuning, evaluation on held-out photos;
``wgan apply RUN_DIR INPUT OUTPUT``: tiled upscaling of one image or a folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wgan_core.checkpoint import load_sampling_generator
from wgan_core.data import Batch
from wgan_core.domains.images import apply_to_images, image_grid
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run
from wgan_core.phases import Phase, fit_phases
from wgan_core.trainer import Trainer

from .augment import AdaptiveAugment
from .config import SuperResConfig
from .data import PatchSource, load_photos, upscale_bicubic
from .metrics import evaluate
from .metrics import METRICS_SCHEMA
from .models import SRCritic, SRGenerator, upscale


def l1_loss(fake: Tensor, batch: Batch) -> Tensor:
    """The content loss of both phases: mean absolute error to the HR patch."""
    return F.l1_loss(fake, batch.real)


#: The networks' memory format: NHWC (channels_last) made the default training steps 5-11 %
#: faster on a CPU than NCHW (``benchmarks/precision.py --channels-last``, README).
MEMORY_FORMAT = torch.channels_last


def make_generator(config: SuperResConfig) -> SRGenerator:
    return SRGenerator(config.scale, config.channels, config.blocks).to(
        memory_format=MEMORY_FORMAT)


def make_critic(config: SuperResConfig) -> SRCritic:
    return SRCritic(config.critic_channels,
                    highpass_scale=config.scale if config.critic_highpass else 0).to(
        memory_format=MEMORY_FORMAT)


def phases(config: SuperResConfig) -> list[Phase]:
    """L1 pre-training (no critic; its own checkpoint and log), then adversarial fine-tuning
    under the shared options (a different seed, so the critic's stream is its own)."""
    return [Phase("pretrain", config.pretrain_steps, lr_g=config.pretrain_lr, lr_c=config.lr_c,
                  seed=config.seed, lr_schedule=config.lr_schedule, ema_decay=config.ema_decay,
                  adversarial=False, checkpoint="pretrain.pt", log="log_pretrain.csv"),
            Phase.from_config(config, name="adversarial", seed=config.seed + 1)]


# ---------------------------------------------------------------------- run

def run(config: SuperResConfig, context: RunContext) -> RunResult:
    """Train (both phases, resuming from their checkpoints) and evaluate on held-out photos."""
    run_started = time.perf_counter()
    run_dir = Path(context.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    train, test = load_photos(config.data, config.test_data, config.patch_size, config.scale,
                              warn=context.echo)
    context.echo(f"superres x{config.scale}: training on {len(train)} images "
                 f"({', '.join(p.name for p in train)}); held out {len(test)} "
                 f"({', '.join(p.name for p in test)})")
    source = PatchSource(train, config.patch_size, config.scale, memory_format=MEMORY_FORMAT)

    # Pixel loss (L1) alone first, as SRResNet/ESRGAN pre-train their generators; then the
    # content loss + adv_weight x the Wasserstein loss, from the L1 model (its EMA).
    ada: AdaptiveAugment | None = None

    def build(phase: Phase) -> Trainer:
        nonlocal ada
        generator = make_generator(config)
        if not phase.adversarial:
            return Trainer(generator, None, source, config, phase=phase, run_dir=run_dir,
                           extra_loss=l1_loss, callbacks=context.callbacks(phase.name),
                           device=context.device, strategy=context.strategy)
        critic = make_critic(config)
        callbacks = context.callbacks(phase.name)
        if config.augment:
            critic.augment = True
            ada = AdaptiveAugment(source, config.batch_size, config.augment_target,
                                  seed=config.seed)
            callbacks.append(ada)
        return Trainer(generator, critic, source, config, phase=phase, run_dir=run_dir,
                       extra_loss=l1_loss, adversarial_weight=config.adv_weight,
                       callbacks=callbacks, device=context.device, strategy=context.strategy)

    trainers = fit_phases(phases(config), build, is_main=context.is_main, echo=context.echo)
    pre, adv = trainers["pretrain"], trainers["adversarial"]
    if not context.is_main:
        return RunResult(metrics={})
    l1_model = pre.sampling_generator.eval()
    sr_model = adv.sampling_generator.eval()

    metrics, artifacts = evaluate(test, l1_model, sr_model, config, run_dir)
    metrics.update({
        "scale": config.scale,
        "train_images": [p.name for p in train],
        "test_images": [p.name for p in test],
        "seconds_pretrain": pre.elapsed_seconds,
        "seconds_adversarial": adv.elapsed_seconds,
        "seconds_total": time.perf_counter() - run_started,
    })
    if ada is not None:
        metrics["augment_p_final"] = float(adv.critic.augment_p)  # type: ignore[union-attr]
    return RunResult(metrics=metrics, artifacts=artifacts)


# ---------------------------------------------------------------------- preview

def preview(trainer: Trainer) -> np.ndarray:
    """TensorBoard's picture: four training crops, always the same ones (a fixed seed, so
    checkpoints compare), as bicubic | the generator's output | the original, one row each."""
    batch = trainer.data(4, torch.Generator().manual_seed(0))
    lr = batch.gen_input
    assert isinstance(lr, Tensor)
    out = trainer.sampling_generator.eval()(lr.to(trainer.device)).cpu()
    bicubic = upscale_bicubic(lr, out.shape[-1] // lr.shape[-1])
    return image_grid([[b, o, h] for b, o, h in zip(bicubic, out, batch.real)])


# ---------------------------------------------------------------------- apply

def load_generator(run_dir: Path, config: SuperResConfig, checkpoint: dict
                   ) -> SRGenerator:
    """The run's adversarial generator (EMA weights), for ``wgan.load``: LR image in [0, 1]
    ``[B, 3, h, w]`` -> ``[B, 3, h * scale, w * scale]``."""
    return load_sampling_generator(make_generator(config), checkpoint)


def trained_model(run_dir: Path, device: torch.device) -> tuple[SuperResConfig, SRGenerator]:
    """The run's config and its evaluation generator on ``device`` (what apply uses)."""
    config, checkpoint = load_run(Path(run_dir), PLUGIN, map_location=device)
    return config, load_generator(run_dir, config, checkpoint).to(device)


def apply(run_dir: Path, input: Path, output: Path, device: torch.device,
          overwrite: bool = False, warn: Callable[[str], None] | None = None) -> list[Path]:
    """Upscale one image (OUTPUT is a file) or every image of a folder, recursively (OUTPUT is
    a folder mirroring INPUT, PNG files). Unreadable images are skipped with a warning.
    Existing outputs are kept (DataError) unless ``overwrite``; an input is never replaced."""
    config, model = trained_model(run_dir, device)

    def transform(img: Tensor) -> Tensor:
        return upscale(model, img.unsqueeze(0).to(device), config.tile)[0]

    return apply_to_images(input, output, transform, f"_x{config.scale}", overwrite, warn)


PLUGIN = Plugin(
    name="superres",
    summary="x4/x2 photo super-resolution: L1 pre-training, then WGAN fine-tuning; "
            "beats bicubic on held-out photos",
    config_class=SuperResConfig,
    run=run,
    apply=apply,
    load_generator=load_generator,
    preview=preview,
    smoke_overrides={"steps": 2, "pretrain_steps": 3, "batch_size": 2, "patch_size": 32,
                     "channels": 4, "blocks": 1, "critic_channels": 4, "log_every": 1},
    metrics_schema=METRICS_SCHEMA,
)

"""``wgan run toy``: train on a 2-D mixture, evaluate with PacGAN's protocol, draw the critic."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from wgan_core.checkpoint import load_critic, load_sampling_generator
from wgan_core.constraints import constraint_from_config
from wgan_core.errors import CheckpointError, ConfigError, DataError
from wgan_core.groups import GroupedSamples
from wgan_core.plots import figure_array, plot_training_curves, pyplot, save_figure
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import METRICS_FILE, load_run
from wgan_core.refine import dot_refine, effective_lipschitz
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer
from wgan_core.units import Normalization, checkpoint_normalization

from .config import ToyConfig
from .data import ScaledSource, ToyData, builtin, load_points
from .metrics import evaluate
from .metrics import METRICS_SCHEMA
from .models import MLPCritic, MLPGenerator, build_models
from .plots import plot_samples_over_critic

def load_data(config: ToyConfig) -> ToyData:
    """The user's points if --data is given, else the built-in distribution."""
    return load_points(config.data) if config.data is not None else builtin(config.dataset)


def data_std(data: ToyData, normalize: bool) -> float:
    """The data's standard deviation, measured on a fixed sample; 1 when not normalizing."""
    if not normalize:
        return 1.0
    sample = data.sample(20_000, torch.Generator().manual_seed(12345))
    std = float(sample.std())
    return std if std > 0 else 1.0


def write_points(points: torch.Tensor, path: Path) -> Path:
    """Points as CSV with columns x0, x1, ..."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f"x{i}" for i in range(points.shape[1])])
        writer.writerows([[f"{v:.6g}" for v in row] for row in points.tolist()])
    return path


def refine(config: ToyConfig, critic: MLPCritic, fake_scaled: torch.Tensor,
           k_eff: float) -> torch.Tensor:
    """DOT-refined samples (in the critic's scaled units) with the run's settings."""
    return dot_refine(critic, fake_scaled, config.dot_slope_factor * k_eff,
                      steps=config.dot_steps, lr=config.dot_lr)


def run(config: ToyConfig, context: RunContext) -> RunResult:
    """Train, evaluate, write pictures; returns the metrics for metrics.json."""
    data = load_data(config)
    std = data_std(data, config.normalize)
    scale = 1.0 / std
    space = EuclideanSpace(scale=scale)
    torch.manual_seed(config.seed)
    generator, critic = build_models(config, data.dim)
    trainer = Trainer(generator, critic, ScaledSource(data, scale), config, space=space,
                      run_dir=context.run_dir, callbacks=context.callbacks("toy"),
                      normalization=Normalization.scaled(std, data.dim),
                      device=context.device, strategy=context.strategy)
    started = time.perf_counter()
    trainer.fit()
    wall = time.perf_counter() - started
    if not context.is_main:
        return RunResult(metrics={})

    rng = torch.Generator().manual_seed(config.seed + 1)
    sampler = trainer.sampling_generator.eval()
    with torch.no_grad():
        fake_scaled = sampler.sample(config.n_eval, generator=rng).cpu()
    fake = fake_scaled / scale
    real = data.sample(config.n_eval, rng)
    real_again = data.sample(config.n_eval, rng)
    assert trainer.critic is not None
    critic = trainer.critic.eval().cpu()

    def score(x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return critic(x, c)

    metrics = evaluate(fake, real, data, score, scale, real_again=real_again)
    panels = [("generated", fake)]
    artifacts = [write_points(fake, context.run_dir / "samples.csv")]
    if config.dot_steps > 0:
        started_dot = time.perf_counter()
        k_eff = effective_lipschitz(critic, torch.cat([real * scale, fake_scaled]))
        refined = refine(config, critic, fake_scaled, k_eff) / scale
        dot = evaluate(refined, real, data, score, scale)
        # w1_critic of points moved up the critic itself would say nothing: left out.
        metrics.update({f"dot_{k}": v for k, v in dot.items()
                        if k not in ("modes_total", "w1_critic")})
        metrics["dot_k_eff"] = k_eff  # unrounded: `wgan sample` refines with it again
        metrics["dot_seconds"] = round(time.perf_counter() - started_dot, 2)
        panels.append(("DOT-refined", refined))
        artifacts.append(write_points(refined, context.run_dir / "samples_dot.csv"))
    metrics.update({"dataset": data.name, "steps": trainer.step, "constraint": config.constraint,
                    "train_seconds": round(trainer.elapsed_seconds, 2), "wall_seconds": round(wall, 2)})

    if data.dim == 2:
        title = f"{data.name}, {config.constraint}, {trainer.step} steps"
        artifacts.append(plot_samples_over_critic(
            real, panels, score, scale, context.run_dir / "samples.png", title))
    curves = plot_training_curves(context.run_dir / "log.csv", context.run_dir / "curves.png",
                                  f"toy {data.name}")
    if curves is not None:
        artifacts.append(curves)
    return RunResult(metrics=metrics, artifacts=artifacts)


def preview(trainer: Trainer) -> np.ndarray | None:
    """TensorBoard's picture: 500 real (orange) and 500 generated (green) points, the first
    two coordinates, in the networks' units (None for 1-D data)."""
    g = torch.Generator().manual_seed(0)
    real = trainer.data(500, g).real
    fake = trainer.sampling_generator.eval().sample(500, generator=g)
    assert isinstance(real, torch.Tensor) and isinstance(fake, torch.Tensor)
    if real.shape[1] < 2:
        return None
    fig, ax = pyplot().subplots(figsize=(3, 3), dpi=80)
    ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:orange", alpha=0.5)
    ax.scatter(fake[:, 0].cpu(), fake[:, 1].cpu(), s=2, c="tab:green", alpha=0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return figure_array(fig)


@dataclass
class TrainedRun:
    """A finished toy run's networks (CPU, eval mode) and what sampling needs besides them."""

    config: ToyConfig
    generator: MLPGenerator  # the EMA weights when the run kept them
    critic: MLPCritic | None  # None when the checkpoint has no critic
    scale: float  # the networks see data * scale
    k_eff: float | None  # the critic slope DOT measured, when the run refined its samples


def recorded_k_eff(run_dir: Path) -> float | None:
    """The critic slope K_eff the run's own DOT refinement measured (metrics.json; against real
    data, which sampling may not have), or None when the run did not refine or did not end."""
    try:
        value = json.loads((Path(run_dir) / METRICS_FILE).read_text()).get("dot_k_eff")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def load_trained(run_dir: Path) -> TrainedRun:
    """Load a toy run folder: its config, networks and the data scale from the checkpoint,
    K_eff from metrics.json."""
    config, checkpoint = load_run(run_dir, PLUGIN)
    norm = checkpoint_normalization(checkpoint)
    if norm is None:
        raise CheckpointError(f"{run_dir}: the checkpoint holds no data normalization")
    scale, dim = 1.0 / float(norm.std[0]), norm.dim
    generator = load_generator(run_dir, config, checkpoint)
    _, critic = build_models(config, dim)
    trained_critic = None
    if checkpoint.get("critic"):
        trained_critic = load_critic(critic, checkpoint, constraint_from_config(config),
                                     EuclideanSpace(scale=scale))
    return TrainedRun(config, generator, trained_critic, scale, recorded_k_eff(run_dir))


def load_generator(run_dir: Path, config: ToyConfig, checkpoint: dict) -> MLPGenerator:
    """The run's trained generator (EMA weights when kept), in the networks' units: it draws
    data x scale; ``wgan.load`` hands it out in data units (the checkpoint's normalization)."""
    norm = checkpoint_normalization(checkpoint)
    if norm is None:
        raise CheckpointError(f"{run_dir}: the checkpoint holds no data normalization")
    generator, _ = build_models(config, norm.dim)
    return load_sampling_generator(generator, checkpoint)


def draw(trained: TrainedRun, n: int, seed: int, device: torch.device) -> torch.Tensor:
    """n points in data units, refined with DOT when the run refined its own samples
    (``dot_steps`` > 0 and a recorded K_eff), with the same settings and the run's critic."""
    with torch.no_grad():
        points = trained.generator.to(device).sample(
            n, generator=torch.Generator().manual_seed(seed))
    if trained.config.dot_steps > 0 and trained.k_eff is not None and trained.critic is not None:
        points = refine(trained.config, trained.critic.to(device), points, trained.k_eff)
    return points.cpu() / trained.scale


def sample(run_dir: Path, n: int, output: Path, seed: int, device: torch.device) -> list[Path]:
    """n new points from a trained run (DOT-refined as the run's own, see ``draw``), as CSV
    (or a scatter PNG when output ends in .png)."""
    points = draw(load_trained(run_dir), n, seed, device)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".png":
        fig, ax = pyplot().subplots(figsize=(5, 5))
        ax.scatter(points[:, 0], points[:, 1], s=3)
        ax.set_aspect("equal")
        return [save_figure(fig, output, dpi=110, tight=False)]
    if output.suffix.lower() not in (".csv", ".txt"):
        raise DataError(f"{output}: use a .csv (or .txt) or .png output")
    return [write_points(points, output)]


def audit(run_dir: Path, n: int, seed: int, device: torch.device) -> GroupedSamples:
    """``wgan audit``: the mixture's modes as groups, a generated point's group its nearest
    mode (samples refined with DOT when the run refined its own, as ``sample`` does)."""
    trained = load_trained(run_dir)
    data = load_data(trained.config)
    if data.modes is None:
        raise ConfigError(f"{run_dir}: a toy run on {data.name} has no modes to audit")
    fake = draw(trained, n, seed, device)
    real, labels = data.sample_labelled(n, torch.Generator().manual_seed(seed + 1))
    modes = torch.arange(len(data.modes))
    # The built-in mixtures weigh their modes equally: that is what a perfect generator has.
    return GroupedSamples(real, labels, fake, data.nearest_mode(fake),
                          [f"mode {i}" for i in range(len(data.modes))], "nearest mode",
                          target=torch.full((len(data.modes),), 1.0 / len(data.modes)),
                          target_source=f"the data's mode shares ({data.name}: equal weights)",
                          modes=data.modes, mode_groups=modes, mode_std=data.std)


PLUGIN = Plugin(
    name="toy",
    summary="2-D mixtures (ring8, grid25, swiss roll): mode coverage, exact W1, critic contours.",
    config_class=ToyConfig,
    run=run,
    sample=sample,
    load_generator=load_generator,
    audit=audit,
    preview=preview,
    smoke_overrides={"steps": 3, "batch_size": 32, "hidden": 16, "n_eval": 200, "log_every": 1,
                     "checkpoint_every": 2},
    metrics_schema=METRICS_SCHEMA,
)

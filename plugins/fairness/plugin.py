"""``wgan run fairness``: train on data with an under-represented group (optionally reweighted,
optionally with a per-group penalty), then audit the generator group by group."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from wgan_core.checkpoint import load_sampling_generator
from wgan_core.data import TensorSource
from wgan_core.datasets import DigitsClassifier
from wgan_core.errors import CheckpointError, DataError
from wgan_core.groups import (GroupedSamples, fairness_discrepancy, group_report, group_weights,
                              parse_proportions)
from wgan_core.models import Generator
from wgan_core.plots import plot_report, plot_training_curves, pyplot, read_log, save_figure
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run, write_json
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer
from wgan_core.units import Normalization, checkpoint_normalization

from .config import FairnessConfig
from .data import GroupData, load_data
from .metrics import GroupSlopes, column_tag, flat_metrics
from .metrics import METRICS_SCHEMA
from .models import build_models

# ---------------------------------------------------------------------- set-up

def normalization_of(data: GroupData) -> tuple[Normalization, float]:
    """How the networks see the data, ``(x - mean) / std``, and the space's scale: 1/std for
    one overall std (the critic stays 1-Lipschitz in data units), 1 for per-column
    standardization (tabular data) or none (digits: pixels already in [0, 1])."""
    d = data.dim
    if data.tabular:
        mean = data.points.mean(dim=0)
        std = data.points.std(dim=0)
        std = torch.where(std > 0, std, torch.ones_like(std))
        return Normalization(mean, std), 1.0
    if data.name == "digits":
        return Normalization(torch.zeros(d), torch.ones(d)), 1.0
    s = float(data.points.std())
    return Normalization(torch.zeros(d), torch.full((d,), s)), 1.0 / s


def target_shares(config: FairnessConfig, names: list[str]) -> np.ndarray:
    """--target-proportions as shares per group (uniform when not given)."""
    if config.target_proportions:
        return parse_proportions(config.target_proportions, names)
    return np.full(len(names), 1.0 / len(names))


def assign_groups(data: GroupData, features: Tensor, out: Tensor) -> tuple[Tensor, str, float | None]:
    """The group of each generated sample, how it was found and the assigner's accuracy: the
    generated group column (tabular data), the nearest mode (grid25-groups), or the core's
    digit classifier (digits)."""
    if data.tabular:
        return out[:, data.dim:].argmax(dim=1), "generated column", None
    if data.modes is not None and data.mode_groups is not None:
        nearest = torch.cdist(features, data.modes).argmin(dim=1)
        return data.mode_groups[nearest], "nearest mode", None
    clf = DigitsClassifier()
    return ((clf(features) >= 5).long(),
            "classifier (logistic regression on the digit classes; accuracy is its held-out "
            "class accuracy)", clf.held_out_accuracy)


def grouped_samples(data: GroupData, generator: Generator, norm: Normalization, n: int,
                    seed: int, target: np.ndarray, device: torch.device) -> GroupedSamples:
    """n generated samples with their groups beside the population's reference samples."""
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        out = generator.to(device).eval().sample(n, generator=rng).cpu()
    features = out[:, :data.dim] * norm.std + norm.mean
    groups, how, accuracy = assign_groups(data, features, out)
    real, real_groups = data.reference(n, target, rng)
    return GroupedSamples(real, real_groups, features, groups, list(data.group_names), how,
                          target=torch.as_tensor(target), modes=data.modes,
                          mode_groups=data.mode_groups, mode_std=data.std,
                          assignment_accuracy=accuracy)


# ---------------------------------------------------------------------- run

def run(config: FairnessConfig, context: RunContext) -> RunResult:
    """Train, audit, write pictures; returns the metrics for metrics.json."""
    data = load_data(config)
    names = data.group_names
    target = target_shares(config, names)
    norm, space_scale = normalization_of(data)
    x = (data.points - norm.mean) / norm.std
    if data.tabular:
        x = torch.cat([x, torch.nn.functional.one_hot(data.groups, len(names)).float()], dim=1)
    weights = (None if config.reweight == "none"
               else group_weights(data.groups, target, data.labels, len(names)))
    source = TensorSource(x, weights=weights,
                          groups=data.groups if config.group_penalty else None)
    torch.manual_seed(config.seed)
    generator, critic = build_models(config, data.dim, len(names) if data.tabular else 0)
    slopes = GroupSlopes(x, data.groups, names)
    trainer = Trainer(generator, critic, source, config, space=EuclideanSpace(scale=space_scale),
                      run_dir=context.run_dir, device=context.device, normalization=norm,
                      callbacks=context.callbacks("fairness") + [slopes],
                      strategy=context.strategy)
    started = time.perf_counter()
    trainer.fit()
    wall = time.perf_counter() - started
    if not context.is_main:  # rank 0 alone audits and writes
        return RunResult(metrics={})

    samples = grouped_samples(data, trainer.sampling_generator, norm, config.n_eval,
                              config.seed + 1, target, context.device)
    report = group_report(samples, k=config.knn_k)
    artifacts = [write_json(context.run_dir / "audit.json", report),
                 plot_report(report, context.run_dir / "audit.png")]
    metrics: dict[str, Any] = {"dataset": data.name, "steps": trainer.step,
                               "reweight": config.reweight, "group_penalty": config.group_penalty,
                               "assignment": samples.assignment}
    metrics.update(flat_metrics(report))
    shares = data.shares()
    metrics["training_discrepancy"] = fairness_discrepancy(shares, target)
    for tag, share in zip(column_tag(names), shares):
        metrics[f"training_share_{tag}"] = float(share)
    rows = read_log(context.run_dir / "log.csv")
    if rows:  # the critic's last measured slopes per group (log.csv has every row)
        metrics.update({k: v for k, v in rows[-1].items() if k.startswith("slope_")})
    metrics["target_slope"] = 1.0 / space_scale
    metrics["train_seconds"] = round(trainer.elapsed_seconds, 2)
    metrics["wall_seconds"] = round(wall, 2)
    artifacts.append(plot_samples(data, samples, context.run_dir / "samples.png"))
    curves = plot_training_curves(context.run_dir / "log.csv", context.run_dir / "curves.png",
                                  f"fairness {data.name}")
    if curves is not None:
        artifacts.append(curves)
    return RunResult(metrics=metrics, artifacts=artifacts)


def plot_samples(data: GroupData, samples: GroupedSamples, path: Path) -> Path:
    """Generated samples by group: a scatter over the real points (the first two columns), or
    a grid of generated digits labelled by their assigned group."""
    plt = pyplot()
    if data.name == "digits":
        fig, axes = plt.subplots(6, 12, figsize=(9, 5))
        for ax, img, g in zip(axes.flat, samples.fake, samples.fake_groups):
            ax.imshow(img.reshape(8, 8).clamp(0, 1).numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(data.group_names[int(g)], fontsize=6)
            ax.axis("off")
        return save_figure(fig, path, dpi=110)
    fig, ax = plt.subplots(figsize=(6, 6))
    real = samples.real
    ax.scatter(real[:, 0], real[:, 1] if real.shape[1] > 1 else real[:, 0] * 0, s=2,
               c="0.75", label="reference")
    for i, name in enumerate(data.group_names):
        pts = samples.fake[samples.fake_groups == i]
        ax.scatter(pts[:, 0], pts[:, 1] if pts.shape[1] > 1 else pts[:, 0] * 0, s=2,
                   label=f"generated: {name}")
    ax.legend(markerscale=5, fontsize=8)
    ax.set_title(f"{data.name}: generated samples by group ({samples.assignment})", fontsize=9)
    return save_figure(fig, path, dpi=110)


# ---------------------------------------------------------------------- trained runs

@dataclass
class TrainedRun:
    config: FairnessConfig
    generator: Generator  # network units (EMA weights when the run kept them)
    norm: Normalization
    data: GroupData


def load_trained(run_dir: Path) -> TrainedRun:
    """A fairness run folder's config, data, normalization and sampling generator."""
    config, checkpoint = load_run(run_dir, PLUGIN)
    norm = checkpoint_normalization(checkpoint)
    if norm is None:
        raise CheckpointError(f"{run_dir}: the checkpoint holds no data normalization")
    return TrainedRun(config, load_generator(run_dir, config, checkpoint), norm,
                      load_data(config))


def load_generator(run_dir: Path, config: FairnessConfig, checkpoint: dict[str, Any]
                   ) -> Generator:
    """The trained generator in the networks' units (EMA weights when kept); ``wgan.load``
    hands it out in data units (the checkpoint's normalization; a tabular run's last columns,
    the group probabilities, pass through)."""
    data = load_data(config)
    generator, _ = build_models(config, data.dim, len(data.group_names) if data.tabular else 0)
    return load_sampling_generator(generator, checkpoint)


def audit(run_dir: Path, n: int, seed: int, device: torch.device) -> GroupedSamples:
    """``wgan audit``: n generated samples of a run and the population, grouped."""
    t = load_trained(run_dir)
    samples = grouped_samples(t.data, t.generator, t.norm, n, seed,
                              target_shares(t.config, t.data.group_names), device)
    samples.target_source = (f"the run's --target-proportions {t.config.target_proportions}"
                             if t.config.target_proportions else
                             "parity: uniform over groups (the run's default)")
    return samples


def sample(run_dir: Path, n: int, output: Path, seed: int, device: torch.device) -> list[Path]:
    """n new samples as CSV (feature columns and a group column: generated for tabular runs,
    assigned by nearest mode or classifier otherwise), or a picture when output ends in .png."""
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".txt", ".png"):
        raise DataError(f"{output}: use a .csv (or .txt) or .png output")
    t = load_trained(run_dir)
    target = target_shares(t.config, t.data.group_names)
    samples = grouped_samples(t.data, t.generator, t.norm, n, seed, target, device)
    output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        return [plot_samples(t.data, samples, output)]
    columns = t.data.columns or [f"x{i}" for i in range(t.data.dim)]
    group_col = t.config.group_column or "group"
    with open(output, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns + [group_col])
        for row, g in zip(samples.fake.tolist(), samples.fake_groups.tolist()):
            writer.writerow([f"{v:.6g}" for v in row] + [t.data.group_names[g]])
    return [output]


PLUGIN = Plugin(
    name="fairness",
    summary="Under-represented groups: reweighting, a per-group penalty and a group-wise audit.",
    config_class=FairnessConfig,
    run=run,
    sample=sample,
    load_generator=load_generator,
    audit=audit,
    smoke_overrides={"steps": 3, "batch_size": 32, "hidden": 16, "n_eval": 200, "log_every": 1,
                     "checkpoint_every": 2, "n_train": 500},
    metrics_schema=METRICS_SCHEMA,
)

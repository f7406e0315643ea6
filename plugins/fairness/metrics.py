"""Fairness measurements: the critic's slopes per group during training (log.csv), and the
audit report flattened into metrics.json. The group-wise metrics themselves are the core's
(``wgan_core.groups``)."""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import Tensor

from wgan_core.callbacks import Callback
from wgan_core.trainer import Trainer


def column_tag(names: list[str]) -> list[str]:
    """Group names as CSV column suffixes (``0-4`` -> ``0_4``); ``g<i>`` when that clashes."""
    tags = [re.sub(r"\W+", "_", n).strip("_") or f"g{i}" for i, n in enumerate(names)]
    return tags if len(set(tags)) == len(tags) else [f"g{i}" for i in range(len(names))]


class GroupSlopes(Callback):
    """Adds, per group, the mean and max of the critic's slope at interpolates between that
    group's real samples and generated ones (the points where a per-group penalty holds the
    critic) to every row of log.csv: ``slope_mean_<group>``, ``slope_max_<group>``.

    Probes draw from their own generator (seeded by the step), so logging never moves the
    training stream; slopes are in the critic's input units, beside the trainer's own
    ``slope_mean`` (target slope: the space's ``target_slope``)."""

    def __init__(self, real: Tensor, groups: Tensor, names: list[str], per_group: int = 256
                 ) -> None:
        self.by_group = [real[groups == i] for i in range(len(names))]
        self.tags = column_tag(names)
        self.per_group = per_group
        self.log_columns = tuple(f"slope_{stat}_{t}" for t in self.tags for stat in ("mean", "max"))

    def log_values(self, trainer: Trainer) -> dict[str, float]:
        if trainer.critic is None:
            return {}
        rng = torch.Generator().manual_seed(1_000_003 + trainer.step)
        gen = trainer.generator
        with torch.no_grad():
            fake = gen(gen.sample_latent(self.per_group, rng, trainer.device)).cpu()
        out: dict[str, float] = {}
        for tag, pts in zip(self.tags, self.by_group):
            if len(pts) == 0:
                continue
            real = pts[torch.randint(0, len(pts), (self.per_group,), generator=rng)]
            probe = trainer.space.interpolate(real, fake, rng).to(trainer.device)
            slopes = trainer.measure_slopes(probe)
            out[f"slope_mean_{tag}"] = float(slopes.mean())
            out[f"slope_max_{tag}"] = float(slopes.max())
        return out


def flat_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """The audit report's numbers as flat metrics.json keys (``share_<group>`` ...)."""
    tags = column_tag([g["name"] for g in report["groups"]])
    out: dict[str, Any] = {"discrepancy": report["discrepancy"],
                           "coverage_ratio": report["coverage_ratio"]}
    out.update({f"overall_{k}": v for k, v in report["overall"].items()})
    for tag, g in zip(tags, report["groups"]):
        for key in ("share", "target_share", "coverage", "knn_coverage", "precision", "w1",
                    "modes_covered"):
            if key in g:
                out[f"{key}_{tag}"] = g[key]
    return out

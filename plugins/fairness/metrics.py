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


_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_SHARE_OR_NONE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_NONNEG = {"type": "number", "minimum": 0}
#: ||p - q||_2 between two distributions over groups: at most sqrt(2) (all mass moved).
_DISCREPANCY = {"type": "number", "minimum": 0, "maximum": 2 ** 0.5 + 1e-9}
#: The per-group keys every audit writes (``flat_metrics``), with ``modes_covered`` where the
#: data has modes.
_PER_GROUP = ("share", "target_share", "coverage", "knn_coverage", "precision", "w1",
              "training_share")


def _group_keys(tags: list[str], modes: bool) -> list[str]:
    keys = [f"{key}_{tag}" for tag in tags for key in _PER_GROUP]
    keys += [f"slope_{stat}_{tag}" for tag in tags for stat in ("mean", "max")]
    return keys + ([f"modes_covered_{tag}" for tag in tags] if modes else [])


#: JSON Schema of a fairness run's metrics.json. Group keys are ``<metric>_<group tag>``: on
#: grid25-groups (the default) the groups majority and minority, on digits 0_4 and 5_9.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "fairness metrics.json",
    "type": "object",
    "required": ["dataset", "steps", "reweight", "group_penalty", "assignment", "discrepancy",
                 "coverage_ratio", "overall_precision", "overall_density", "overall_coverage",
                 "overall_recall", "overall_w1", "training_discrepancy", "slope_mean",
                 "slope_max", "target_slope", "train_seconds", "wall_seconds"],
    "properties": {
        "dataset": {"type": "string", "minLength": 1},
        "steps": {"type": "integer", "minimum": 0},
        "reweight": {"enum": ["none", "inverse-frequency", "target"]},
        "group_penalty": {"type": "boolean"},
        "assignment": {"type": "string", "minLength": 1},
        "discrepancy": _DISCREPANCY,
        "training_discrepancy": _DISCREPANCY,
        "coverage_ratio": _SHARE,  # min / max of the groups' coverages
        "overall_precision": _SHARE, "overall_recall": _SHARE, "overall_coverage": _SHARE,
        "overall_density": _NONNEG,  # PRDC's density may exceed 1
        "overall_w1": _NONNEG,
        "target_slope": {"type": "number", "exclusiveMinimum": 0},
        "train_seconds": _NONNEG, "wall_seconds": _NONNEG,
    },
    "patternProperties": {
        "^(share|target_share|training_share)_": _SHARE,
        # None for a group with no generated sample (precision, w1) or no coverage reading
        "^(coverage|knn_coverage|precision)_": _SHARE_OR_NONE,
        "^w1_": {"type": ["number", "null"], "minimum": 0},
        "^modes_covered_": {"type": "integer", "minimum": 0},
        "^slope_": {"type": ["number", "null"], "minimum": 0},  # slopes are norms
    },
    "allOf": [
        {"if": {"properties": {"dataset": {"const": "grid25-groups"}}},
         "then": {"required": _group_keys(["majority", "minority"], modes=True)}},
        {"if": {"properties": {"dataset": {"const": "digits"}}},
         "then": {"required": _group_keys(["0_4", "5_9"], modes=False)}},
    ],
}

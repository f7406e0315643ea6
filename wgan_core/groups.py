"""Groups of samples: fairness groups, federated clients and mixture modes alike.

A plugin whose samples fall into groups offers ``Plugin.audit(run_dir, n, seed, device) ->
GroupedSamples``: real reference samples and ``n`` generated ones, each with an integer
group, and how a generated sample got its group. The group-wise metrics of this module (and
``wgan audit``) take it from there, knowing no domain:

- :func:`group_report`: per group, through fairlearn's ``MetricFrame``, the share of the
  generated samples against the target share, mode coverage (known modes) or k-NN coverage
  and precision (Naeem et al. 2020) on the group's real samples, and the exact W1 between the
  group's real and generated samples; the fairness discrepancy (Choi et al. 2020) over shares;
- :func:`group_weights`: per-sample weights on the real expectation (inverse frequency, a
  target distribution, Kamiran & Calders' reweighing when samples carry a label).

How an audit is judged and printed (thresholds, the text table) belongs to the API and CLI
that show it (``wgan.audit``); its picture is ``wgan_core.plots.plot_report``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from .errors import DataError

@dataclass
class GroupedSamples:
    """Real and generated samples with a group each (integers indexing ``group_names``).

    ``assignment`` says how generated samples got their group ("nearest mode", "classifier,
    held-out accuracy 0.96", "generated column"); ``target`` is the share each group should
    have (None: uniform over groups) and ``target_source`` why (printed with the audit: "the
    data's mode shares", "--target-proportions"). When the data has known modes, ``modes`` ([M, dim]),
    ``mode_groups`` ([M], the group of each mode) and ``mode_std`` allow per-group mode
    coverage; otherwise k-NN coverage on each group's real samples is used.
    ``assignment_accuracy`` is the held-out accuracy of the classifier that assigned the
    generated groups, when one did."""

    real: Tensor
    real_groups: Tensor
    fake: Tensor
    fake_groups: Tensor
    group_names: list[str]
    assignment: str
    target: Tensor | None = None
    modes: Tensor | None = None
    mode_groups: Tensor | None = None
    mode_std: float = 0.0
    assignment_accuracy: float | None = None
    target_source: str | None = None


# ---------------------------------------------------------------------- shares and weights

def group_shares(groups: Tensor | np.ndarray, n_groups: int) -> np.ndarray:
    """The share of each of ``n_groups`` groups, 0 for a group that never occurs (np.unique
    and MetricFrame would leave it out)."""
    g = np.asarray(groups, dtype=np.int64).reshape(-1)
    if len(g) == 0:
        return np.zeros(n_groups)
    return np.bincount(g, minlength=n_groups)[:n_groups] / len(g)


def fairness_discrepancy(shares: Sequence[float] | np.ndarray,
                         target: Sequence[float] | np.ndarray | None = None) -> float:
    """||p_hat - p_target||_2 over group shares (Choi et al. 2020); target uniform by default.
    Two groups at 90/10 against 50/50: sqrt(2) * 0.4 = 0.566."""
    p = np.asarray(shares, dtype=np.float64)
    t = np.full(len(p), 1.0 / len(p)) if target is None else np.asarray(target, np.float64)
    return float(np.linalg.norm(p - t))


def parse_proportions(text: str, group_names: Sequence[str]) -> np.ndarray:
    """Target shares from ``"name=0.3,other=0.7"`` (every group named once), ``"0.3,0.7"``
    (in the order of ``group_names``) or ``"uniform"`` (parity); DataError unless they are
    non-negative and sum to 1."""
    names = list(group_names)
    if text.strip().lower() == "uniform":
        return np.full(len(names), 1.0 / len(names)) if names else np.zeros(0)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    values = np.zeros(len(names))
    if parts and all("=" in p for p in parts):
        seen = set()
        for part in parts:
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in names:
                raise DataError(f"target proportions name unknown group '{name}' "
                                f"(groups: {', '.join(names)})")
            if name in seen:
                raise DataError(f"target proportions name group '{name}' twice")
            seen.add(name)
            values[names.index(name)] = _proportion(value)
        missing = [n for n in names if n not in seen]
        if missing:
            raise DataError(f"target proportions give no share for group '{missing[0]}' "
                            f"(groups: {', '.join(names)})")
    else:
        if len(parts) != len(names):
            raise DataError(f"target proportions: {len(parts)} values for {len(names)} groups "
                            f"({', '.join(names)}); give one per group or name=share pairs")
        values = np.array([_proportion(p) for p in parts])
    if abs(values.sum() - 1.0) > 1e-6:
        raise DataError(f"target proportions sum to {values.sum():.6g}, not 1")
    return values


def _proportion(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"target proportion '{text.strip()}' is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise DataError(f"target proportion {text.strip()} must be a number >= 0")
    return value


def group_weights(groups: Tensor | np.ndarray, target: Sequence[float] | np.ndarray | None = None,
                  labels: Tensor | np.ndarray | None = None, n_groups: int | None = None
                  ) -> Tensor:
    """Per-sample weights (mean 1) on the real expectation, so that the groups count as in
    ``target`` (uniform by default: inverse-frequency weights, every group's total weight
    equal).

    With ``labels`` it is Kamiran & Calders' reweighing (AIF360's ``Reweighing``; fairlearn
    0.15 has none, issue #784), w(s, y) = P_target(s) P(y) / P(s, y): group and label become
    independent, with the groups in the target shares (``target=None`` keeps the data's own
    group shares, which is exactly Kamiran & Calders)."""
    g = np.asarray(groups, dtype=np.int64).reshape(-1)
    k = int(n_groups if n_groups is not None else g.max() + 1)
    counts = np.bincount(g, minlength=k).astype(np.float64)
    p_s = counts / len(g)
    if labels is None:
        t = np.full(k, 1.0 / k) if target is None else np.asarray(target, np.float64)
        present = counts > 0
        if (t[~present] > 0).any():
            name = int(np.flatnonzero(~present & (t > 0))[0])
            raise DataError(f"group {name} has a target share but no samples to weight")
        w = np.where(present, t / np.where(present, p_s, 1.0), 0.0)[g]
    else:
        y = np.unique(np.asarray(labels).reshape(-1), return_inverse=True)[1]
        p_y = np.bincount(y) / len(y)
        joint = np.zeros((k, len(p_y)))
        np.add.at(joint, (g, y), 1.0)
        joint /= len(g)
        t = p_s if target is None else np.asarray(target, np.float64)
        w = t[g] * p_y[y] / joint[g, y]
    return torch.as_tensor(w / w.mean(), dtype=torch.float32)


# ---------------------------------------------------------------------- the report

def _wilson(successes: int, n: int) -> list[float]:
    """The 95 % Wilson interval of a proportion (scipy). Analytic, unlike MetricFrame's
    bootstrap (about 80 ms a resample at 10^4 samples), and not degenerate at 0: a group never
    generated gets [0, upper] rather than [0, 0]."""
    if n == 0:
        return [math.nan, math.nan]
    from scipy.stats import binomtest

    ci = binomtest(int(successes), int(n)).proportion_ci(0.95, method="wilson")
    return [float(ci.low), float(ci.high)]


def _frame(values: dict[str, np.ndarray], groups: np.ndarray, names: list[str],
           total: int | None = None) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Per-group means (and the share of ``total`` as 'share') of per-sample values through
    fairlearn's MetricFrame, reindexed to every group name (absent groups: NaN, share 0)."""
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    if len(groups) == 0:
        nan = [math.nan] * len(names)
        return {k: list(nan) for k in values} | ({"share": [0.0] * len(names)} if total else {}), {}
    first = next(iter(values.values()))
    metrics: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, arr in values.items():
        # MetricFrame calls metric(y_true, y_pred, **params); the per-sample value rides along
        # as a sample parameter, split by group with the rows (y_true is a dummy).
        metrics[key] = lambda yt, yp, v: float(np.mean(v))
        params[key] = {"v": np.asarray(arr, dtype=np.float64)}
    if total:
        metrics["share"] = lambda yt, yp: len(yt) / total
    frame = MetricFrame(metrics=metrics, y_true=np.zeros(len(first)), y_pred=np.zeros(len(first)),
                        sensitive_features=pd.Series(np.asarray(names, dtype=object)[groups],
                                                     name="group"),
                        sample_params=params)
    by_group = frame.by_group.reindex(names)
    if total:
        by_group["share"] = by_group["share"].fillna(0.0)
    return ({k: [float(v) for v in by_group[k]] for k in by_group.columns},
            {k: float(v) for k, v in frame.overall.items()})


def _check(samples: GroupedSamples, k: int) -> None:
    names = samples.group_names
    if not names:
        raise DataError("no groups to audit")
    for side, x, g in (("reference", samples.real, samples.real_groups),
                       ("generated", samples.fake, samples.fake_groups)):
        if x.ndim < 2 or len(x) != len(g):
            raise DataError(f"{side} samples: {len(x)} rows but {len(g)} group labels")
        if len(x) <= k:
            raise DataError(f"{side} samples: {len(x)} rows; k-NN metrics need more than k={k}")
        if not torch.isfinite(x.float()).all():
            raise DataError(f"{side} samples hold NaN or infinite values")
        if len(g) and (int(g.min()) < 0 or int(g.max()) >= len(names)):
            raise DataError(f"{side} samples: group labels outside 0..{len(names) - 1}")
    if samples.real.shape[1:] != samples.fake.shape[1:]:
        raise DataError(f"generated samples have shape {tuple(samples.fake.shape[1:])}, the "
                        f"reference {tuple(samples.real.shape[1:])}")
    counts = np.bincount(samples.real_groups.numpy(), minlength=len(names))
    if samples.modes is None:
        small = [i for i, c in enumerate(counts) if c <= k]
        if small:
            i = small[0]
            raise DataError(f"group '{names[i]}' has {counts[i]} reference samples; k-NN "
                            f"coverage needs more than k={k}")
    elif (counts == 0).any():
        raise DataError(f"group '{names[int(np.flatnonzero(counts == 0)[0])]}' has no "
                        f"reference samples")
    if samples.target is not None:
        t = np.asarray(samples.target, dtype=np.float64)
        if t.shape != (len(names),) or (t < 0).any() or abs(t.sum() - 1) > 1e-6:
            raise DataError(f"target shares must be {len(names)} numbers >= 0 summing to 1")


def group_report(samples: GroupedSamples, k: int = 5, w1_samples: int = 1000,
                 seed: int = 0) -> dict[str, Any]:
    """Group-wise metrics of generated against real samples (DataError for unusable input).

    Per group: ``share`` of the generated samples (0 for a group never generated) with its
    Wilson interval, beside ``target_share``; ``knn_coverage`` (share of the group's real
    samples whose k-NN ball holds a generated sample) and ``precision`` (share of the group's
    generated samples inside some real k-NN ball), with intervals; ``modes_covered`` /
    ``mode_coverage`` when modes are known; ``w1`` (exact, POT, up to ``w1_samples`` a side;
    None for a group never generated). ``coverage`` is the mode coverage where modes are
    known, else the k-NN coverage: what the thresholds read. Overall: ``discrepancy``, the
    PRDC aggregates and W1 of all samples; ``target``: the target shares by group name and
    their ``source``."""
    from .metrics import prdc_per_sample, w1_exact

    _check(samples, k)
    names = list(samples.group_names)
    n_groups = len(names)
    real, fake = samples.real.float().cpu(), samples.fake.float().cpu()
    rg, fg = samples.real_groups.long().cpu().numpy(), samples.fake_groups.long().cpu().numpy()
    target = (np.full(n_groups, 1.0 / n_groups) if samples.target is None
              else np.asarray(samples.target, dtype=np.float64))
    per = prdc_per_sample(real, fake, k=k)
    fake_by, fake_all = _frame({"precision": per["fake_precise"],
                                "density": per["fake_density"]}, fg, names, total=len(fg))
    real_by, real_all = _frame({"knn_coverage": per["real_covered"],
                                "recall": per["real_recalled"]}, rg, names)
    shares = np.array(fake_by["share"])
    n_fake = np.bincount(fg, minlength=n_groups)
    n_real = np.bincount(rg, minlength=n_groups)

    modes_by: dict[str, list[float]] = {}
    if samples.modes is not None and samples.mode_groups is not None:
        modes = samples.modes.float().cpu()
        d = torch.cdist(fake.reshape(len(fake), -1), modes)
        dist, nearest = d.min(dim=1)
        high = dist <= 3.0 * samples.mode_std  # PacGAN's high-quality sample
        hits = np.bincount(nearest[high].numpy(), minlength=len(modes))
        mg = samples.mode_groups.long().cpu().numpy()
        # One row per mode: MetricFrame splits "is this mode covered" by the mode's group.
        modes_by, _ = _frame({"mode_coverage": hits > 0}, mg, names)
        modes_by["modes_covered"] = [int((hits[mg == i] > 0).sum()) for i in range(n_groups)]
        modes_by["modes_total"] = [int((mg == i).sum()) for i in range(n_groups)]

    rng = np.random.default_rng(seed)

    def pick(idx: np.ndarray) -> np.ndarray:
        return idx if len(idx) <= w1_samples else rng.choice(idx, w1_samples, replace=False)

    groups_out = []
    for i, name in enumerate(names):
        ri, fi = np.flatnonzero(rg == i), np.flatnonzero(fg == i)
        w1 = (w1_exact(real[pick(ri)], fake[pick(fi)]) if len(fi) and len(ri) else None)
        covered = int(round(real_by["knn_coverage"][i] * n_real[i])) if n_real[i] else 0
        precise = int(round(fake_by["precision"][i] * n_fake[i])) if n_fake[i] else 0
        row: dict[str, Any] = {
            "name": name, "target_share": float(target[i]), "share": float(shares[i]),
            "share_ci": _wilson(int(n_fake[i]), len(fg)),
            "n_generated": int(n_fake[i]), "n_reference": int(n_real[i]),
            "knn_coverage": _nan_none(real_by["knn_coverage"][i]),
            "knn_coverage_ci": _wilson(covered, int(n_real[i])),
            "precision": _nan_none(fake_by["precision"][i]),
            "precision_ci": _wilson(precise, int(n_fake[i])) if n_fake[i] else None,
            "w1": w1,
        }
        if modes_by:
            total_i = modes_by["modes_total"][i]
            row.update(modes_covered=modes_by["modes_covered"][i], modes_total=total_i,
                       mode_coverage=(modes_by["modes_covered"][i] / total_i if total_i
                                      else None))
            row["coverage"] = row["mode_coverage"]
            row["coverage_kind"] = "modes"
        else:
            row["coverage"] = row["knn_coverage"]
            row["coverage_kind"] = "knn"
        groups_out.append(row)

    source = samples.target_source or (
        "parity: uniform over groups (no target given)" if samples.target is None
        else "given with the samples")
    all_r, all_f = pick(np.arange(len(real))), pick(np.arange(len(fake)))
    coverages = [g["coverage"] or 0.0 for g in groups_out]
    return {
        "groups": groups_out,
        "discrepancy": fairness_discrepancy(shares, target),
        # Which shares the discrepancy measures against, and why: a perfect generator of
        # imbalanced data fails a parity target, so the audit says which one it used.
        "target": {"shares": {name: float(t) for name, t in zip(names, target)},
                   "source": source},
        "coverage_ratio": (min(coverages) / max(coverages)) if max(coverages) > 0 else 0.0,
        "assignment": samples.assignment,
        "assignment_accuracy": samples.assignment_accuracy,
        "k": k,
        "n_generated": int(len(fake)),
        "n_reference": int(len(real)),
        "overall": {"precision": fake_all.get("precision"), "density": fake_all.get("density"),
                    "coverage": real_all.get("knn_coverage"), "recall": real_all.get("recall"),
                    "w1": w1_exact(real[all_r], fake[all_f])},
    }


def _nan_none(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)

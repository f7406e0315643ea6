"""Federated evaluation: the global generator's mode coverage over all clients' data and per
client, and exact W1 (all from the core's domain-free metrics)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from wgan_core.metrics import mode_coverage, w1_exact

from .data import ClientSplit

#: Samples per side for the exact W1 (the LP is cubic in this).
W1_SAMPLES = 1000


class LabelAssigner:
    """Says which label (mode or class) each generated point belongs to, and whether it is a
    high-quality sample: the nearest mode within 3 sigma for a mixture (PacGAN), the
    classifier's class at >= 0.9 confidence for digits."""

    def __init__(self, split: ClientSplit) -> None:
        self.split = split
        self.classifier = None
        if split.modes is None and split.name == "digits":
            from wgan_core.datasets import DigitsClassifier

            self.classifier = DigitsClassifier()

    @property
    def available(self) -> bool:
        return self.split.modes is not None or self.classifier is not None

    @property
    def how(self) -> str:
        if self.split.modes is not None:
            return "nearest mode (high quality within 3 sigma)"
        if self.classifier is not None:
            return (f"digit classifier, held-out accuracy "
                    f"{self.classifier.held_out_accuracy:.3f} (high quality at p >= 0.9)")
        return "nearest real point's client"

    def __call__(self, x: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(label, high-quality flag) per generated point."""
        if self.split.modes is not None:
            m = self.split.modes.double()
            d = torch.cdist(x.double(), m)
            dist, nearest = d.min(dim=1)
            return nearest.numpy(), (dist <= 3.0 * self.split.std).numpy()
        assert self.classifier is not None
        proba = self.classifier.model.predict_proba(x.detach().cpu().numpy())
        return proba.argmax(axis=1), proba.max(axis=1) >= 0.9


def coverage(fake: Tensor, split: ClientSplit, assigner: LabelAssigner) -> dict[str, Any]:
    """Modes covered (all, minority, per client) by generated points."""
    out: dict[str, Any] = {}
    if not assigner.available:
        out.update(modes_covered=None, modes_total=None, high_quality_fraction=None,
                   minority_modes_covered=None, minority_modes_total=None)
        out["client_coverage"] = [None] * split.n_clients
        return out
    if split.modes is not None:
        m = mode_coverage(fake, split.modes, split.std)
        out.update(modes_covered=m["modes_covered"], modes_total=m["modes_total"],
                   high_quality_fraction=m["high_quality_fraction"])
    label, high = assigner(fake)
    covered = set(np.unique(label[high]).tolist())
    if split.modes is None:
        out.update(modes_covered=len(covered), modes_total=split.n_labels,
                   high_quality_fraction=float(high.mean()))
    minority = split.minority_labels
    out["minority_modes_covered"] = sum(1 for i in minority if i in covered)
    out["minority_modes_total"] = len(minority)
    out["client_coverage"] = []
    for c in range(split.n_clients):
        held = split.held_labels(c)
        out["client_coverage"].append(sum(1 for i in held if i in covered) / len(held)
                                      if held else None)
    return out


def w1(fake: Tensor, real: Tensor, n: int = W1_SAMPLES, seed: int = 0) -> float:
    """Exact W1 between (at most n of) the generated and the real points."""
    g = torch.Generator().manual_seed(seed)
    r = real[torch.randperm(len(real), generator=g)[:n]]
    return w1_exact(r, fake[:n])


_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_NONNEG = {"type": "number", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}


def _or_none(schema: dict[str, Any]) -> dict[str, Any]:
    """The same, or null (coverage is None when no label can be assigned: --data points
    without modes)."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


_CLIENT = {
    "type": "object",
    "required": ["client", "samples", "share", "modes_held", "modes_covered_share", "w1_exact"],
    "properties": {
        "client": _COUNT,
        "samples": _COUNT,
        "share": _SHARE,  # of all training samples
        "modes_held": {"type": "array", "items": _COUNT},
        "modes_covered_share": _or_none(_SHARE),  # None for a client that holds no label
        "w1_exact": _NONNEG,
    },
}

#: JSON Schema of a federated run's metrics.json.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "federated metrics.json",
    "type": "object",
    "required": ["modes_covered", "modes_total", "high_quality_fraction",
                 "minority_modes_covered", "minority_modes_total", "w1_exact", "clients",
                 "majority_client", "rounds", "wall_seconds", "bytes_sent_per_round",
                 "failures", "rejected", "algorithm", "weighting", "aggregator", "partition",
                 "dataset", "n_clients", "local_steps", "label_assignment"],
    "properties": {
        "modes_covered": _or_none(_COUNT),
        "modes_total": _or_none({"type": "integer", "minimum": 1}),
        "high_quality_fraction": _or_none(_SHARE),
        "minority_modes_covered": _or_none(_COUNT),
        "minority_modes_total": _or_none(_COUNT),
        "w1_exact": _NONNEG,
        "clients": {"type": "array", "items": _CLIENT, "minItems": 1},
        "majority_client": _COUNT,
        "rounds": _COUNT,
        "wall_seconds": _NONNEG,
        "bytes_sent_per_round": {
            "type": "object", "required": ["server_to_clients", "clients_to_server"],
            "properties": {"server_to_clients": _NONNEG, "clients_to_server": _NONNEG}},
        "failures": _COUNT,
        "rejected": _COUNT,
        "algorithm": {"enum": ["fedgan", "private-critics"]},
        "weighting": {"enum": ["samples", "uniform", "sqrt"]},
        "aggregator": {"enum": ["mean", "median", "trimmed-mean", "krum"]},
        "partition": {"enum": ["modes", "dirichlet", "iid"]},
        "dataset": {"type": "string", "minLength": 1},
        "n_clients": {"type": "integer", "minimum": 1},
        "local_steps": {"type": "integer", "minimum": 1},
        "label_assignment": {"type": "string", "minLength": 1},
    },
}


def w1_balanced(fake: Tensor, split: ClientSplit, n: int = W1_SAMPLES, seed: int = 0) -> float:
    """Exact W1 between (at most n of) the generated points and n real points drawn from the
    client-balanced mixture (each client's rows together drawn with equal probability: the
    distribution uniform client weighting aims at)."""
    g = torch.Generator().manual_seed(seed)
    clients = torch.randint(0, split.n_clients, (n,), generator=g)
    rows = []
    for c in range(split.n_clients):
        own = split.client_points(c)
        k = int((clients == c).sum())
        if k:
            rows.append(own[torch.randint(0, len(own), (k,), generator=g)])
    return w1_exact(torch.cat(rows), fake[:n])

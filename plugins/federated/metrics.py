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

"""One data-units seam: the normalization a plugin applies travels in the checkpoint and the
core's loader undoes it, so every plugin's trained generator speaks the data's units."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

import wgan
from wgan_core.checkpoint import load_checkpoint
from wgan_core.errors import CheckpointError
from wgan_core.units import DataUnits, Normalization, checkpoint_normalization


def test_normalization_round_trips_and_passes_extra_columns_through() -> None:
    norm = Normalization(torch.tensor([100.0, -3.0]), torch.tensor([5.0, 0.5]))
    x = torch.tensor([[105.0, -2.0, 0.25], [90.0, -3.5, 0.75]])  # 2 features + 1 extra
    net = norm.to_network(x)
    assert torch.allclose(net[:, :2], torch.tensor([[1.0, 2.0], [-2.0, -1.0]]))
    assert torch.equal(net[:, 2], x[:, 2])
    assert torch.allclose(norm.to_data(net), x)
    again = Normalization.from_state(norm.state_dict())
    assert torch.equal(again.mean, norm.mean) and torch.equal(again.std, norm.std)
    with pytest.raises(ValueError, match="positive"):
        Normalization(torch.zeros(2), torch.tensor([1.0, 0.0]))
    with pytest.raises(CheckpointError, match="invalid normalization"):
        Normalization.from_state({"mean": torch.zeros(2)})


def read_rows(path: Path) -> np.ndarray:
    with open(path) as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array([[float(v) for v in r if _number(v)] for r in rows])


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("plugin,options", [
    ("toy", {"steps": 3, "batch_size": 32, "hidden": 16, "n_eval": 50, "dot_steps": 0}),
    ("fairness", {"steps": 3, "batch_size": 32, "hidden": 16, "n_eval": 50, "n_train": 500}),
])
def test_wgan_load_and_wgan_sample_agree_in_data_units(plugin: str, options: dict,
                                                       tmp_path: Path) -> None:
    """Both plugins train on data divided by its std (grid25: about 2.8); the checkpoint
    holds that normalization, wgan.load's generator undoes it, and its samples are the very
    points `wgan sample` writes with the same seed."""
    run = tmp_path / "run"
    wgan.run(plugin, out=run, quiet=True, device="cpu", **options)
    checkpoint = load_checkpoint(run / "checkpoints" / "last.pt")
    norm = checkpoint_normalization(checkpoint)
    assert norm is not None and norm.dim == 2 and float(norm.std[0]) > 2.0
    loaded = wgan.load(run)
    assert isinstance(loaded.generator, DataUnits)
    drawn = loaded.generator.sample(40, generator=torch.Generator().manual_seed(7))
    network = loaded.generator.network.sample(40, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(drawn[:, :2], network[:, :2] * norm.std + norm.mean)
    wgan.sample(run, n=40, output=tmp_path / "s.csv", seed=7, device="cpu")
    written = read_rows(tmp_path / "s.csv")[:, :2]
    np.testing.assert_allclose(written, drawn[:, :2].numpy(), rtol=1e-4, atol=1e-4)

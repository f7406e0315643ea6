"""A whole simulated run (Flower's simulation engine on Ray) and the inputs refused before it
starts."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from wgan_core.errors import CheckpointError, ConfigError, DataError
from wgan_core.runs import execute
from wgan_plugins.federated import PLUGIN
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.data import build_split

METRIC_KEYS = {"modes_covered", "modes_total", "high_quality_fraction", "w1_exact",
               "minority_modes_covered", "minority_modes_total", "clients", "rounds",
               "wall_seconds", "bytes_sent_per_round", "failures", "rejected"}
CLIENT_KEYS = {"client", "share", "samples", "modes_held", "modes_covered_share", "w1_exact"}


def test_three_clients_two_rounds_with_a_crashing_client(tmp_path: Path) -> None:
    """The smoke run (3 clients x 2 rounds) with client 2 crashing every round: the run
    completes with the others and rounds.csv counts the failure."""
    out = tmp_path / "run"
    options = {**PLUGIN.smoke_overrides, "faulty_clients": 1, "fault": "crash",
               "device": "cpu", "logger": "tensorboard"}
    result = execute(PLUGIN, options, out=out, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    assert METRIC_KEYS <= set(metrics)
    assert len(metrics["clients"]) == 3 and all(CLIENT_KEYS <= set(c) for c in metrics["clients"])
    assert metrics["rounds"] == 2 and metrics["modes_total"] == 25
    assert metrics["minority_modes_total"] == 18
    assert abs(sum(c["share"] for c in metrics["clients"]) - 1) < 1e-9
    assert metrics["failures"] == 2  # one per round
    with open(out / "rounds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["round"] for r in rows] == ["1", "2"]
    assert all(r["failures"] == "1" and r["replied"] == "2" and r["clients_replied"] == "0 1"
               for r in rows)
    assert all(int(r["bytes_down"]) > 0 and int(r["bytes_up"]) > 0 for r in rows)
    for name in ("samples.png", "clients.png", "config.toml", "checkpoints/last.pt"):
        assert (out / name).exists(), name
    assert result.run_dir == out
    # --logger tensorboard: rounds.csv's numeric columns as scalars by round.
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    board = event_accumulator.EventAccumulator(str(out / "tensorboard" / "rounds"))
    board.Reload()
    assert {"rounds/failures", "rounds/w1_exact", "rounds/bytes_up"} <= set(
        board.Tags()["scalars"])
    assert [(e.step, e.value) for e in board.Scalars("rounds/failures")] == [(1, 1.0), (2, 1.0)]

    # The run folder serves `wgan sample` and `wgan audit` like any other plugin's.
    points = PLUGIN.sample(out, 50, tmp_path / "s.csv", 0, torch.device("cpu"))[0]
    assert len(points.read_text().splitlines()) == 51
    # The loaded generator (in data units) draws its latent as trained: noise and a one-hot
    # client index in the checkpoint's mixture (uniform here), not a normal in every input.
    from wgan_plugins.federated.plugin import global_generator
    onehot = global_generator(out).sample_latent(300, torch.Generator().manual_seed(0))[:, -3:]
    assert ((onehot == 0) | (onehot == 1)).all() and (onehot.sum(dim=1) == 1).all()
    assert (onehot.sum(dim=0) > 0).all()  # all three clients drawn (P(miss) < 1e-50)
    grouped = PLUGIN.audit(out, 100, 0, torch.device("cpu"))
    assert grouped.fake.shape == (100, 2) and len(grouped.group_names) == 3
    assert set(grouped.fake_groups.tolist()) <= {0, 1, 2}
    assert grouped.mode_groups is not None and len(grouped.mode_groups) == 25

    # A resumed run that has all its rounds just re-evaluates (no new simulation).
    again = execute(PLUGIN, {}, resume=out, progress=False)
    assert again.metrics["rounds"] == 2
    # Resuming with the generator's input changed cannot load the checkpoint: one clear
    # error, and the run folder is left as it was.
    before = (out / "metrics.json").read_bytes()
    with pytest.raises(CheckpointError, match="checkpoint"):
        execute(PLUGIN, {"client_conditioned": False, "rounds": 3}, resume=out,
                progress=False)
    assert (out / "metrics.json").read_bytes() == before


@pytest.mark.parametrize("options, error, match", [
    ({"clients": 0}, ConfigError, "clients"),
    ({"clients": 12, "samples": 10, "partition": "iid"}, DataError, "12 clients but only 10"),
    ({"clients": 10, "dataset": "ring8", "partition": "dirichlet", "alpha": 0.01},
     DataError, "no data|partition dirichlet"),
    ({"clients": 1, "partition": "modes"}, DataError, "at least 2 clients"),
])
def test_bad_input_is_one_clear_error(tmp_path: Path, options: dict, error: type,
                                      match: str) -> None:
    with pytest.raises(error, match=match):
        execute(PLUGIN, {"device": "cpu", **options}, out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # a failed start leaves no folder


def test_ray_missing_is_an_error_not_an_exit(tmp_path: Path, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ConfigError, match="needs Ray"):
        execute(PLUGIN, {**PLUGIN.smoke_overrides, "device": "cpu"}, out=tmp_path / "r",
                progress=False)


def test_user_points_with_a_client_column(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("x,y,client\n" + "".join(f"{i},{i % 7},{'ab'[i % 2]}\n" for i in range(30)))
    split = build_split(FederatedConfig(data=path))
    assert split.n_clients == 2 and split.sizes == [15, 15] and split.n_labels == 0
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(f"{i},{i % 7}\n" for i in range(30)))
    with pytest.raises(DataError, match="labelled data"):
        build_split(FederatedConfig(data=plain, partition="modes"))
    assert build_split(FederatedConfig(data=plain, partition="iid", clients=3)).sizes == \
        [10, 10, 10]


def test_the_default_split_is_the_documented_one() -> None:
    split = build_split(FederatedConfig())
    assert split.n_clients == 10 and split.majority == 0
    assert split.held_labels(0) == [0, 4, 7, 11, 14, 18, 21]
    assert split.held_labels(1) == [1, 13] and split.held_labels(9) == [12, 24]
    assert split.sizes == [3997] + [110] * 9
    assert len(split.minority_labels) == 18

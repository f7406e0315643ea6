"""The toy plugin: its distributions follow the published recipes; user data; evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from wgan_core.errors import DataError
from wgan_plugins.toy.data import builtin, grid25, load_points, ring8
from wgan_plugins.toy.metrics import evaluate


def test_ring8_is_pacgans_ring() -> None:
    data = ring8()
    assert data.modes.shape == (8, 2)
    assert torch.allclose(data.modes.norm(dim=1), torch.ones(8))
    pts = data.sample(8000, torch.Generator().manual_seed(0))
    dist = torch.cdist(pts, data.modes).min(dim=1).values
    assert dist.mean().item() == pytest.approx(0.01 * (torch.pi / 2) ** 0.5, rel=0.05)


def test_grid25_is_pacgans_grid() -> None:
    data = grid25()
    assert sorted(set(data.modes[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    pts = data.sample(5000, torch.Generator().manual_seed(0))
    nearest = torch.cdist(pts, data.modes).argmin(dim=1)
    assert (pts - data.modes[nearest]).std().item() == pytest.approx(0.05, rel=0.05)


def test_real_samples_score_as_perfect() -> None:
    data = builtin("grid25")
    g = torch.Generator().manual_seed(0)
    real, other, third = data.sample(2500, g), data.sample(2500, g), data.sample(2500, g)
    m = evaluate(other, real, data, lambda x, c=None: x[:, 0] * 0, scale=1.0, real_again=third)
    assert m["modes_covered"] == 25 and m["high_quality_fraction"] > 0.99
    assert m["reverse_kl"] < 0.02 and m["w1_critic"] == 0.0
    # Two finite samples of a 25-mode mixture differ in their mode counts: W1 has a floor.
    assert 0.1 < m["w1_floor"] < 0.35 and m["w1_exact"] == pytest.approx(m["w1_floor"], rel=0.3)


def test_collapsed_samples_score_badly() -> None:
    data = builtin("grid25")
    real = data.sample(2500, torch.Generator().manual_seed(0))
    collapsed = torch.zeros(2500, 2)
    m = evaluate(collapsed, real, data, lambda x, c=None: x[:, 0], scale=1.0)
    assert m["modes_covered"] == 1 and m["reverse_kl"] == pytest.approx(torch.log(torch.tensor(25.0)).item())
    assert m["w1_exact"] > 2.0


def test_user_points_load_and_bad_rows_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "pts.csv"
    good.write_text("a,b,c\n" + "".join(f"{i},{i * 2},{-i}\n" for i in range(12)))
    data = load_points(good)
    assert data.dim == 3 and len(data.points) == 12
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n" * 11 + "1,2,3\n")
    with pytest.raises(DataError, match=f"{bad}:12: 3 columns"):
        load_points(bad)
    short = tmp_path / "short.csv"
    short.write_text("1,2\n")
    with pytest.raises(DataError, match="at least 10 points"):
        load_points(short)


TINY = ["--steps", "3", "--batch-size", "16", "--hidden", "8", "--n-eval", "60", "--seed", "4",
        "--quiet"]


def read_points(path: Path) -> torch.Tensor:
    rows = path.read_text().strip().splitlines()[1:]
    return torch.tensor([[float(v) for v in row.split(",")] for row in rows])


def test_dot_samples_are_reported_beside_raw_ones_and_sampled_the_same_way(
        wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = wgan("run", "toy", "--out", out, *TINY)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("modes_covered", "high_quality_fraction", "reverse_kl", "w1_exact", "recall"):
        assert key in metrics and f"dot_{key}" in metrics
    raw, refined = read_points(out / "samples.csv"), read_points(out / "samples_dot.csv")
    assert raw.shape == refined.shape == (60, 2) and not torch.allclose(raw, refined)
    # `wgan sample` with the run's evaluation seed (seed + 1) gives the refined points again.
    code, _, err = wgan("sample", out, "-n", "60", "--seed", "5", "-o", tmp_path / "again.csv")
    assert code == 0, err
    assert torch.allclose(read_points(tmp_path / "again.csv"), refined, atol=1e-4)


def test_without_dot_only_raw_samples_are_reported(wgan, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert wgan("run", "toy", "--out", out, *TINY, "--dot-steps", "0")[0] == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "high_quality_fraction" in metrics and not any(k.startswith("dot_") for k in metrics)
    assert not (out / "samples_dot.csv").exists()
    assert wgan("sample", out, "-n", "60", "--seed", "5", "-o", tmp_path / "again.csv")[0] == 0
    assert torch.allclose(read_points(tmp_path / "again.csv"), read_points(out / "samples.csv"),
                          atol=1e-4)

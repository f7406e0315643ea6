"""The Python API (``import wgan``) has the command line's semantics, without a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import wgan as api
from wgan_core.errors import ConfigError, WganError

TINY = {"steps": 4, "batch_size": 32, "hidden": 8, "n_eval": 60, "dot_steps": 0,
        "log_every": 2, "checkpoint_every": 2}


def test_run_load_sample_and_resume_in_python(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = api.run("toy", out=out, quiet=True, **TINY)
    assert result.run_dir == out
    assert json.loads((out / "metrics.json").read_text())["steps"] == 4
    assert result.metrics["modes_total"] == 25

    loaded = api.load(out)
    assert loaded.config.steps == 4 and loaded.plugin.name == "toy"
    points = loaded.generator.sample(60, generator=torch.Generator().manual_seed(1))
    # The run's own evaluation samples were drawn with seed + 1 = 1, in data units.
    rows = (out / "samples.csv").read_text().strip().splitlines()[1:]
    written = torch.tensor([[float(v) for v in r.split(",")] for r in rows])
    assert torch.allclose(points, written, atol=1e-4)

    paths = api.sample(out, n=10, output=tmp_path / "ten.csv")
    assert len(paths[0].read_text().splitlines()) == 11
    with pytest.raises(ConfigError, match="already exists"):
        api.sample(out, n=10, output=tmp_path / "ten.csv")

    resumed = api.run("toy", resume=out, quiet=True, steps=6)
    assert resumed.metrics["steps"] == 6 and resumed.run_dir == out


def test_errors_are_wgan_errors_and_nothing_is_lost(tmp_path: Path) -> None:
    out = tmp_path / "run"
    api.run("toy", out=out, quiet=True, **TINY)
    before = (out / "metrics.json").read_bytes()
    with pytest.raises(WganError, match="not empty"):
        api.run("toy", out=out, quiet=True, **TINY)
    with pytest.raises(WganError, match="unknown key 'bogus'"):
        api.run("toy", out=tmp_path / "other", bogus=1)
    with pytest.raises(WganError, match="no plugin named"):
        api.run("nope")
    with pytest.raises(WganError, match="no latent to sample"):
        api.sample(_superres_run(tmp_path), n=2, output=tmp_path / "x.csv")
    assert (out / "metrics.json").read_bytes() == before
    assert not (tmp_path / "other").exists()


def _superres_run(tmp_path: Path) -> Path:
    out = tmp_path / "sr"
    api.run("superres", out=out, quiet=True, device="cpu",
            **api.registry.get("superres").smoke_overrides)
    return out

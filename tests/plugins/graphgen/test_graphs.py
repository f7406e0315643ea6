"""Graphs mode end to end through the CLI: a tiny run, sampling, bad user data."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

METRIC_KEYS = ["mmd_degree", "mmd_clustering", "mmd_spl", "cpl_generated", "cpl_reference",
               "valid_fraction", "unique_fraction", "novel_fraction",
               "mmd_degree_train_test", "mmd_clustering_train_test", "mmd_spl_train_test",
               "mmd_degree_er", "mmd_clustering_er", "mmd_spl_er"]

TINY = ["--steps", "4", "--batch-size", "8", "--hidden", "16", "--critic-hidden", "8",
        "--critic-layers", "1", "--latent-dim", "4", "--eval-draws", "1", "--log-every", "2",
        "--quiet"]


def test_tiny_graphs_run_writes_every_metric_and_samples(wgan, tmp_path: Path) -> None:
    run = tmp_path / "run"
    code, _, err = wgan("run", "graphgen", "--dataset", "caveman-small", "--out", run, *TINY)
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    for key in METRIC_KEYS:
        assert isinstance(metrics[key], float), key
    assert 0 <= metrics["valid_fraction"] <= 1 and 0 < metrics["unique_fraction"] <= 1
    # the floor is below the ceiling on every statistic
    for stat in ("degree", "clustering", "spl"):
        assert metrics[f"mmd_{stat}_train_test"] < metrics[f"mmd_{stat}_er"]
    for name in ("samples.png", "histograms.png", "log.csv", "checkpoints/last.pt"):
        assert (run / name).is_file(), name
    assert len(list((run / "samples").glob("*.graphml"))) == metrics["n_eval"]

    code, out, err = wgan("sample", run, "-n", "3", "-o", tmp_path / "new")
    assert code == 0, err
    files = sorted((tmp_path / "new").iterdir())
    assert len(files) == 6
    g = nx.read_graphml(next(f for f in files if f.suffix == ".graphml"))
    assert g.number_of_nodes() <= 20
    code, _, err = wgan("sample", run, "-n", "2", "-o", tmp_path / "g.png")
    assert code == 2 and "folder" in err and not (tmp_path / "g.png").exists()
    (tmp_path / "new" / "notes.txt").write_text("mine")
    code, _, err = wgan("sample", run, "-n", "2", "-o", tmp_path / "new", "--force")
    assert code == 0, err  # the smaller sample replaces the old one and keeps other files
    assert sorted(f.name for f in (tmp_path / "new").iterdir()) == [
        "graph_0000.edgelist", "graph_0000.graphml", "graph_0001.edgelist",
        "graph_0001.graphml", "notes.txt"]


def test_user_folder_is_learned(wgan, tmp_path: Path) -> None:
    data = tmp_path / "graphs"
    data.mkdir()
    for i in range(6):
        nx.write_edgelist(nx.cycle_graph(4 + i), data / f"c{i}.edgelist", data=False)
    code, _, err = wgan("run", "graphgen", "--data", data, "--out", tmp_path / "r", *TINY)
    assert code == 0, err
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["max_nodes"] == 9


def test_malformed_graph_file_exits_2_with_one_line(wgan, tmp_path: Path) -> None:
    data = tmp_path / "graphs"
    data.mkdir()
    nx.write_edgelist(nx.path_graph(4), data / "a.edgelist", data=False)
    (data / "b.edgelist").write_text("0 1\n1 2\n2\n")
    code, _, err = wgan("run", "graphgen", "--data", data, "--out", tmp_path / "r", *TINY)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "b.edgelist:3:" in err

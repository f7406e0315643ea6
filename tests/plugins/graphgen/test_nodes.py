"""Nodes mode: exact W1 by hand, the critic's estimate at convergence, a tiny run."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from wgan_core.domains.graphs import GraphSpace
from wgan_core.errors import DataError
from wgan_plugins.graphgen.data import hotspot_target, read_graph
from wgan_plugins.graphgen.nodes import critic_check, edge_length_attribute


def test_exact_w1_on_path_and_cycle_by_hand() -> None:
    path = GraphSpace(nx.path_graph(6), weight=None)
    # uniform on {0, 1, 2} -> uniform on {3, 4, 5}: every unit of mass moves 3 hops
    assert path.w1([1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]) == pytest.approx(3.0)
    cycle = GraphSpace(nx.cycle_graph(8), weight=None)
    # node 0 -> {2: 1/2, 6: 1/2}: both 2 hops (6 is reached backwards round the cycle)
    p = np.eye(8)[0]
    q = 0.5 * (np.eye(8)[2] + np.eye(8)[6])
    assert cycle.w1(p, q) == pytest.approx(2.0)


@pytest.mark.parametrize("graph,weight", [
    (nx.karate_club_graph(), None),
    (nx.cycle_graph(12), None),
])
def test_critic_trained_to_convergence_matches_exact_w1(graph: nx.Graph,
                                                        weight: str | None) -> None:
    space = GraphSpace(graph, weight=weight)
    target = hotspot_target(space.distances, seed=0)
    result = critic_check(space, np.full(space.n, 1 / space.n), target, steps=2000)
    assert result["w1_exact"] > 0.1
    assert result["gap"] < 0.02
    # the certified estimate (critic divided by its largest edge slope) is a lower bound
    assert result["w_critic_certified"] <= result["w1_exact"] + 1e-6


def test_weighted_path_critic_matches_hand_value() -> None:
    g = nx.Graph()
    g.add_edge(0, 1, length=1.0)
    g.add_edge(1, 2, length=3.0)
    space = GraphSpace(g, weight="length")
    result = critic_check(space, [1, 0, 0], [0, 0.5, 0.5], steps=1500)
    assert result["w1_exact"] == pytest.approx(0.5 * 1 + 0.5 * 4)
    assert result["gap"] < 0.02


def test_tiny_nodes_run_moves_p_towards_the_target(wgan, tmp_path: Path) -> None:
    run = tmp_path / "nodes"
    code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", "florentine",
                        "--steps", "150", "--log-every", "50", "--out", run, "--quiet")
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["w1_final_ema"] < 0.5 * metrics["w1_initial"]
    assert metrics["check_gap"] < 0.02
    for name in ("nodes.png", "w1.png", "log.csv", "node_probabilities.csv"):
        assert (run / name).is_file()
    code, out, err = wgan("sample", run, "-n", "20", "-o", tmp_path / "drawn.csv")
    assert code == 0, err
    assert len((tmp_path / "drawn.csv").read_text().splitlines()) == 21


def test_resume_with_quiet_toggled_keeps_every_w1_row(wgan, tmp_path: Path) -> None:
    """The W1 columns ride in log.csv: a resume that drops the progress callback (--quiet)
    keeps the rows written before it and adds the new ones, each once."""
    import csv

    run = tmp_path / "nodes"
    code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", "florentine",
                        "--steps", "20", "--log-every", "5", "--checkpoint-every", "10",
                        "--out", run)
    assert code == 0, err
    code, _, err = wgan("run", "graphgen", "--resume", run, "--steps", "40", "--quiet")
    assert code == 0, err
    with open(run / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert all(float(r["w1_exact"]) >= 0 and r["w_critic"] for r in rows)


def test_disconnected_graph_exits_2_with_one_line(wgan, tmp_path: Path) -> None:
    f = tmp_path / "two.edgelist"
    f.write_text("a b\nb c\nx y\n")
    code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", f, "--out",
                        tmp_path / "r", "--quiet")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "disconnected" in err
    assert "--largest-component" in err


def test_edge_list_lengths_are_used_and_a_missing_attribute_is_named(tmp_path: Path) -> None:
    (tmp_path / "g.edgelist").write_text("a b 1.0\nb c 3.0\n")
    graph = read_graph(tmp_path / "g.edgelist")
    weight = edge_length_attribute(graph, "", "g.edgelist")  # the default: lengths, not hops
    assert GraphSpace(graph, weight=weight).w1([1, 0, 0], [0, 0, 1]) == pytest.approx(4.0)
    assert edge_length_attribute(nx.path_graph(3), "", "path") is None  # no lengths: hops
    partly = nx.Graph()
    partly.add_edge(0, 1, cost=2.0)
    partly.add_edge(1, 2)
    with pytest.raises(DataError, match="1 of 2 edges have no attribute 'cost'"):
        edge_length_attribute(partly, "cost", "partly")


def test_nodes_mode_trains_with_the_edge_penalty_by_default_and_honours_constraint(
        wgan, tmp_path: Path) -> None:
    """Nodes mode's defaults are its own (lp: the one-sided edge penalty, weight 100, Adam at
    0.2) and stored in config.toml; --constraint none trains without a penalty (log.csv's
    penalty column is 0); sn and clip bound weights, not edge slopes: one line, exit 2."""
    import csv
    import tomllib

    run = tmp_path / "lp"
    code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", "florentine",
                        "--steps", "10", "--log-every", "5", "--out", run, "--quiet")
    assert code == 0, err
    stored = tomllib.loads((run / "config.toml").read_text())
    assert (stored["constraint"], stored["penalty_weight"], stored["lr_g"], stored["lr_c"]) \
        == ("lp", 100.0, 0.2, 0.2)
    free = tmp_path / "none"
    code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", "florentine",
                        "--steps", "10", "--log-every", "5", "--constraint", "none",
                        "--out", free, "--quiet")
    assert code == 0, err
    with open(free / "log.csv") as fh:
        assert {float(r["penalty"]) for r in csv.DictReader(fh)} == {0.0}
    for constraint in ("sn", "clip"):
        code, _, err = wgan("run", "graphgen", "--mode", "nodes", "--graph", "florentine",
                            "--constraint", constraint, "--out", tmp_path / constraint)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert f"'{constraint}' does not apply in nodes mode" in err
        assert not (tmp_path / constraint).exists()

"""The GraphRNN/GDSS MMDs and the set statistics."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from wgan_plugins.graphgen.data import community_small, grid_small
from wgan_plugins.graphgen.metrics import (characteristic_path_length, diameter, emd_1d,
                                           erdos_renyi_like, evaluate_graphs, mmd_clustering,
                                           mmd_degree, mmd_spl, novel_fraction,
                                           unique_fraction)


def test_emd_is_the_cdf_distance() -> None:
    assert emd_1d(np.array([1.0, 0, 0]), np.array([0, 0, 1.0])) == pytest.approx(2.0)
    assert emd_1d(np.array([0.5, 0.5]), np.array([0, 0.5, 0.5])) == pytest.approx(1.0)


def test_mmd_of_a_set_with_itself_is_zero_and_grows_with_a_shift() -> None:
    graphs = community_small(seed=1, count=30)
    for fn in (mmd_degree, mmd_clustering, mmd_spl):
        assert fn(graphs, graphs) == pytest.approx(0.0, abs=1e-12)
    # shift the degree distribution: drop a growing share of edges
    rng = np.random.default_rng(0)

    def thinned(keep: float) -> list[nx.Graph]:
        out = []
        for g in graphs:
            h = g.copy()
            h.remove_edges_from([e for e in g.edges() if rng.random() > keep])
            out.append(h)
        return out

    small, large = mmd_degree(graphs, thinned(0.9)), mmd_degree(graphs, thinned(0.5))
    assert 0 < small < large


def test_path_statistics_by_hand() -> None:
    path = nx.path_graph(4)  # distances 1,1,1,2,2,3 (each twice)
    assert characteristic_path_length(path) == pytest.approx(10 / 6)
    assert diameter(path) == 3
    assert diameter(nx.union(nx.path_graph(3), nx.path_graph([7, 8]))) == 2


def test_uniqueness_and_novelty_up_to_isomorphism() -> None:
    a = nx.cycle_graph(5)
    b = nx.relabel_nodes(a, {i: (i * 2) % 5 for i in range(5)})  # isomorphic copy
    c = nx.path_graph(5)
    assert unique_fraction([a, b, c]) == pytest.approx(2 / 3)
    assert novel_fraction([b, c], [a]) == pytest.approx(0.5)


def test_erdos_renyi_ceiling_is_worse_than_the_data() -> None:
    grids = grid_small()
    er = erdos_renyi_like(grids, 40, seed=0)
    assert mmd_clustering(grids[:20], er) > mmd_clustering(grids[:20], grids[20:])


def test_draws_are_averaged_with_their_spread_and_pooled() -> None:
    graphs = community_small(count=12)
    test, other = graphs[:4], graphs[4:8]
    m = evaluate_graphs([test, other], test, graphs[8:], other)
    assert m["mmd_degree"] == pytest.approx(mmd_degree(test, other) / 2)
    assert m["mmd_degree_std"] == pytest.approx(mmd_degree(test, other) / 2)
    assert m["mmd_degree_pooled"] == pytest.approx(mmd_degree(test, test + other))
    assert "mmd_degree_pooled" not in evaluate_graphs([other], test, graphs[8:], other)

"""The GraphRNN/GDSS MMDs and the set statistics."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from wgan_core.errors import DataError
from wgan_plugins.graphgen.data import community_small, grid_small
from wgan_plugins.graphgen.metrics import (MAX_EVAL_NODES, characteristic_path_length,
                                           check_evaluable, diameter, emd_1d,
                                           erdos_renyi_like, evaluate_graphs, gaussian_emd,
                                           mmd2, mmd2_gaussian, mmd2_gaussian_emd,
                                           mmd_clustering, mmd_degree, mmd_orbit, mmd_spectral,
                                           mmd_spl, novel_fraction, orbit_counts, orbit_vector,
                                           spectral_hist, unique_fraction)


def test_emd_is_the_cdf_distance() -> None:
    assert emd_1d(np.array([1.0, 0, 0]), np.array([0, 0, 1.0])) == pytest.approx(2.0)
    assert emd_1d(np.array([0.5, 0.5]), np.array([0, 0.5, 0.5])) == pytest.approx(1.0)


def test_all_pairs_mmd_equals_the_pairwise_loop() -> None:
    """The vectorised Gaussian-EMD MMD is GraphRNN's double loop over pairs, to rounding."""
    rng = np.random.default_rng(0)
    a = [rng.random(rng.integers(2, 9)) for _ in range(7)]  # unequal lengths, not normalised
    b = [rng.random(rng.integers(2, 9)) for _ in range(5)]
    for sigma, scaling in ((1.0, 1.0), (0.1, 100.0)):
        loop = mmd2(a, b, lambda x, y: gaussian_emd(x, y, sigma, scaling))
        assert mmd2_gaussian_emd(a, b, sigma, scaling) == pytest.approx(loop, rel=1e-12)
        assert abs(loop) > 1e-3


def test_mmd_of_a_set_with_itself_is_zero_and_grows_with_a_shift() -> None:
    graphs = community_small(seed=1, count=30)
    for fn in (mmd_degree, mmd_clustering, mmd_orbit, mmd_spectral, mmd_spl):
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

    slight, strong = thinned(0.9), thinned(0.5)
    for fn in (mmd_degree, mmd_orbit, mmd_spectral):
        assert 0 < fn(graphs, slight) < fn(graphs, strong), fn.__name__


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


# ---------------------------------------------------------------------- 4-node orbits (ORCA)

def _by_hand(*rows: dict[int, int]) -> np.ndarray:
    out = np.zeros((len(rows), 15), dtype=np.int64)
    for i, row in enumerate(rows):
        for orbit, count in row.items():
            out[i, orbit] = count
    return out


def test_orbit_counts_of_small_graphs_counted_by_hand() -> None:
    """Induced graphlets (Przulj's orbit numbers, listed at ``ORBITS``), counted on paper."""
    end, inner = {0: 1, 1: 1, 4: 1}, {0: 2, 1: 1, 2: 1, 5: 1}
    assert (orbit_counts(nx.path_graph(4)) == _by_hand(end, inner, inner, end)).all()
    leaf = {0: 1, 1: 2, 6: 1}  # a leaf ends two 3-paths through the centre
    assert (orbit_counts(nx.star_graph(3)) == _by_hand({0: 3, 2: 3, 7: 1}, leaf, leaf, leaf)).all()
    # a triangle holds no induced 3-path
    assert (orbit_counts(nx.complete_graph(3)) == _by_hand(*[{0: 2, 3: 1}] * 3)).all()
    assert (orbit_counts(nx.complete_graph(4)) == _by_hand(*[{0: 3, 3: 3, 14: 1}] * 4)).all()
    # each node of a 4-cycle ends two induced 3-paths and is the middle of one
    assert (orbit_counts(nx.cycle_graph(4)) == _by_hand(*[{0: 2, 1: 2, 2: 1, 8: 1}] * 4)).all()
    # no edges, a self-loop: nothing to count (ORCA itself refuses both inputs)
    assert (orbit_counts(nx.empty_graph(3)) == 0).all()
    looped = nx.path_graph(4)
    looped.add_edge(2, 2)
    assert (orbit_counts(looped) == orbit_counts(nx.path_graph(4))).all()


def _brute_force_orbits(g: nx.Graph) -> np.ndarray:
    """Every connected induced subgraph of 2, 3 and 4 nodes, its orbits told apart by edge count
    and the node's degree inside it (enough for graphlets of up to 4 nodes)."""
    nodes = list(g.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    out = np.zeros((len(nodes), 15), dtype=np.int64)
    orbit = {  # (graphlet size, edges, degree inside) -> orbit
        (2, 1, 1): 0, (3, 2, 1): 1, (3, 2, 2): 2, (3, 3, 2): 3,
        (4, 6, 3): 14, (4, 5, 2): 12, (4, 5, 3): 13, (4, 4, 1): 9, (4, 4, 3): 11,
    }
    for k in (2, 3, 4):
        for subset in itertools.combinations(nodes, k):
            sub = g.subgraph(subset)
            if not nx.is_connected(sub):
                continue
            m = sub.number_of_edges()
            degrees = dict(sub.degree())
            star = k == 4 and m == 3 and max(degrees.values()) == 3
            for v, d in degrees.items():
                if k == 4 and m == 3:  # a path of 4 or a star
                    o = (6 if d == 1 else 7) if star else (4 if d == 1 else 5)
                elif k == 4 and m == 4:  # a 4-cycle or a paw
                    o = 8 if max(degrees.values()) == 2 else orbit.get((4, 4, d), 10)
                else:
                    o = orbit[(k, m, d)]
                out[index[v], o] += 1
    return out


def test_orbit_counts_equal_a_brute_force_count() -> None:
    graphs = [nx.gnp_random_graph(9, p, seed=s) for s, p in enumerate((0.3, 0.5, 0.7))]
    graphs.append(community_small(count=1)[0])
    graphs.append(nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (1, 3)]))  # paw + diamond
    for g in graphs:
        assert (orbit_counts(g) == _brute_force_orbits(g)).all()


def test_orbit_mmd_is_the_gaussian_kernel_on_mean_orbit_counts() -> None:
    assert orbit_vector(nx.complete_graph(4)) == pytest.approx([3, 0, 0, 3] + [0] * 10 + [1])
    k4, c4 = nx.complete_graph(4), nx.cycle_graph(4)
    d2 = float(((orbit_vector(k4) - orbit_vector(c4)) ** 2).sum())  # 1+4+1+9+1+1 = 17
    assert d2 == pytest.approx(17.0)
    # one graph a side: k(a,a) + k(b,b) - 2 k(a,b) = 2 - 2 exp(-d^2 / (2 * 30^2)), no root
    assert mmd_orbit([k4], [c4]) == pytest.approx(2 - 2 * np.exp(-17 / 1800))
    assert mmd2_gaussian(np.zeros((2, 3)), np.zeros((5, 3)), sigma=1.0) == pytest.approx(0.0)


# ---------------------------------------------------------------------- spectra

def test_spectral_histogram_of_known_spectra() -> None:
    # K_n's normalised Laplacian: 0 once and n / (n - 1) n - 1 times; 200 bins of width
    # (2 + 1e-5) / 200 from -1e-5
    h = spectral_hist(nx.complete_graph(5))
    assert h.sum() == pytest.approx(1.0) and len(h) == 200
    width = (2 + 1e-5) / 200
    assert h[0] == pytest.approx(0.2)
    assert h[int((1.25 + 1e-5) // width)] == pytest.approx(0.8)
    # a bipartite graph has eigenvalue 2, which falls in the last (closed) bin
    assert spectral_hist(nx.path_graph(2))[[0, -1]] == pytest.approx([0.5, 0.5])
    # same spectra, same histograms: MMD 0; a complete and an empty-ish spectrum differ
    assert mmd_spectral([nx.cycle_graph(6)], [nx.cycle_graph(6)]) == pytest.approx(0.0)
    assert mmd_spectral([nx.complete_graph(6)], [nx.path_graph(6)]) > 0.1


def test_a_graph_too_large_to_evaluate_is_refused_by_name() -> None:
    check_evaluable(grid_small(), "grid-small")
    with pytest.raises(DataError, match=r"^big: graph 1 has 2001 nodes"):
        check_evaluable([nx.path_graph(3), nx.path_graph(MAX_EVAL_NODES + 1)], "big")


def test_the_cli_refuses_a_too_large_dataset_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wgan_cli.main import cli

    data = tmp_path / "big"
    data.mkdir()
    for i in range(5):
        nx.write_edgelist(nx.path_graph(MAX_EVAL_NODES + 1 + i), data / f"g{i}.edgelist",
                          data=False)
    result = CliRunner().invoke(cli, ["run", "graphgen", "--data", str(data), "--out",
                                      str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 2
    # the run folder's announcement, then the refusal in one line, before any training
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"error: {data}: graph 0 has {MAX_EVAL_NODES + 1} nodes")
    assert "step" not in result.output


def test_without_the_optional_orca_bindings_the_orbit_mmd_is_null(monkeypatch) -> None:
    """orbit-count is GPL-3.0 and optional: without it mmd_orbit is NaN (null in metrics.json,
    which the schema allows) and the other MMDs are unchanged."""
    import jsonschema

    from wgan_plugins.graphgen import metrics as graph_metrics

    ref = [nx.cycle_graph(5), nx.path_graph(6)]
    gen = [nx.star_graph(4), nx.complete_graph(4)]
    with_orca = graph_metrics.mmds(ref, gen)
    monkeypatch.setattr(graph_metrics, "orbits_available", lambda: False)
    without = graph_metrics.mmds(ref, gen)
    assert np.isnan(without["mmd_orbit"]) and np.isfinite(with_orca["mmd_orbit"])
    assert {k: v for k, v in without.items() if k != "mmd_orbit"} == \
        {k: v for k, v in with_orca.items() if k != "mmd_orbit"}
    props = graph_metrics.GRAPHS_SCHEMA["properties"]
    jsonschema.validate(None, props["mmd_orbit"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(None, props["mmd_degree"])

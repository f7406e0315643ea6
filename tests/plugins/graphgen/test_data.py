"""Built-in graph sets follow their recipes; user files are read or refused with one line."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from wgan_core.errors import DataError
from wgan_plugins.graphgen.data import (builtin_graphs, caveman_small, community_small,
                                        graphs_to_tensors, read_graph, read_graph_dir,
                                        read_target, split, tensors_to_graphs)


def test_community_small_reproduces_the_recipe() -> None:
    graphs = community_small(seed=42)
    assert len(graphs) == 100
    sizes = [g.number_of_nodes() for g in graphs]
    assert set(sizes) <= {12, 14, 16, 18, 20} and len(set(sizes)) == 5
    for g in graphs:
        first, second = g.graph["communities"]
        assert len(first) == len(second) == g.number_of_nodes() // 2
        inside = sum(1 for u, v in g.edges() if (u in first) == (v in first))
        bridges = g.number_of_edges() - inside
        assert bridges >= 1 and nx.is_connected(g)
        # a bridge is rare (p = 0.1 / community size per pair): few cross edges
        assert bridges <= 4
    # ER(0.7) inside the communities: the density of intra-community pairs is near 0.7
    pairs = sum(2 * (len(g.graph["communities"][0]) * (len(g.graph["communities"][0]) - 1) // 2)
                for g in graphs)
    intra = sum(sum(1 for u, v in g.edges() if (u in g.graph["communities"][0])
                    == (v in g.graph["communities"][0])) for g in graphs)
    assert 0.6 < intra / pairs < 0.8
    # same seed, same set
    assert [list(g.edges()) for g in community_small(42)[:3]] == \
        [list(g.edges()) for g in graphs[:3]]


def test_other_sets_and_split() -> None:
    grids = builtin_graphs("grid-small")
    assert len(grids) == 49 and max(g.number_of_nodes() for g in grids) == 64
    caves = caveman_small(0)
    assert len(caves) == 100 and all(nx.is_connected(g) for g in caves)
    assert all(g.number_of_nodes() <= 20 for g in caves)
    train, test = split(grids, seed=1)
    assert len(train) == 39 and len(test) == 10


def test_tensors_round_trip() -> None:
    graphs = community_small(seed=3, count=4)
    adj, feat = graphs_to_tensors(graphs, 20)
    assert adj.shape == (4, 20, 20) and feat.shape == (4, 20, 2)
    assert (adj == adj.transpose(1, 2)).all() and adj.diagonal(dim1=1, dim2=2).sum() == 0
    back = tensors_to_graphs(adj, feat)
    assert all(nx.is_isomorphic(a, b) for a, b in zip(graphs, back))


def test_reads_edgelist_graphml_gml(tmp_path: Path) -> None:
    g = nx.cycle_graph(5)
    (tmp_path / "a.edgelist").write_text("# comment\n0 1\n1 2 2.5\n2 0\n")
    nx.write_graphml(g, tmp_path / "b.graphml")
    nx.write_gml(g, tmp_path / "c.gml")
    graphs = read_graph_dir(tmp_path)
    assert [h.number_of_edges() for h in graphs] == [3, 5, 5]
    assert read_graph(tmp_path / "a.edgelist").edges["1", "2"]["length"] == 2.5


@pytest.mark.parametrize("name,text,needle", [
    ("bad.edgelist", "0 1\n1 2\n1 2 3 4\n", "bad.edgelist:3: expected 'u v' or 'u v length'"),
    ("bad.edgelist", "0 1\n1 2 far\n", "bad.edgelist:2: edge length 'far' is not a number"),
    ("bad.graphml", "<graphml><graph>\n<node id='a'/>\n<edge source=\n</graph>",
     "bad.graphml:4: malformed GraphML"),
    ("bad.gml", "graph [\n node [ id 0 ]\n node [ id 1\n", "bad.gml: malformed gml file"),
])
def test_malformed_files_name_file_and_line(tmp_path: Path, name: str, text: str,
                                            needle: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(DataError) as exc:
        read_graph(tmp_path / name)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_target_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("node,weight\na,1\nb,3\n")
    assert read_target(path, ["a", "b", "c"]).tolist() == [0.25, 0.75, 0.0]
    path.write_text("a,1\nzz,2\n")
    with pytest.raises(DataError, match="t.csv:2: node 'zz' is not in the graph"):
        read_target(path, ["a", "b"])

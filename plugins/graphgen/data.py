"""Embedded graph data (documented generators with a fixed seed), user graph files, and the
tensors the networks see.

Graphs mode:

- ``community-small`` follows the published recipe, GDSS's ``data/data_generators.py``
  (``n_community``, from GraphScoreMatching / Niu et al. 2020) line by line: 100 graphs,
  max_nodes uniform in 12..20, two communities of max_nodes // 2 nodes, Erdos-Renyi p = 0.7
  inside each (``gnp_random_graph(size, 0.7, seed=i)``: the published code fixes the seed per
  community index, so equal sizes give equal communities), every cross pair bridged with
  probability 0.05 * 2 / (community size) and at least one bridge. Our only change is the
  random source (numpy's seeded Generator instead of the global state).
- ``grid-small``: ``networkx.grid_2d_graph(i, j)`` for 2 <= i, j <= 8 (49 graphs, 4..64 nodes).
- ``caveman-small``: GraphRNN's ``caveman_special(2, k, p_edge=0.8)`` for k in 6..10,
  20 graphs each (100 graphs, 12..20 nodes; the largest connected component is kept).

Every set is split 80/20 into train/test with a fixed seed.

Nodes mode: networkx's bundled real graphs (karate club, Les Miserables, Florentine families),
a 20 x 20 grid "road network" with seeded road lengths, or the user's graph file; and the
target distribution over nodes, from a ``node,weight`` CSV or three built-in hotspots.
"""

from __future__ import annotations

import csv
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import torch

from wgan_core.errors import DataError

GRAPH_SUFFIXES = (".edgelist", ".txt", ".graphml", ".gml")


# ---------------------------------------------------------------------- built-in graph sets

def community_graph(max_nodes: int, rng: np.random.Generator, p_in: float = 0.7,
                    p_inter: float = 0.05) -> nx.Graph:
    """GDSS's ``n_community(2, max_nodes)``: two communities of max_nodes // 2 nodes, each
    ``gnp_random_graph(size, p_in, seed=i)`` for community i (the published code fixes these
    seeds, so communities of equal size are the same graph; kept for comparable numbers), every
    cross pair bridged with probability p_inter * 2 / community size, at least one bridge."""
    size = max_nodes // 2
    g = nx.disjoint_union_all([nx.gnp_random_graph(size, p_in, seed=i) for i in range(2)])
    first, second = list(range(size)), list(range(size, 2 * size))
    p_bridge = p_inter * 2 / size  # GDSS: p_inter * 2 / ((communities - 1) * community size)
    bridged = False
    for u in first:
        for v in second:
            if rng.random() < p_bridge:
                g.add_edge(u, v)
                bridged = True
    if not bridged:
        g.add_edge(first[0], second[0])
    g.graph["communities"] = [first, second]
    return g


def community_small(seed: int = 42, count: int = 100) -> list[nx.Graph]:
    """The community-small set: ``count`` graphs, max_nodes uniform in 12..20 (so n is
    2 * (max_nodes // 2): 12, 14, ..., 20 nodes)."""
    rng = np.random.default_rng(seed)
    return [community_graph(int(rng.integers(12, 21)), rng) for _ in range(count)]


def grid_small(low: int = 2, high: int = 8) -> list[nx.Graph]:
    """``grid_2d_graph(i, j)`` for low <= i, j <= high, nodes relabelled 0..n-1."""
    return [nx.convert_node_labels_to_integers(nx.grid_2d_graph(i, j))
            for i in range(low, high + 1) for j in range(low, high + 1)]


def caveman_special(c: int, k: int, rng: np.random.Generator, p_path: float = 0.1,
                    p_edge: float = 0.8) -> nx.Graph:
    """GraphRNN's ``caveman_special``: c caves of k nodes, each in-cave edge kept with
    probability p_edge, ceil(p_path * k) random links between the first two caves, largest
    connected component kept."""
    g = nx.caveman_graph(c, k)
    for u, v in list(g.edges()):
        if rng.random() < 1 - p_edge and ((u < k and v < k) or (u >= k and v >= k)):
            g.remove_edge(u, v)
    for _ in range(max(int(math.ceil(p_path * k)), 1)):
        g.add_edge(int(rng.integers(0, k)), int(rng.integers(k, 2 * k)))
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    return nx.convert_node_labels_to_integers(g)


def caveman_small(seed: int = 42) -> list[nx.Graph]:
    """GraphRNN's caveman-small: 2 caves of 6..10 nodes, 20 graphs per size."""
    rng = np.random.default_rng(seed)
    return [caveman_special(2, k, rng) for k in range(6, 11) for _ in range(20)]


def builtin_graphs(name: str, seed: int = 42) -> list[nx.Graph]:
    """A built-in graph set by name."""
    if name == "community-small":
        return community_small(seed)
    if name == "grid-small":
        return grid_small()
    if name == "caveman-small":
        return caveman_small(seed)
    raise DataError(f"unknown dataset '{name}' (community-small, grid-small, caveman-small)")


def split(graphs: list[nx.Graph], seed: int = 42, test_fraction: float = 0.2
          ) -> tuple[list[nx.Graph], list[nx.Graph]]:
    """A seeded 80/20 train/test split."""
    order = np.random.default_rng(seed).permutation(len(graphs))
    n_test = max(1, int(round(test_fraction * len(graphs))))
    test = [graphs[i] for i in order[:n_test]]
    train = [graphs[i] for i in order[n_test:]]
    return train, test


# ---------------------------------------------------------------------- user graph files

def _read_edgelist(path: Path) -> nx.Graph:
    """``u v [length]`` per line, '#' comments. Parsed by hand because networkx's reader
    does not say which line is wrong."""
    g = nx.Graph()
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.replace(",", " ").split()
            if len(parts) not in (2, 3):
                raise DataError(f"{path}:{lineno}: expected 'u v' or 'u v length', got "
                                f"{raw.strip()!r}")
            if len(parts) == 3:
                try:
                    w = float(parts[2])
                except ValueError:
                    raise DataError(f"{path}:{lineno}: edge length {parts[2]!r} is not a "
                                    "number") from None
                # 'length' is what nodes mode reads by default; 'weight' too, for runs made
                # when the column was stored under that name (--weight-attr weight).
                g.add_edge(parts[0], parts[1], length=w, weight=w)
            else:
                g.add_edge(parts[0], parts[1])
    return g


def read_graph(path: Path) -> nx.Graph:
    """One undirected simple graph from an edge list, GraphML or GML file.

    Any problem raises DataError with one line naming the file (and the line when known).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if suffix in (".edgelist", ".txt", ".csv"):
            g = _read_edgelist(path)
        elif suffix == ".graphml":
            g = nx.read_graphml(path)
        elif suffix == ".gml":
            g = nx.read_gml(path, label=None)
        else:
            raise DataError(f"{path}: unknown graph format '{suffix}' (use .edgelist, .txt, "
                            ".graphml or .gml)")
    except ET.ParseError as exc:
        line, col = exc.position
        raise DataError(f"{path}:{line}: malformed GraphML (column {col})") from None
    except nx.NetworkXError as exc:
        raise DataError(f"{path}: malformed {suffix[1:]} file: "
                        f"{str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file") from None
    g = nx.Graph(g)  # undirected, no multi-edges
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    if g.number_of_nodes() == 0:
        raise DataError(f"{path}: the graph has no nodes")
    return g


def read_graph_dir(folder: Path) -> list[nx.Graph]:
    """Every graph file in a folder (sorted by name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of graph files")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in GRAPH_SUFFIXES)
    if len(files) < 2:
        raise DataError(f"{folder}: needs at least 2 graph files ({', '.join(GRAPH_SUFFIXES)})"
                        f", found {len(files)}")
    graphs = []
    for f in files:
        g = read_graph(f)
        if g.number_of_edges() == 0:
            raise DataError(f"{f}: the graph has no edges")
        graphs.append(nx.convert_node_labels_to_integers(g))
    return graphs


# ---------------------------------------------------------------------- graphs as tensors

def graphs_to_tensors(graphs: list[nx.Graph], max_nodes: int
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense (adjacency [G, N, N], node features [G, N, 2]) padded to max_nodes.

    Feature 0 is the node mask, feature 1 the degree / max_nodes (what the generator emits).
    """
    adj = torch.zeros(len(graphs), max_nodes, max_nodes)
    for i, g in enumerate(graphs):
        n = g.number_of_nodes()
        if n > max_nodes:
            raise DataError(f"graph {i} has {n} nodes, more than max_nodes={max_nodes}")
        a = nx.to_numpy_array(g, nodelist=list(g.nodes()), weight=None)
        adj[i, :n, :n] = torch.from_numpy((a > 0).astype(np.float32))
    mask = torch.zeros(len(graphs), max_nodes)
    for i, g in enumerate(graphs):
        mask[i, : g.number_of_nodes()] = 1.0
    return adj, node_features(adj, mask)


def node_features(adj: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[mask, degree / N] per node (differentiable in adj)."""
    n = adj.shape[-1]
    return torch.stack([mask, adj.sum(-1) / n], dim=-1)


def tensors_to_graphs(adj: torch.Tensor, feat: torch.Tensor, drop_isolated: bool = True
                      ) -> list[nx.Graph]:
    """Graphs from generated tensors: the masked nodes, edges where adj > 0.5.

    Isolated nodes are dropped, as GDSS does before evaluation (``adjs_to_graphs``).
    """
    out = []
    a = (adj.detach().cpu() > 0.5).numpy()
    m = (feat[..., 0].detach().cpu() > 0.5).numpy()
    for i in range(a.shape[0]):
        keep = np.flatnonzero(m[i])
        g = nx.from_numpy_array(a[i][np.ix_(keep, keep)].astype(np.uint8))
        g.remove_edges_from(list(nx.selfloop_edges(g)))
        if drop_isolated:
            g.remove_nodes_from(list(nx.isolates(g)))
        if g.number_of_nodes() == 0:
            g.add_node(0)
        out.append(g)
    return out


# ---------------------------------------------------------------------- nodes mode

BUILTIN_NODE_GRAPHS = ("karate", "les-miserables", "florentine", "grid-road")


def grid_road(side: int = 20, seed: int = 0) -> nx.Graph:
    """A side x side street grid with road lengths uniform in [1, 3] (attribute 'length')."""
    rng = np.random.default_rng(seed)
    g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side), label_attribute="pos")
    for u, v in g.edges():
        g.edges[u, v]["length"] = float(np.round(rng.uniform(1.0, 3.0), 3))
    return g


def node_graph(name: str) -> nx.Graph:
    """A built-in graph of nodes mode by name, or a user graph file."""
    if name == "karate":
        return nx.karate_club_graph()
    if name == "les-miserables":
        return nx.les_miserables_graph()
    if name == "florentine":
        return nx.florentine_families_graph()
    if name == "grid-road":
        return grid_road()
    path = Path(name)
    if path.suffix.lower() in GRAPH_SUFFIXES or path.exists():
        return read_graph(path)
    raise DataError(f"unknown graph '{name}' (built in: {', '.join(BUILTIN_NODE_GRAPHS)}; "
                    f"or a graph file {', '.join(GRAPH_SUFFIXES)})")


def hotspot_target(distances: np.ndarray, seed: int = 0, k: int = 3) -> np.ndarray:
    """Built-in target: mass exp(-d(v, h) / l) around k seeded hotspots h, with l one
    eighth of the diameter, mixed with weights 3:2:1 ..."""
    n = distances.shape[0]
    rng = np.random.default_rng(seed)
    hot = rng.choice(n, size=min(k, n), replace=False)
    ell = max(distances.max() / 8.0, 1e-9)
    q = np.zeros(n)
    for rank, h in enumerate(hot):
        q += (len(hot) - rank) * np.exp(-distances[h] / ell)
    return q / q.sum()


def read_target(path: Path, nodes: list[object]) -> np.ndarray:
    """A target distribution from a ``node,weight`` CSV (optional header); nodes not listed
    get weight 0. Node names are matched as strings."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    index = {str(v): i for i, v in enumerate(nodes)}
    q = np.zeros(len(nodes))
    with open(path, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or row[0].strip().startswith("#"):
                continue
            if len(row) != 2:
                raise DataError(f"{path}:{lineno}: expected 'node,weight', got {','.join(row)!r}")
            name, weight = row[0].strip(), row[1].strip()
            try:
                w = float(weight)
            except ValueError:
                if lineno == 1:
                    continue  # a header
                raise DataError(f"{path}:{lineno}: weight {weight!r} is not a number") from None
            if name not in index:
                raise DataError(f"{path}:{lineno}: node {name!r} is not in the graph")
            if not (math.isfinite(w) and w >= 0):
                raise DataError(f"{path}:{lineno}: weight must be finite and >= 0, got {w}")
            q[index[name]] += w
    if not q.sum() > 0:
        raise DataError(f"{path}: the target has no positive weight")
    return q / q.sum()

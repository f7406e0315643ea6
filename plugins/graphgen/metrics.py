"""Graph-generation metrics as GraphRNN / GRAN / GDSS report them.

MMD^2 between two sets of graphs, no square root, GDSS's protocol (its ``load_eval_settings``
and ``evaluation/stats.py``, taken from GraphRNN's ``eval/stats.py``):

- per-graph histograms under the Gaussian-EMD kernel ``k(x, y) = exp(-EMD(x, y)^2 / (2
  sigma^2))`` (GraphRNN ``eval/mmd.py``): degree histograms (sigma = 1), clustering-coefficient
  histograms (100 bins on [0, 1], sigma = 0.1, EMD with bin distance 1/100), the spectrum of the
  normalised Laplacian (200 bins on [-1e-5, 2], sigma = 1, EMD in bins), and, ours beside
  theirs, shortest-path-length histograms (sigma = 1);
- 4-node orbit counts (ORCA, through the ``orbit-count`` package): each graph is the vector of
  its 15 orbit counts summed over nodes and divided by the number of nodes (``orbit_stats_all``),
  under a plain Gaussian kernel on the L2 distance, sigma = 30, the vectors not normalised.

Plus characteristic path length, diameter, connected ("valid") fraction, uniqueness and novelty.

Written by hand because no installed library has it: the kernels and the biased MMD estimator
(GraphRNN uses ``pyemd``, not installed here; in one dimension with ground cost |i - j| the
EMD between two normalized histograms is the L1 distance between their CDFs, which is what
we compute).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import networkx as nx
import numpy as np

from wgan_core.errors import DataError

Hist = np.ndarray

#: Largest graph the orbit and spectral MMDs take: ORCA counts 100 000 edges in about a second,
#: but the spectrum is a dense eigendecomposition, O(n^3) time and O(n^2) memory (2000 nodes:
#: ~2 s and 32 MB per graph, for every graph of every draw). A set with a larger graph is
#: refused before training, by name, rather than left to run for hours at the end.
MAX_EVAL_NODES = 2000
MAX_EVAL_EDGES = 100_000
#: ORCA's 4-node graphlets have 15 node orbits (Przulj's numbering): 0 edge; 1-2 path of 3
#: (end, middle); 3 triangle; 4-5 path of 4 (end, inner); 6-7 star (leaf, centre); 8 4-cycle;
#: 9-11 paw (pendant, triangle pair, hub); 12-13 diamond (degree 2, degree 3); 14 K4.
ORBITS = 15


# ---------------------------------------------------------------------- per-graph histograms

def degree_hist(g: nx.Graph) -> Hist:
    """``nx.degree_histogram``: count of nodes per degree 0, 1, 2, ..."""
    return np.asarray(nx.degree_histogram(g), dtype=np.float64)


def clustering_hist(g: nx.Graph, bins: int = 100) -> Hist:
    """Histogram of the local clustering coefficients on [0, 1] (GraphRNN: 100 bins)."""
    coeffs = list(nx.clustering(g).values())
    hist, _ = np.histogram(coeffs, bins=bins, range=(0.0, 1.0))
    return hist.astype(np.float64)


def spl_hist(g: nx.Graph) -> Hist:
    """Histogram of the shortest-path lengths over ordered pairs of distinct connected nodes."""
    counts: dict[int, int] = {}
    for _, lengths in nx.all_pairs_shortest_path_length(g):
        for d in lengths.values():
            if d > 0:
                counts[d] = counts.get(d, 0) + 1
    if not counts:
        return np.zeros(1)
    out = np.zeros(max(counts) + 1)
    for d, c in counts.items():
        out[d] = c
    return out


def spectral_hist(g: nx.Graph, bins: int = 200) -> Hist:
    """Histogram of the eigenvalues of the normalised Laplacian (all in [0, 2]) on 200 bins
    over [-1e-5, 2], as a pmf (GraphRNN / GDSS ``spectral_worker``; the lower edge just below
    0 keeps the zero eigenvalues of connected components, rounded to -1e-16, in the first bin)."""
    from scipy.linalg import eigvalsh

    if g.number_of_nodes() == 0:
        return np.zeros(bins)
    eigs = eigvalsh(nx.normalized_laplacian_matrix(g).toarray())
    hist, _ = np.histogram(eigs, bins=bins, range=(-1e-5, 2), density=False)
    return hist / hist.sum()


#: Why an orbit MMD is missing from metrics.json (null) when the optional package is absent.
ORBITS_MISSING = ("mmd_orbit needs the optional package orbit-count (ORCA's bindings, "
                  "GPL-3.0): pip install 'wgan[orbits]'; it is reported as null")


def orbits_available() -> bool:
    """Whether ORCA's bindings (the optional ``orbit-count`` package) are installed."""
    import importlib.util

    return importlib.util.find_spec("orbit_count") is not None


def orbit_counts(g: nx.Graph) -> np.ndarray:
    """[n, 15] node orbit counts of the graphlets of 2 to 4 nodes (induced), by ORCA (Hocevar &
    Demsar 2014) through the ``orbit-count`` package, which runs it in-process (GDSS writes a
    file and calls ORCA's binary). A graph without edges has no graphlet: all zeros (ORCA
    refuses an empty edge list, and GDSS skips a graph ORCA fails on); self-loops are no part
    of a graphlet and are dropped (ORCA refuses them)."""
    import orbit_count

    h = nx.convert_node_labels_to_integers(g)
    h.remove_edges_from(list(nx.selfloop_edges(h)))
    if h.number_of_edges() == 0:
        return np.zeros((h.number_of_nodes(), ORBITS), dtype=np.int64)
    return np.asarray(orbit_count.node_orbit_counts(h, graphlet_size=4))


def orbit_vector(g: nx.Graph) -> np.ndarray:
    """One graph's orbit statistic (GraphRNN/GDSS ``orbit_stats_all``): its orbit counts summed
    over nodes, divided by the number of nodes."""
    n = g.number_of_nodes()
    return orbit_counts(g).sum(axis=0) / n if n else np.zeros(ORBITS)


def check_evaluable(graphs: Sequence[nx.Graph], name: str) -> None:
    """Refuse, in one line naming the set, a graph set whose largest graph the orbit and spectral
    MMDs would take too long on (see ``MAX_EVAL_NODES`` / ``MAX_EVAL_EDGES``)."""
    for i, g in enumerate(graphs):
        n, m = g.number_of_nodes(), g.number_of_edges()
        if n > MAX_EVAL_NODES or m > MAX_EVAL_EDGES:
            raise DataError(f"{name}: graph {i} has {n} nodes and {m} edges; the orbit and "
                            f"spectral MMDs take graphs of up to {MAX_EVAL_NODES} nodes and "
                            f"{MAX_EVAL_EDGES} edges")


# ---------------------------------------------------------------------- kernel and MMD

def _normalize(h: Hist) -> Hist:
    s = h.sum()
    return h / s if s > 0 else h


def emd_1d(x: Hist, y: Hist, distance_scaling: float = 1.0) -> float:
    """EMD between two normalized histograms on bins 0, 1, 2, ... (ground cost |i - j| /
    scaling): the L1 distance between their CDFs."""
    n = max(len(x), len(y))
    xp = np.pad(x, (0, n - len(x)))
    yp = np.pad(y, (0, n - len(y)))
    return float(np.abs(np.cumsum(xp - yp)).sum() / distance_scaling)


def gaussian_emd(x: Hist, y: Hist, sigma: float = 1.0, distance_scaling: float = 1.0) -> float:
    """GraphRNN's Gaussian-EMD kernel ``exp(-EMD^2 / (2 sigma^2))``."""
    d = emd_1d(x, y, distance_scaling)
    return float(np.exp(-d * d / (2 * sigma * sigma)))


def mmd2(samples1: Sequence[Hist], samples2: Sequence[Hist],
         kernel: Callable[[Hist, Hist], float]) -> float:
    """GraphRNN's ``compute_mmd``: histograms normalized to pmfs, then the biased estimator
    mean k(X, X) + mean k(Y, Y) - 2 mean k(X, Y) (all pairs, diagonal included)."""
    a = [_normalize(s) for s in samples1]
    b = [_normalize(s) for s in samples2]

    def disc(p: list[Hist], q: list[Hist]) -> float:
        return float(np.mean([kernel(u, v) for u in p for v in q]))

    return disc(a, a) + disc(b, b) - 2 * disc(a, b)


def mmd2_gaussian_emd(samples1: Sequence[Hist], samples2: Sequence[Hist], sigma: float,
                      distance_scaling: float = 1.0) -> float:
    """``mmd2`` with the Gaussian-EMD kernel, all pairs at once: each histogram padded to a
    common length and turned into its CDF, so every pairwise EMD is one L1 distance (``cdist``).
    Equal to ``mmd2(..., gaussian_emd)`` to rounding; 20-80x faster on a pooled 400-graph set."""
    from scipy.spatial.distance import cdist

    a = [_normalize(np.asarray(s, dtype=np.float64)) for s in samples1]
    b = [_normalize(np.asarray(s, dtype=np.float64)) for s in samples2]
    width = max(len(h) for h in a + b)

    def cdfs(hists: list[Hist]) -> np.ndarray:
        return np.cumsum(np.stack([np.pad(h, (0, width - len(h))) for h in hists]), axis=1)

    def disc(x: np.ndarray, y: np.ndarray) -> float:
        d = cdist(x, y, "cityblock") / distance_scaling
        return float(np.exp(-d * d / (2 * sigma * sigma)).mean())

    ca, cb = cdfs(a), cdfs(b)
    return disc(ca, ca) + disc(cb, cb) - 2 * disc(ca, cb)


def mmd2_gaussian(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    """MMD^2 (biased, all pairs) under the Gaussian kernel ``exp(-|a - b|^2 / (2 sigma^2))`` on
    vectors used as they are (GDSS's ``gaussian`` with ``is_hist=False``: no normalisation)."""
    from scipy.spatial.distance import cdist

    def disc(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.exp(-cdist(a, b, "sqeuclidean") / (2 * sigma * sigma)).mean())

    x, y = np.atleast_2d(x).astype(np.float64), np.atleast_2d(y).astype(np.float64)
    return disc(x, x) + disc(y, y) - 2 * disc(x, y)


def mmd_degree(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph]) -> float:
    """MMD^2 of degree histograms (Gaussian-EMD, sigma = 1)."""
    return mmd2_gaussian_emd([degree_hist(g) for g in ref], [degree_hist(g) for g in gen], 1.0)


def mmd_clustering(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph], bins: int = 100) -> float:
    """MMD^2 of clustering histograms (100 bins, Gaussian-EMD, sigma = 0.1, bin distance
    1/bins), as GraphRNN's ``clustering_stats``."""
    return mmd2_gaussian_emd([clustering_hist(g, bins) for g in ref],
                             [clustering_hist(g, bins) for g in gen], 0.1, distance_scaling=bins)


def mmd_spl(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph]) -> float:
    """MMD^2 of shortest-path-length distributions (Gaussian-EMD, sigma = 1)."""
    return mmd2_gaussian_emd([spl_hist(g) for g in ref], [spl_hist(g) for g in gen], 1.0)


def mmd_orbit(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph]) -> float:
    """MMD^2 of the per-graph mean 4-node orbit counts (Gaussian kernel on L2, sigma = 30), as
    GDSS's ``orbit_stats_all``; NaN (null in metrics.json) without the optional ORCA bindings."""
    if not orbits_available():
        return float("nan")
    return mmd2_gaussian(np.array([orbit_vector(g) for g in ref]),
                         np.array([orbit_vector(g) for g in gen]), sigma=30.0)


def mmd_spectral(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph]) -> float:
    """MMD^2 of normalised-Laplacian spectra (200-bin pmfs, Gaussian-EMD, sigma = 1, EMD in
    bins), as GDSS's ``spectral_stats`` with its default kernel settings."""
    return mmd2_gaussian_emd([spectral_hist(g) for g in ref], [spectral_hist(g) for g in gen],
                             1.0)


# ---------------------------------------------------------------------- scalar statistics

def characteristic_path_length(g: nx.Graph) -> float:
    """Mean finite shortest-path length over ordered pairs of distinct connected nodes (NaN
    when there is no such pair)."""
    h = spl_hist(g)
    total = h.sum()
    return float((h * np.arange(len(h))).sum() / total) if total > 0 else float("nan")


def diameter(g: nx.Graph) -> int:
    """Largest finite shortest-path length (the largest component diameter)."""
    return max((nx.diameter(g.subgraph(c)) for c in nx.connected_components(g)), default=0)


def connected_fraction(graphs: Sequence[nx.Graph]) -> float:
    """Share of connected graphs (our ``valid_fraction``)."""
    return float(np.mean([nx.is_connected(g) for g in graphs])) if graphs else float("nan")


def _hash(g: nx.Graph) -> str:
    with warnings.catch_warnings():  # networkx 3.5+ warns that hashes changed across versions
        warnings.simplefilter("ignore", UserWarning)
        return nx.weisfeiler_lehman_graph_hash(g, iterations=3)


def _contains(buckets: dict[str, list[nx.Graph]], g: nx.Graph, h: str) -> bool:
    """Whether an isomorphic copy of g is already in buckets (WL hash first, then a full
    isomorphism test among equal hashes: the hash has false collisions, never misses)."""
    return any(nx.is_isomorphic(g, other) for other in buckets.get(h, []))


def unique_fraction(graphs: Sequence[nx.Graph]) -> float:
    """Share of graphs not isomorphic to an earlier one in the list."""
    seen: dict[str, list[nx.Graph]] = {}
    unique = 0
    for g in graphs:
        h = _hash(g)
        if not _contains(seen, g, h):
            unique += 1
            seen.setdefault(h, []).append(g)
    return unique / len(graphs) if graphs else float("nan")


def novel_fraction(graphs: Sequence[nx.Graph], train: Sequence[nx.Graph]) -> float:
    """Share of graphs isomorphic to no training graph."""
    known: dict[str, list[nx.Graph]] = {}
    for g in train:
        known.setdefault(_hash(g), []).append(g)
    novel = sum(not _contains(known, g, _hash(g)) for g in graphs)
    return novel / len(graphs) if graphs else float("nan")


def mean_finite(values: Sequence[float]) -> float:
    """Mean of the finite values (NaN when none)."""
    v = [x for x in values if np.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


def mmds(ref: Sequence[nx.Graph], gen: Sequence[nx.Graph]) -> dict[str, float]:
    """Every MMD^2 of gen against ref."""
    return {"mmd_degree": mmd_degree(ref, gen), "mmd_clustering": mmd_clustering(ref, gen),
            "mmd_orbit": mmd_orbit(ref, gen), "mmd_spectral": mmd_spectral(ref, gen),
            "mmd_spl": mmd_spl(ref, gen)}


def evaluate_graphs(generated_draws: Sequence[Sequence[nx.Graph]], test: Sequence[nx.Graph],
                    train: Sequence[nx.Graph], er_draw: Sequence[nx.Graph]) -> dict[str, float]:
    """Every graphs-mode metric: the model (MMDs averaged over the draws, their spread over
    the draws as ``*_std``, and all draws pooled as ``*_pooled``), the train-vs-test floor
    and the Erdos-Renyi ceiling, with the keys of metrics.json."""
    per_draw = [mmds(test, d) for d in generated_draws]
    out = {k: float(np.mean([m[k] for m in per_draw])) for k in per_draw[0]}
    out.update({f"{k}_std": float(np.std([m[k] for m in per_draw])) for k in per_draw[0]})
    every = [g for d in generated_draws for g in d]
    # One more, less noisy reading: every draw pooled into one large generated set (its
    # within-set term has a smaller diagonal bias than a set of test size, so it reads lower
    # than the protocol's number; reported beside it, never instead of it).
    if len(generated_draws) > 1:
        out.update({f"{k}_pooled": v for k, v in mmds(test, every).items()})
    out["cpl_generated"] = mean_finite([characteristic_path_length(g) for g in every])
    out["cpl_reference"] = mean_finite([characteristic_path_length(g) for g in test])
    out["diameter_generated"] = float(np.mean([diameter(g) for g in every]))
    out["diameter_reference"] = float(np.mean([diameter(g) for g in test]))
    out["valid_fraction"] = connected_fraction(every)
    out["unique_fraction"] = unique_fraction(every)
    out["novel_fraction"] = novel_fraction(every, train)
    out["nodes_generated"] = float(np.mean([g.number_of_nodes() for g in every]))
    out["nodes_reference"] = float(np.mean([g.number_of_nodes() for g in test]))
    out["edges_generated"] = float(np.mean([g.number_of_edges() for g in every]))
    out["edges_reference"] = float(np.mean([g.number_of_edges() for g in test]))
    for prefix, other in (("train_test", train), ("er", er_draw)):
        for k, v in mmds(test, other).items():
            out[f"{k}_{prefix}"] = v
    return out


def erdos_renyi_like(graphs: Sequence[nx.Graph], count: int, seed: int) -> list[nx.Graph]:
    """The ceiling row: G(n, p) graphs with n drawn from the graphs' sizes and p their mean
    density."""
    rng = np.random.default_rng(seed)
    density = float(np.mean([nx.density(g) for g in graphs]))
    sizes = [g.number_of_nodes() for g in graphs]
    return [nx.gnp_random_graph(int(rng.choice(sizes)), density, seed=int(rng.integers(2**31)))
            for _ in range(count)]


_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_NONNEG = {"type": "number", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}
#: MMD^2 = E k(a, a') + E k(b, b') - 2 E k(a, b) with a kernel in (0, 1]: within (-2, 2) (the
#: Gaussian-EMD kernel is not positive definite, so a value a little below 0 can occur).
_MMD = {"type": "number", "minimum": -2, "maximum": 2}
_MMD_NAMES = ("mmd_degree", "mmd_clustering", "mmd_orbit", "mmd_spectral", "mmd_spl")
#: The orbit MMD is null when the optional ORCA bindings are not installed.
_MMD_OR_NULL = {**_MMD, "type": ["number", "null"]}
#: A graph's characteristic path length is a mean of path lengths >= 1; NaN (null) when no
#: generated graph has a connected pair of nodes.
_CPL = {"type": ["number", "null"], "minimum": 1}
_SECONDS = _NONNEG

GRAPHS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [*_MMD_NAMES, *(f"{k}_std" for k in _MMD_NAMES),
                 *(f"{k}_train_test" for k in _MMD_NAMES), *(f"{k}_er" for k in _MMD_NAMES),
                 "cpl_generated", "cpl_reference", "diameter_generated", "diameter_reference",
                 "valid_fraction", "unique_fraction", "novel_fraction", "nodes_generated",
                 "nodes_reference", "edges_generated", "edges_reference", "dataset", "mode",
                 "max_nodes", "n_train", "n_test", "n_eval", "steps", "train_seconds",
                 "eval_seconds"],
    "properties": {
        "mode": {"const": "graphs"},
        **{k: _MMD for k in _MMD_NAMES},
        **{f"{k}_{suffix}": _MMD for k in _MMD_NAMES
           for suffix in ("pooled", "train_test", "er")},
        **{f"{k}_std": _NONNEG for k in _MMD_NAMES},
        **{k: (_MMD_OR_NULL if k != "mmd_orbit_std" else {**_NONNEG, "type": ["number", "null"]})
           for k in ("mmd_orbit", "mmd_orbit_std", "mmd_orbit_pooled", "mmd_orbit_train_test",
                     "mmd_orbit_er")},
        "cpl_generated": _CPL, "cpl_reference": _CPL,
        "diameter_generated": _NONNEG, "diameter_reference": _NONNEG,
        "valid_fraction": _SHARE, "unique_fraction": _SHARE, "novel_fraction": _SHARE,
        "nodes_generated": _NONNEG, "nodes_reference": _NONNEG,
        "edges_generated": _NONNEG, "edges_reference": _NONNEG,
        "dataset": {"type": "string", "minLength": 1},
        "max_nodes": {"type": "integer", "minimum": 1},
        "n_train": {"type": "integer", "minimum": 1},
        "n_test": {"type": "integer", "minimum": 1},
        "n_eval": {"type": "integer", "minimum": 1},
        "steps": _COUNT,
        "train_seconds": _SECONDS, "eval_seconds": _SECONDS,
    },
    # every draw pooled: reported when there is more than one draw (--eval-draws, 20 default)
    "dependentRequired": {"mmd_degree_pooled": [f"{k}_pooled" for k in _MMD_NAMES[1:]]},
}

NODES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["mode", "graph", "nodes", "edges", "weighted", "w1_initial", "w1_final",
                 "w1_final_ema", "w_critic_final", "w_critic_certified_final", "tv_final_ema",
                 "check_w_critic", "check_w1_exact", "check_gap", "check_seconds", "steps",
                 "train_seconds"],
    "properties": {
        "mode": {"const": "nodes"},
        "graph": {"type": "string", "minLength": 1},
        "nodes": {"type": "integer", "minimum": 1},
        "edges": _COUNT,
        "weighted": {"type": "boolean"},
        "w1_initial": _NONNEG, "w1_final": _NONNEG, "w1_final_ema": _NONNEG,
        # E_q f - E_p f of a critic: any sign (below 0 when it has not learned yet)
        "w_critic_final": {"type": "number"}, "w_critic_certified_final": {"type": "number"},
        "tv_final_ema": _SHARE,  # total variation between two distributions
        "check_w_critic": {"type": "number"},
        "check_w1_exact": _NONNEG,
        "check_gap": {"type": ["number", "null"], "minimum": 0},  # NaN when W1 is 0
        "check_seconds": _SECONDS,
        "steps": _COUNT,
        "train_seconds": _SECONDS,
    },
}

#: JSON Schema of a graphgen run's metrics.json: one of the two modes' metrics.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "graphgen metrics.json",
    "oneOf": [GRAPHS_SCHEMA, NODES_SCHEMA],
}

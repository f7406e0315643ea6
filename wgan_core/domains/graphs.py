"""The nodes of a graph under its shortest-path metric, and the discrete (edge) penalty.

A point of :class:`GraphSpace` is a probability distribution over the graph's ``n`` nodes,
stored as a row of a ``[B, n]`` tensor; a one-hot row is a single node. A critic on the space
is a function on the nodes, extended linearly to distributions (``f(x) = x . phi``), which is
exactly the class of functions in the Kantorovich-Rubinstein dual of W1. On a graph the
Lipschitz condition only has to hold on edges: if ``|phi(u) - phi(v)| <= w(u, v)`` for every
edge then ``|phi(u) - phi(v)| <= d(u, v)`` for every pair (sum along a shortest path). So the
"gradient" is the set of edge finite differences, and :class:`EdgePenalty` penalizes the ones
above the target slope.

The distance matrix (all-pairs shortest paths, scipy.sparse.csgraph) is computed lazily:
training with the edge penalty needs only the edges; the exact W1 needs the matrix.

A disconnected graph is refused with a DataError (W1 between components is infinite); pass
its largest connected component instead (``largest_component``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor, nn

from .. import tensors as T
from ..constraints import Constraint
from ..errors import DataError
from ..spaces import MetricSpace
from ..tensors import Sample

#: Rows of the identity pushed through a critic at once when it has no ``node_values``.
_CHUNK = 1024


def largest_component(graph: Any) -> Any:
    """The subgraph induced by the largest connected component of a networkx graph."""
    import networkx as nx

    if graph.number_of_nodes() == 0:
        return graph
    nodes = max(nx.connected_components(graph), key=len)
    return graph.subgraph(nodes).copy()


class GraphSpace(MetricSpace):
    """The shortest-path metric of a connected, undirected graph (weighted or unweighted).

    ``graph`` is a networkx graph; ``weight`` names the edge attribute holding edge lengths
    (missing attributes count as length 1), or None for hop counts. Lengths must be positive.
    ``nodes`` keeps the graph's node order: column ``i`` of a point is ``nodes[i]``.
    """

    def __init__(self, graph: Any, weight: str | None = "weight") -> None:
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components

        self.graph = graph
        self.weight = weight
        self.nodes: list[Any] = list(graph.nodes())
        self.n = len(self.nodes)
        if self.n == 0:
            raise DataError("graph has no nodes")
        if graph.is_directed():
            raise DataError("graph is directed; the shortest-path metric needs an undirected "
                            "graph")
        index = {v: i for i, v in enumerate(self.nodes)}
        rows, cols, lengths = [], [], []
        for u, v, data in graph.edges(data=True):
            if u == v:
                continue  # a self-loop adds nothing to a metric
            w = 1.0 if weight is None else float(data.get(weight, 1.0))
            if not (np.isfinite(w) and w > 0):
                raise DataError(f"edge ({u}, {v}) has length {w}; lengths must be positive")
            rows.append(index[u])
            cols.append(index[v])
            lengths.append(w)
        self.edges = torch.tensor([rows, cols], dtype=torch.long).reshape(2, -1)
        self.lengths = torch.tensor(lengths, dtype=torch.float32)
        self._csr = sp.csr_matrix((lengths, (rows, cols)), shape=(self.n, self.n))
        k, _ = connected_components(self._csr, directed=False)
        if k > 1:
            raise DataError(f"graph is disconnected ({k} components); the distance between "
                            "components is infinite, so use its largest connected component")
        self._dist: np.ndarray | None = None
        self.target_slope = 1.0

    # ------------------------------------------------------------------ the metric
    @property
    def distances(self) -> np.ndarray:
        """All-pairs shortest-path lengths ``[n, n]`` (float64), computed on first use."""
        if self._dist is None:
            from scipy.sparse.csgraph import shortest_path

            # Dijkstra from every node; ``min`` of parallel entries is what csgraph uses.
            self._dist = shortest_path(self._csr, method="D", directed=False)
        return self._dist

    def distance(self, x: Sample, y: Sample) -> Tensor:
        """Pairwise W1 between the rows of x and y (node distances when rows are one-hot)."""
        xs, ys = T.as_tuple(x)[0].detach().double().cpu(), T.as_tuple(y)[0].detach().double().cpu()
        d = self.distances
        if _one_hot(xs) and _one_hot(ys):
            return torch.from_numpy(d[np.ix_(xs.argmax(1).numpy(), ys.argmax(1).numpy())])
        out = torch.empty(xs.shape[0], ys.shape[0], dtype=torch.float64)
        for i in range(xs.shape[0]):
            for j in range(ys.shape[0]):
                out[i, j] = self.w1(xs[i], ys[j])
        return out

    def w1(self, p: Tensor | np.ndarray, q: Tensor | np.ndarray) -> float:
        """Exact W1 between two distributions over the nodes (POT's network simplex,
        ``ot.emd2``, on the shortest-path matrix restricted to the two supports)."""
        import ot

        p = _as_prob(p)
        q = _as_prob(q)
        sp, sq = np.flatnonzero(p > 0), np.flatnonzero(q > 0)
        cost = self.distances[np.ix_(sp, sq)]
        return float(ot.emd2(p[sp] / p[sp].sum(), q[sq] / q[sq].sum(), cost,
                             numItermax=50_000_000))

    def interpolate(self, real: Sample, fake: Sample, generator: torch.Generator | None = None
                    ) -> Sample:
        """Mixtures ``(1 - eps) real + eps fake``: distributions again."""
        first = T.as_tuple(real)[0]
        eps = torch.rand(first.shape[0], generator=generator).to(first.device, first.dtype)
        return T.like(real, tuple(r + eps.view(-1, *([1] * (r.dim() - 1))) * (f - r)
                                  for r, f in zip(T.as_tuple(real), T.as_tuple(fake))))

    # ------------------------------------------------------------------ the slopes
    def node_values(self, critic: Callable[..., Tensor], cond: Tensor | None = None) -> Tensor:
        """The critic's value at every node, ``[n]`` (differentiable).

        Uses ``critic.node_values()`` when the critic has it (a function stored per node);
        otherwise evaluates the critic on one-hot rows, a chunk at a time.
        """
        fast = getattr(critic, "node_values", None)
        if callable(fast):
            return fast()
        device = _device_of(critic)
        parts = []
        for start in range(0, self.n, _CHUNK):
            stop = min(start + _CHUNK, self.n)
            eye = torch.zeros(stop - start, self.n, device=device)
            eye[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            c = None if cond is None else cond[:1].expand(stop - start, *cond.shape[1:])
            parts.append(critic(eye, c) if c is not None else critic(eye))
        return torch.cat(parts).reshape(-1)

    def edge_slopes(self, values: Tensor) -> Tensor:
        """``|f(u) - f(v)| / w(u, v)`` on every edge: the discrete gradient of f (in float32
        at least: node values from a critic under autocast are cast first)."""
        if values.dtype in (torch.bfloat16, torch.float16):
            values = values.float()
        e = self.edges.to(values.device)
        return (values[e[0]] - values[e[1]]).abs() / self.lengths.to(values.device, values.dtype)

    def slopes(self, critic: Callable[..., Tensor], points: Sample | None = None) -> Tensor:
        """Edge finite differences of the critic on the edges touching the points' support
        (all edges when ``points`` is None); one value per edge."""
        with torch.no_grad():
            s = self.edge_slopes(self.node_values(critic))
            if points is None:
                return s
            support = (T.as_tuple(points)[0].detach().abs().sum(0) > 0).cpu()
            touch = support[self.edges[0]] | support[self.edges[1]]
            return s[touch.to(s.device)]

    # ------------------------------------------------------------------ helpers
    def one_hot(self, nodes: Tensor | None = None) -> Tensor:
        """One-hot rows for the given node indices (all nodes by default)."""
        idx = torch.arange(self.n) if nodes is None else nodes
        out = torch.zeros(len(idx), self.n)
        out[torch.arange(len(idx)), idx] = 1.0
        return out

    def __repr__(self) -> str:
        kind = "hops" if self.weight is None else f"lengths '{self.weight}'"
        return f"GraphSpace(n={self.n}, edges={self.edges.shape[1]}, {kind})"


class EdgePenalty(Constraint):
    """The discrete gradient penalty of a graph: ``weight * sum_e max(0, s_e/K - 1)^2``.

    ``s_e = |f(u) - f(v)| / w(u, v)`` on every edge e (``GraphSpace.edge_slopes``) and K the
    space's target slope. One-sided by default: on a graph the optimal potential has slope
    exactly K only on edges that carry transport and less elsewhere, so a two-sided penalty
    would pull it away from the optimum. Summed, not averaged, over edges, so that the
    weight of one violated edge does not shrink as the graph grows.
    """

    def __init__(self, weight: float = 100.0, one_sided: bool = True) -> None:
        self.weight = float(weight)
        self.one_sided = one_sided

    def penalty(self, critic: nn.Module, real: Sample, fake: Sample, cond: Tensor | None,
                space: MetricSpace, generator: torch.Generator | None = None,
                groups: Tensor | None = None, shard: slice | None = None) -> Tensor:
        # Not a per-sample penalty: every edge, whatever the batch (or its shard) holds.
        if not isinstance(space, GraphSpace):
            raise TypeError(f"EdgePenalty needs a GraphSpace, got {space!r}")
        excess = space.edge_slopes(space.node_values(critic, cond)) / space.target_slope - 1.0
        if self.one_sided:
            excess = excess.clamp(min=0.0)
        return self.weight * excess.pow(2).sum()

    def __repr__(self) -> str:
        return f"EdgePenalty(weight={self.weight:g}, one_sided={self.one_sided})"


def _one_hot(x: Tensor) -> bool:
    return bool(((x == 0) | (x == 1)).all() and (x.sum(1) == 1).all())


def _as_prob(p: Tensor | np.ndarray) -> np.ndarray:
    a = np.asarray(p.detach().cpu() if isinstance(p, Tensor) else p, dtype=np.float64).ravel()
    if (a < 0).any() or not a.sum() > 0:
        raise ValueError("a distribution over nodes must be non-negative and not all zero")
    return a / a.sum()


def _device_of(module: Any) -> torch.device:
    params = getattr(module, "parameters", None)
    if callable(params):
        for p in params():
            return p.device
    return torch.device("cpu")

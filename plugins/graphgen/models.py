"""Generators and critics of both modes.

Graphs mode: an MLP generator emits edge logits for the upper triangle and node-count logits;
edges and the node count are sampled discretely in the forward pass and differentiated through
the straight-through Gumbel-softmax relaxation (Jang et al., 2017; Maddison et al., 2017):
the forward value is the hard sample, the backward pass uses the gradient of the tempered
softmax. All noise (Gaussian latent and the Gumbel/logistic uniforms) is part of the latent the
trainer draws from its seeded generator, so resuming a run replays it exactly. The critic is a
dense GIN (torch_geometric's ``DenseGINConv``) over (adjacency, node features, triangle and
random-walk features computed from the adjacency) with a masked sum readout of every layer: permutation invariant, no batch normalization.

Nodes mode: the generator is a distribution over nodes (softmax of free logits); the critic is
a function on nodes, either a free value per node or a GCN over the fixed graph, extended
linearly to distributions (``critic(x) = x . phi``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import DenseGINConv, GCNConv

from wgan_core.models import Critic, Generator, mlp

from .data import node_features

GraphSample = tuple[Tensor, Tensor]


# ---------------------------------------------------------------------- graphs mode

class GraphGenerator(Generator):
    """latent -> (adjacency [B, N, N], node features [B, N, 2]): symmetric, no self-loops,
    zero outside the node mask; discrete forward, straight-through Gumbel backward."""

    def __init__(self, max_nodes: int, latent_dim: int = 32, hidden: int = 256, depth: int = 3,
                 tau: float = 1.0) -> None:
        super().__init__()
        self.max_nodes = max_nodes
        self.latent_dim = latent_dim
        self.tau = tau
        self.n_pairs = max_nodes * (max_nodes - 1) // 2
        self.body = nn.Sequential(mlp([latent_dim] + [hidden] * depth, nn.LeakyReLU),
                                  nn.LeakyReLU(0.2))
        self.edge_head = nn.Linear(hidden, self.n_pairs)
        self.size_head = nn.Linear(hidden, max_nodes)  # logits of n = 1..N
        rows, cols = torch.triu_indices(max_nodes, max_nodes, offset=1)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)

    @property
    def noise_dim(self) -> int:
        """Width of the full latent: Gaussian part, edge uniforms, size uniforms."""
        return self.latent_dim + self.n_pairs + self.max_nodes

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        z = torch.randn(n, self.latent_dim, generator=generator)
        u = torch.rand(n, self.n_pairs + self.max_nodes, generator=generator)
        u = u.clamp(1e-6, 1 - 1e-6)
        return torch.cat([z, u], dim=1).to(device if device is not None else self._device())

    def forward(self, z: Tensor, cond: Tensor | None = None) -> GraphSample:
        if z.shape[1] == self.latent_dim:  # a bare Gaussian latent: draw the uniforms here
            z = torch.cat([z, torch.rand(z.shape[0], self.n_pairs + self.max_nodes,
                                         device=z.device).clamp(1e-6, 1 - 1e-6)], dim=1)
        g, u_edge, u_size = torch.split(z, [self.latent_dim, self.n_pairs, self.max_nodes], 1)
        h = self.body(g)
        # Edges: a 2-class Gumbel-softmax is a logistic perturbation of one logit.
        logits = self.edge_head(h) + torch.log(u_edge) - torch.log1p(-u_edge)
        soft = torch.sigmoid(logits / self.tau)
        edges = (logits > 0).to(soft.dtype) + (soft - soft.detach())  # exactly 0 or 1
        # Node count: a Gumbel-softmax over n = 1..N, mask_i = P(n > i) in one-hot form.
        size_logits = self.size_head(h) - torch.log(-torch.log(u_size))
        size_soft = F.softmax(size_logits / self.tau, dim=1)
        size_hard = F.one_hot(size_soft.argmax(1), self.max_nodes).to(size_soft.dtype)
        size = size_hard + (size_soft - size_soft.detach())
        mask = size.flip(1).cumsum(1).flip(1)
        b, n = z.shape[0], self.max_nodes
        adj = z.new_zeros(b, n, n)
        adj[:, self.rows, self.cols] = edges
        adj = adj + adj.transpose(1, 2)
        adj = adj * mask.unsqueeze(1) * mask.unsqueeze(2)
        return adj, node_features(adj, mask)


#: Random-walk lengths of the connectivity features (by repeated squaring: 2, 4, 8, 16).
WALK_STEPS = (2, 4, 8, 16)


def structural_features(adj: Tensor, feat: Tensor, walks: bool = True) -> Tensor:
    """The given features plus triangles per node (diag(A^3) / 2, scaled), the local
    clustering coefficient and (``walks``) the spread of a lazy random walk
    P = (A + I) / (deg + 1) started at each node after 2, 4, 8 and 16 steps,
    ``1 - sum_j (P^k)_ij^2`` (the chance that two independent walks from i end apart), all
    computed from the (possibly interpolated) adjacency so they stay differentiable.

    Why: a GIN is at most as strong as 1-WL, which cannot count triangles, and clustering is
    one of the statistics the evaluation measures; and a few sum-aggregation layers barely
    tell two dense communities joined by one bridge from the same two communities apart
    (the bridge changes two degrees by one), while a long walk crosses the bridge. The walk
    is row-stochastic, so these features have bounded slopes in the adjacency (an unnormalized
    reachability count grows geometrically with the walk length and wrecks the gradient
    penalty: we measured it).
    """
    n = adj.shape[-1]
    deg = adj.sum(-1)
    tri = ((adj @ adj) * adj).sum(-1) / 2
    pairs = (deg * (deg - 1) / 2).clamp(min=1.0)
    parts = [feat, (tri / n).unsqueeze(-1), (tri / pairs).unsqueeze(-1)]
    if walks:
        mask = feat[..., 0]
        eye = torch.eye(n, dtype=adj.dtype, device=adj.device)
        p = (adj + eye * mask.unsqueeze(-1)) / (deg + 1).unsqueeze(-1)
        for k in range(1, max(WALK_STEPS).bit_length()):
            p = p @ p
            if 2 ** k in WALK_STEPS:
                parts.append((1 - (p * p).sum(-1)).unsqueeze(-1) * mask.unsqueeze(-1))
    return torch.cat(parts, dim=-1)


class GraphCritic(Critic):
    """Dense GIN over (adjacency, features + triangle and random-walk features, see
    :func:`structural_features`): every layer's node states are summed over the (soft) node
    mask and the concatenation goes through an MLP to one
    score."""

    def __init__(self, in_features: int = 2, hidden: int = 64, layers: int = 3,
                 walks: bool = True) -> None:
        super().__init__()
        self.walks = walks
        self.convs = nn.ModuleList()
        # triangles, clustering coefficient (+ random-walk spreads)
        in_features = in_features + 2 + (len(WALK_STEPS) if walks else 0)
        width = in_features
        for _ in range(layers):
            self.convs.append(DenseGINConv(mlp([width, hidden, hidden], nn.LeakyReLU),
                                           train_eps=True))
            width = hidden
        self.head = mlp([in_features + hidden * layers, hidden, 1], nn.LeakyReLU)

    def forward(self, x: GraphSample, cond: Tensor | None = None) -> Tensor:
        adj, feat = x
        mask = feat[..., :1]  # soft on interpolates, so used as a weight, not an index
        h = structural_features(adj, feat, self.walks) * mask
        pooled = [(h * mask).sum(1)]
        for conv in self.convs:
            h = F.leaky_relu(conv(h, adj, add_loop=True), 0.2) * mask
            pooled.append(h.sum(1))
        return self.head(torch.cat(pooled, dim=1)).squeeze(-1)


# ---------------------------------------------------------------------- nodes mode

class NodeDistribution(Generator):
    """A distribution over n nodes: softmax of free logits. Its sample is the whole
    distribution (one row per latent); the latent only sets how many rows."""

    latent_dim = 1

    def __init__(self, n: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n))

    def probabilities(self) -> Tensor:
        """The distribution over nodes, [n]."""
        return F.softmax(self.logits, dim=0)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.probabilities().unsqueeze(0).expand(z.shape[0], -1)


class NodePotential(Critic):
    """A free value per node, phi = scale * theta (scale: the mean edge length, so Adam's
    step is measured in the graph's units); ``critic(x) = x . phi``."""

    def __init__(self, n: int, scale: float = 1.0) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(n))
        self.scale = float(scale)

    def node_values(self) -> Tensor:
        return self.theta * self.scale

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        return x @ self.node_values()


class GCNNodeCritic(Critic):
    """A GCN over the fixed graph from learned node embeddings to one value per node, plus a
    free per-node offset (so it can represent any function); ``critic(x) = x . phi``."""

    def __init__(self, edge_index: Tensor, n: int, hidden: int = 32, layers: int = 2,
                 scale: float = 1.0) -> None:
        super().__init__()
        ei = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        self.register_buffer("edge_index", ei, persistent=False)
        self.embed = nn.Parameter(torch.randn(n, hidden) * 0.1)
        self.convs = nn.ModuleList(GCNConv(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, 1)
        self.offset = nn.Parameter(torch.zeros(n))
        self.scale = float(scale)

    def node_values(self) -> Tensor:
        h = self.embed
        for conv in self.convs:
            h = F.leaky_relu(conv(h, self.edge_index), 0.2)
        return (self.out(h).squeeze(-1) + self.offset) * self.scale

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        return x @ self.node_values()

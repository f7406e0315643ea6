"""Graph generator output is a valid discrete graph with gradients; the critic is invariant."""

from __future__ import annotations

import torch

from wgan_plugins.graphgen.data import node_features
from wgan_plugins.graphgen.models import GraphCritic, GraphGenerator, structural_features


def test_generator_emits_symmetric_binary_masked_adjacency_with_gradients() -> None:
    torch.manual_seed(0)
    gen = GraphGenerator(max_nodes=9, latent_dim=4, hidden=16, depth=1)
    adj, feat = gen(gen.sample_latent(16, torch.Generator().manual_seed(0)))
    assert adj.shape == (16, 9, 9) and feat.shape == (16, 9, 2)
    assert torch.equal(adj, adj.transpose(1, 2))
    assert adj.diagonal(dim1=1, dim2=2).abs().sum() == 0
    assert set(adj.detach().unique().tolist()) <= {0.0, 1.0}
    mask = feat[..., 0]
    assert set(mask.detach().unique().tolist()) <= {0.0, 1.0}
    outside = 1 - mask.unsqueeze(1) * mask.unsqueeze(2)
    assert (adj * outside).abs().sum() == 0
    assert mask.sum(1).min() >= 1 and len(mask.sum(1).unique()) > 1  # sizes vary
    # straight-through: the hard sample still carries a gradient to both heads
    (adj.sum() + feat.sum()).backward()
    assert gen.edge_head.weight.grad.abs().sum() > 0
    assert gen.size_head.weight.grad.abs().sum() > 0


def test_same_latent_same_graph() -> None:
    gen = GraphGenerator(max_nodes=6, latent_dim=3, hidden=8, depth=1)
    z = gen.sample_latent(4, torch.Generator().manual_seed(5))
    assert torch.equal(gen(z)[0], gen(z)[0])


def test_critic_is_permutation_invariant() -> None:
    torch.manual_seed(0)
    critic = GraphCritic(hidden=8, layers=2)
    gen = GraphGenerator(max_nodes=7, latent_dim=3, hidden=8, depth=1)
    with torch.no_grad():
        adj, feat = gen(gen.sample_latent(5, torch.Generator().manual_seed(1)))
        perm = torch.randperm(7)
        permuted = (adj[:, perm][:, :, perm], feat[:, perm])
        assert torch.allclose(critic((adj, feat)), critic(permuted), atol=1e-5)


def test_walk_features_see_the_bridge_between_two_communities() -> None:
    """Two triangles, with and without a bridge: the long-walk spread rises on every node
    once the bridge is there; padding nodes stay zero; the critic runs without them too."""
    two = torch.zeros(1, 7, 7)
    for u, v in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)]:
        two[0, u, v] = two[0, v, u] = 1.0
    bridged = two.clone()
    bridged[0, 2, 3] = bridged[0, 3, 2] = 1.0
    mask = torch.tensor([[1.0] * 6 + [0.0]])
    spread = [structural_features(a, node_features(a, mask))[0, :, -1] for a in (two, bridged)]
    # apart: the walk stays in its triangle, mixed uniformly there: 1 - 3 * (1/3)^2
    assert torch.allclose(spread[0][:6], torch.full((6,), 2 / 3), atol=1e-4)
    assert (spread[1][:6] > spread[0][:6] + 0.05).all()
    assert spread[0][6] == 0 and spread[1][6] == 0
    critic = GraphCritic(hidden=8, layers=1, walks=False)
    assert critic((two, node_features(two, mask))).shape == (1,)

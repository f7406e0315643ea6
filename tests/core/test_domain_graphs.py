"""GraphSpace (shortest-path metric on nodes) and the discrete edge penalty."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from wgan_core.errors import DataError
from wgan_core.domains.graphs import EdgePenalty, GraphSpace, largest_component

from tests.helpers import LinearCritic


def test_path_distances_and_w1_by_hand() -> None:
    space = GraphSpace(nx.path_graph(5), weight=None)
    assert space.distances[0, 4] == 4 and space.distances[1, 3] == 2
    # all mass at node 0 vs all at node 4: 4; uniform on {0,1} vs uniform on {3,4}: 3
    assert space.w1([1, 0, 0, 0, 0], [0, 0, 0, 0, 1]) == pytest.approx(4.0)
    assert space.w1([.5, .5, 0, 0, 0], [0, 0, 0, .5, .5]) == pytest.approx(3.0)
    # half of the mass moves 2 hops (node 0 -> 2): 1
    assert space.w1([1, 0, 0, 0, 0], [.5, 0, .5, 0, 0]) == pytest.approx(1.0)


def test_cycle_w1_goes_the_short_way_round() -> None:
    space = GraphSpace(nx.cycle_graph(6), weight=None)
    p = np.zeros(6)
    p[0] = 1
    q = np.zeros(6)
    q[5] = 0.5
    q[3] = 0.5  # node 5 is 1 hop away (not 5), node 3 is 3 hops
    assert space.w1(p, q) == pytest.approx(0.5 * 1 + 0.5 * 3)


def test_weighted_lengths_are_used() -> None:
    g = nx.Graph()
    g.add_edge("a", "b", length=2.5)
    g.add_edge("b", "c", length=1.0)
    g.add_edge("a", "c", length=10.0)
    space = GraphSpace(g, weight="length")
    i = {v: k for k, v in enumerate(space.nodes)}
    assert space.distances[i["a"], i["c"]] == pytest.approx(3.5)
    hops = GraphSpace(g, weight=None)
    assert hops.distances[i["a"], i["c"]] == pytest.approx(1.0)


def test_distance_of_one_hot_rows_is_the_node_distance() -> None:
    space = GraphSpace(nx.path_graph(4), weight=None)
    d = space.distance(space.one_hot(torch.tensor([0, 3])), space.one_hot(torch.tensor([1])))
    assert d[:, 0].tolist() == [1.0, 2.0]


def test_disconnected_graph_is_refused_with_a_clear_error() -> None:
    g = nx.union(nx.path_graph(3), nx.path_graph([10, 11]))
    with pytest.raises(DataError, match="disconnected \\(2 components\\)"):
        GraphSpace(g)
    assert largest_component(g).number_of_nodes() == 3
    GraphSpace(largest_component(g))


def test_edge_penalty_zero_for_1_lipschitz_positive_otherwise() -> None:
    space = GraphSpace(nx.path_graph(4), weight=None)
    penalty = EdgePenalty(weight=10.0)
    x = space.one_hot()
    lipschitz = LinearCritic([0.0, 1.0, 1.5, 0.5])  # slopes 1, .5, 1
    assert penalty.penalty(lipschitz, x, x, None, space).item() == 0.0
    steep = LinearCritic([0.0, 3.0, 3.0, 3.0])  # slope 3 on the first edge
    value = penalty.penalty(steep, x, x, None, space)
    assert value.item() == pytest.approx(10.0 * (3.0 - 1.0) ** 2)
    value.backward()  # and it is differentiable in the critic's parameters
    assert steep.w.grad is not None and steep.w.grad.abs().sum() > 0


def test_slopes_are_edge_finite_differences_over_lengths() -> None:
    g = nx.Graph()
    g.add_edge(0, 1, weight=2.0)
    g.add_edge(1, 2, weight=0.5)
    space = GraphSpace(g)
    critic = LinearCritic([0.0, 1.0, 2.0])
    assert sorted(space.slopes(critic).tolist()) == pytest.approx([0.5, 2.0])
    # through a plain callable (no node_values): evaluated on one-hot rows
    assert sorted(space.slopes(lambda x: critic(x)).tolist()) == pytest.approx([0.5, 2.0])


def test_interpolates_are_distributions() -> None:
    space = GraphSpace(nx.path_graph(3), weight=None)
    real = torch.tensor([[1.0, 0.0, 0.0]])
    fake = torch.tensor([[0.0, 0.5, 0.5]])
    mid = space.interpolate(real, fake, torch.Generator().manual_seed(0))
    assert mid.sum().item() == pytest.approx(1.0) and (mid >= 0).all()

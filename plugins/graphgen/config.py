"""Configuration of the graphgen plugin (both modes share one dataclass; options of the other
mode are ignored, and the shared training options take each mode's own defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wgan_core.config import ConfigError, ConstraintName, TrainConfig, option


@dataclass
class GraphGenConfig(TrainConfig):
    """Graph generation (``--mode graphs``) or a distribution over one graph's nodes
    (``--mode nodes``) under the Wasserstein distance."""

    mode: Literal["graphs", "nodes"] = option(
        "graphs", "graphs: learn a distribution over whole graphs; nodes: learn a distribution "
        "over the nodes of one graph under its shortest-path metric.")
    # ---- shared training defaults that suit graphs
    steps: int = option(3000, "Generator steps to train for.")
    batch_size: int = option(32, "Graphs per batch (graphs mode; nodes mode uses the whole "
                                 "distribution in every step).")
    lr_g: float = option(2e-4, "Generator learning rate.")
    lr_c: float = option(2e-4, "Critic learning rate.")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "Learning-rate schedule: constant, or linear decay to zero.")
    # The two-sided penalty and an EMA of 0.999 were the core's shared defaults this plugin
    # was measured with; declared here so that its runs stay as they were when the core's
    # defaults became the low-dimensional recipe (lp, no EMA).
    constraint: ConstraintName = option(
        "gp", "Lipschitz constraint: gradient penalty (graphgen's default; nodes mode: lp), "
        "spectral norm, weight clipping, one-sided penalty (WGAN-LP) or none.")
    ema_decay: float = option(
        0.999, "Decay of the generator's exponential moving average used for sampling and "
        "evaluation (0 disables).")
    log_every: int = option(100, "Write a row of log.csv every k generator steps.")
    checkpoint_every: int = option(1000, "Write checkpoints/last.pt every k generator steps.")
    # ---- graphs mode
    dataset: Literal["community-small", "grid-small", "caveman-small"] = option(
        "community-small", "Built-in graph set (graphs mode; ignored when --data is given).")
    data: Path | None = option(
        None, "Folder of graph files to learn instead (graphs mode): edge lists (.edgelist, "
              ".txt), GraphML (.graphml) or GML (.gml), one graph per file.")
    max_nodes: int = option(0, "Largest graph the generator can make (graphs mode); 0: the "
                               "largest graph of the data.")
    latent_dim: int = option(32, "Latent dimension of the graph generator.")
    hidden: int = option(256, "Hidden units of the generator MLP.")
    depth: int = option(3, "Hidden layers of the generator MLP.")
    critic_hidden: int = option(64, "Hidden units of each critic GIN layer.")
    critic_layers: int = option(3, "DenseGINConv layers of the critic.")
    critic_walks: bool = option(
        True, "Give the critic each node's random-walk spread after 2, 4, 8 and 16 steps "
              "(differentiable in the adjacency), so that it sees connectivity.")
    tau: float = option(1.0, "Temperature of the straight-through Gumbel-softmax relaxation.")
    n_eval: int = option(0, "Generated graphs per evaluation draw; 0: as many as the test "
                            "split (the GDSS protocol).")
    eval_draws: int = option(20, "Independent draws of generated graphs the MMDs are averaged "
                                 "over (the test set is small, one draw is noisy: the spread "
                                 "over draws is reported as *_std).")
    split_seed: int = option(42, "Seed of the built-in data and the 80/20 train/test split.")
    # ---- nodes mode
    graph: str = option(
        "karate", "Graph of nodes mode: karate, les-miserables, florentine, grid-road, or a "
                  "graph file (.edgelist, .txt, .graphml, .gml).")
    weight_attr: str = option(
        "", "Edge attribute holding edge lengths (nodes mode), on every edge; empty: 'length' "
            "when every edge has one (an edge list's third column, grid-road), else length 1.")
    largest_component: bool = option(
        False, "Use the largest connected component of a disconnected graph (nodes mode) "
               "instead of stopping with an error.")
    target: Path | None = option(
        None, "CSV 'node,weight' with the target distribution over nodes (nodes mode); "
              "default: a built-in distribution around three hotspots.")
    critic: Literal["free", "gnn"] = option(
        "free", "Critic of nodes mode: a free value per node, or a GCN over the graph.")

    @classmethod
    def defaults_for(cls, chosen: dict[str, Any]) -> dict[str, Any]:
        """Nodes mode's defaults for the shared options the user did not set (measured,
        plugins/graphgen/README.md): the one-sided edge penalty with weight 100, and Adam at
        0.2 for both players (critic values are in units of the mean edge length)."""
        if chosen.get("mode") == "nodes":
            return {"constraint": "lp", "penalty_weight": 100.0, "lr_g": 0.2, "lr_c": 0.2}
        return {}

    def validate(self) -> None:
        super().validate()
        for name in ("latent_dim", "hidden", "depth", "critic_hidden", "critic_layers",
                     "eval_draws"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_nodes < 0 or self.max_nodes == 1:
            raise ConfigError(f"max_nodes must be 0 (automatic) or at least 2, got "
                              f"{self.max_nodes}")
        if self.n_eval < 0:
            raise ConfigError(f"n_eval must be >= 0, got {self.n_eval}")
        if not self.tau > 0:
            raise ConfigError(f"tau must be positive, got {self.tau}")
        if self.mode == "nodes" and self.constraint in ("sn", "clip"):
            raise ConfigError(f"constraint '{self.constraint}' does not apply in nodes mode: it "
                              f"bounds the critic's weights, not its slope along the graph's "
                              f"edges; use lp (the edge penalty, the default), gp (two-sided) "
                              f"or none")

"""``wgan run graphgen``: wires data, models, constraint, space and trainer for either mode."""

from __future__ import annotations

from pathlib import Path

import torch

from wgan_core.errors import DataError
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run

from .config import GraphGenConfig
from .graphs import load_graph_generator, preview_graphs, run_graphs, sample_graphs
from .metrics import METRICS_SCHEMA
from .nodes import load_node_generator, run_nodes, sample_nodes


def run(config: GraphGenConfig, context: RunContext) -> RunResult:
    """Run the mode the config names."""
    if config.mode == "nodes":
        return run_nodes(config, context)
    return run_graphs(config, context)


def sample(run_dir: Path, n: int, output: Path, seed: int, device: torch.device) -> list[Path]:
    """graphs mode: n new graphs (GraphML + edge list each) in the folder OUTPUT;
    nodes mode: n nodes drawn from the learned distribution, as CSV."""
    config, checkpoint = load_run(run_dir, PLUGIN)
    if config.mode == "nodes":
        return sample_nodes(config, checkpoint, n, output, seed)
    if output.suffix.lower() in (".png", ".csv", ".txt", ".graphml", ".gml", ".edgelist"):
        raise DataError(f"{output}: graphs mode writes a folder of graph files; give a folder "
                        f"name, not a file name")
    return sample_graphs(config, checkpoint, n, output, seed, device)


def load_generator(run_dir: Path, config: GraphGenConfig, checkpoint: dict
                   ) -> torch.nn.Module:
    """The run's trained generator (for ``wgan.load``): graphs mode, a GraphGenerator whose
    ``sample(n)`` gives (adjacency, node features); nodes mode, the NodeDistribution whose
    ``probabilities()`` is the learned distribution over the graph's nodes."""
    if config.mode == "nodes":
        return load_node_generator(config, checkpoint)
    return load_graph_generator(config, checkpoint)


PLUGIN = Plugin(
    name="graphgen",
    summary="Graphs under the Wasserstein distance: generate whole graphs (GDSS-protocol MMDs) "
            "or fit a distribution over a graph's nodes in its shortest-path metric.",
    config_class=GraphGenConfig,
    run=run,
    sample=sample,
    sample_output="samples",
    load_generator=load_generator,
    preview=preview_graphs,  # graphs mode; the nodes mode draws none
    smoke_overrides={"steps": 3, "batch_size": 16, "hidden": 16, "critic_hidden": 8,
                     "latent_dim": 4, "eval_draws": 1, "log_every": 1, "checkpoint_every": 2},
    metrics_schema=METRICS_SCHEMA,
)

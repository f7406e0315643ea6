"""``--mode graphs``: learn a distribution over whole graphs and evaluate it as GDSS does."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Sequence

import networkx as nx
import numpy as np
import torch

from wgan_core.checkpoint import load_sampling_generator, sampling_state
from wgan_core.data import TensorSource
from wgan_core.errors import CheckpointError, DataError
from wgan_core.plots import figure_array, plot_training_curves, pyplot, save_figure
from wgan_core.plugin import RunContext, RunResult
from wgan_core.trainer import Trainer

from .config import GraphGenConfig
from .data import builtin_graphs, graphs_to_tensors, read_graph_dir, split, tensors_to_graphs
from .metrics import (ORBITS_MISSING, check_evaluable, clustering_hist, degree_hist,
                      erdos_renyi_like, orbits_available,
                      evaluate_graphs, spl_hist)
from .models import GraphCritic, GraphGenerator


def load_graph_split(config: GraphGenConfig) -> tuple[str, list[nx.Graph], list[nx.Graph]]:
    """(name, train, test): the user's folder or the built-in set, split 80/20 with a seed."""
    if config.data is not None:
        graphs, name = read_graph_dir(config.data), str(config.data)
        if len(graphs) < 5:
            raise DataError(f"{config.data}: needs at least 5 graphs for a train/test split, "
                            f"found {len(graphs)}")
    else:
        graphs, name = builtin_graphs(config.dataset, config.split_seed), config.dataset
    # before any training: a graph too large for the evaluation would only fail at the end
    check_evaluable(graphs, name)
    train, test = split(graphs, config.split_seed)
    return name, train, test


def build_graph_models(config: GraphGenConfig, max_nodes: int
                       ) -> tuple[GraphGenerator, GraphCritic]:
    """The generator and critic of graphs mode."""
    gen = GraphGenerator(max_nodes, config.latent_dim, config.hidden, config.depth, config.tau)
    critic = GraphCritic(2, config.critic_hidden, config.critic_layers, config.critic_walks)
    return gen, critic


@torch.no_grad()
def generate(generator: GraphGenerator, n: int, rng: torch.Generator) -> list[nx.Graph]:
    """n graphs from a generator (isolated nodes dropped, as GDSS evaluates)."""
    generator.eval()
    out: list[nx.Graph] = []
    while len(out) < n:
        k = min(512, n - len(out))
        adj, feat = generator.sample(k, generator=rng)
        out.extend(tensors_to_graphs(adj, feat))
    return out


def write_graphs(graphs: Sequence[nx.Graph], folder: Path, prefix: str = "graph") -> list[Path]:
    """Each graph as GraphML and as an edge list (``prefix_000.graphml`` / ``.edgelist``)."""
    folder.mkdir(parents=True, exist_ok=True)
    # Over an earlier sample (wgan sample --force) remove its graphs first, so a smaller
    # sample does not leave stale graph_0042 files beside the new ones.
    stale = re.compile(rf"{re.escape(prefix)}_\d{{4,}}\.(graphml|edgelist)")
    for old in folder.iterdir():
        if stale.fullmatch(old.name):
            old.unlink()
    paths = []
    for i, g in enumerate(graphs):
        base = folder / f"{prefix}_{i:04d}"
        nx.write_graphml(g, base.with_suffix(".graphml"))
        nx.write_edgelist(g, base.with_suffix(".edgelist"), data=False)
        paths += [base.with_suffix(".graphml"), base.with_suffix(".edgelist")]
    return paths


def plot_samples(real: Sequence[nx.Graph], fake: Sequence[nx.Graph], path: Path,
                 title: str, k: int = 8) -> Path:
    """Two rows of drawn graphs: real test graphs above, generated below."""
    plt = pyplot()
    k = min(k, len(real), len(fake))
    fig, axes = plt.subplots(2, k, figsize=(2.0 * k, 4.4))
    axes = np.asarray(axes).reshape(2, k)
    for row, (graphs, label, color) in enumerate(((real, "real", "tab:blue"),
                                                  (fake, "generated", "tab:orange"))):
        for j in range(k):
            ax = axes[row, j]
            g = graphs[j]
            pos = nx.spring_layout(g, seed=0)
            nx.draw_networkx(g, pos, ax=ax, node_size=18, with_labels=False, node_color=color,
                             width=0.6)
            ax.set_axis_off()
            ax.set_title(f"{label} n={g.number_of_nodes()}", fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


def preview_graphs(trainer: Trainer) -> np.ndarray | None:
    """TensorBoard's picture: four generated graphs (a fixed latent seed, so checkpoints
    compare); None for a trainer of another mode."""
    if not isinstance(trainer.generator, GraphGenerator):
        return None
    graphs = generate(trainer.sampling_generator, 4, torch.Generator().manual_seed(0))
    fig, axes = pyplot().subplots(1, len(graphs), figsize=(1.6 * len(graphs), 1.7), dpi=80,
                                  squeeze=False)
    for ax, g in zip(axes[0], graphs):
        nx.draw_networkx(g, nx.spring_layout(g, seed=0), ax=ax, node_size=10,
                         with_labels=False, node_color="tab:orange", width=0.5)
        ax.set_axis_off()
        ax.set_title(f"n={g.number_of_nodes()}", fontsize=7)
    fig.tight_layout()
    return figure_array(fig)


def plot_histograms(sets: dict[str, Sequence[nx.Graph]], path: Path) -> Path:
    """Mean degree, clustering and shortest-path-length distributions of each set."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (label, fn) in zip(axes, (("degree", degree_hist),
                                      ("clustering coefficient", lambda g: clustering_hist(g, 20)),
                                      ("shortest-path length", spl_hist))):
        for name, graphs in sets.items():
            hists = [fn(g) for g in graphs]
            width = max(len(h) for h in hists)
            mean = np.mean([np.pad(h / max(h.sum(), 1), (0, width - len(h))) for h in hists], 0)
            x = np.arange(width) / 20 if label.startswith("clustering") else np.arange(width)
            ax.plot(x, mean, marker=".", label=name)
        ax.set_xlabel(label)
        ax.set_ylabel("share")
    axes[0].legend()
    return save_figure(fig, path, dpi=100)


def run_graphs(config: GraphGenConfig, context: RunContext) -> RunResult:
    """Train on the train split, evaluate on the test split, write graphs and pictures."""
    name, train, test = load_graph_split(config)
    largest = max(g.number_of_nodes() for g in train + test)
    max_nodes = config.max_nodes or largest
    if max_nodes < largest:
        raise DataError(f"max_nodes={max_nodes} is smaller than the largest graph "
                        f"({largest} nodes)")
    source = TensorSource(graphs_to_tensors(train, max_nodes))
    torch.manual_seed(config.seed)
    generator, critic = build_graph_models(config, max_nodes)
    trainer = Trainer(generator, critic, source, config, run_dir=context.run_dir,
                      callbacks=context.callbacks("graphgen"), device=context.device,
                      strategy=context.strategy)
    started = time.perf_counter()
    trainer.fit()
    train_seconds = time.perf_counter() - started
    if not context.is_main:
        return RunResult(metrics={})

    started = time.perf_counter()
    rng = torch.Generator().manual_seed(config.seed + 1)
    n_eval = config.n_eval or len(test)
    sampler = trainer.sampling_generator
    draws = [generate(sampler, n_eval, rng) for _ in range(config.eval_draws)]
    er = erdos_renyi_like(train, len(test), config.seed + 2)
    if not orbits_available():
        context.echo(ORBITS_MISSING)
    metrics: dict[str, Any] = evaluate_graphs(draws, test, train, er)
    metrics.update({"dataset": name, "mode": "graphs", "max_nodes": max_nodes,
                    "n_train": len(train), "n_test": len(test), "n_eval": n_eval,
                    "steps": trainer.step, "train_seconds": round(train_seconds, 2),
                    "eval_seconds": round(time.perf_counter() - started, 2)})

    out = context.run_dir
    artifacts = write_graphs(draws[0], out / "samples")
    artifacts.append(plot_samples(test, draws[0], out / "samples.png",
                                  f"graphgen {name}: test graphs (top) vs generated (bottom)"))
    artifacts.append(plot_histograms({"test": test, "generated": draws[0], "Erdos-Renyi": er},
                                     out / "histograms.png"))
    curves = plot_training_curves(out / "log.csv", out / "curves.png", f"graphgen {name}")
    if curves is not None:
        artifacts.append(curves)
    return RunResult(metrics=metrics, artifacts=artifacts)


def load_graph_generator(config: GraphGenConfig, checkpoint: dict[str, Any]) -> GraphGenerator:
    """A trained graphs-mode generator (EMA weights when kept), sized from its checkpoint."""
    state = sampling_state(checkpoint)
    if "size_head.weight" not in state:
        raise CheckpointError("checkpoint has no graph generator (size_head.weight missing)")
    generator, _ = build_graph_models(config, int(state["size_head.weight"].shape[0]))
    return load_sampling_generator(generator, checkpoint)


def sample_graphs(config: GraphGenConfig, checkpoint: dict[str, Any], n: int, output: Path,
                  seed: int, device: torch.device) -> list[Path]:
    """n new graphs from a trained graphs-mode run, as GraphML + edge lists in a folder."""
    generator = load_graph_generator(config, checkpoint).to(device)
    graphs = generate(generator, n, torch.Generator().manual_seed(seed))
    return write_graphs(graphs, Path(output))

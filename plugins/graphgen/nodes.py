"""``--mode nodes``: a distribution over the nodes of one graph under its shortest-path metric.

The real "sample" is the target distribution q itself (one row), the fake one the generator's
distribution p, and the critic is linear in its input, so both expectations of the dual
``E_q[f] - E_p[f]`` are exact and every step sees the whole distribution. The Lipschitz
condition is the discrete edge penalty of ``wgan_core.domains.graphs``. Over training we log the
critic's estimate beside the exact W1 (POT ``ot.emd2`` on the shortest-path matrix).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from wgan_core.callbacks import Callback
from wgan_core.checkpoint import load_sampling_generator, sampling_state
from wgan_core.constraints import Constraint, NoConstraint
from wgan_core.critic_fit import fit_critic
from wgan_core.data import Batch
from wgan_core.errors import CheckpointMismatchError, ConfigError, DataError
from wgan_core.domains.graphs import EdgePenalty, GraphSpace, largest_component
from wgan_core.plots import pyplot, read_log, save_figure
from wgan_core.plugin import RunContext, RunResult
from wgan_core.trainer import Trainer

from .config import GraphGenConfig
from .data import hotspot_target, node_graph, read_target
from .models import GCNNodeCritic, NodeDistribution, NodePotential



def load_node_problem(config: GraphGenConfig) -> tuple[nx.Graph, GraphSpace, np.ndarray]:
    """The graph, its space and the target distribution of a nodes-mode run."""
    graph = node_graph(config.graph)
    if config.largest_component:
        graph = largest_component(graph)
    weight = edge_length_attribute(graph, config.weight_attr, config.graph)
    try:
        space = GraphSpace(graph, weight=weight)
    except DataError as exc:
        hint = " (or pass --largest-component)" if "disconnected" in str(exc) else ""
        raise DataError(f"graph '{config.graph}': {exc}{hint}") from None
    if config.target is not None:
        target = read_target(config.target, space.nodes)
    else:
        target = hotspot_target(space.distances, seed=config.seed)
    return graph, space, target


def edge_length_attribute(graph: nx.Graph, requested: str, name: str) -> str | None:
    """The edge attribute that holds lengths: ``requested``, which every edge must carry; or,
    when none is requested, ``length`` if every edge has one (an edge list's third column,
    grid-road), else None (every edge has length 1)."""
    edges = list(graph.edges(data=True))
    if not requested:
        return "length" if edges and all("length" in d for _, _, d in edges) else None
    missing = [(u, v) for u, v, d in edges if requested not in d]
    if missing:
        u, v = missing[0]
        raise DataError(f"graph '{name}': {len(missing)} of {len(edges)} edges have no "
                        f"attribute '{requested}' (the first: {u} - {v})")
    return requested


def mean_edge_length(space: GraphSpace) -> float:
    """The unit the critic's values are learned in."""
    return float(space.lengths.mean()) if space.lengths.numel() else 1.0


def make_node_critic(kind: str, space: GraphSpace) -> torch.nn.Module:
    """A free value per node, or a GCN over the graph; values in units of the mean edge
    length."""
    scale = mean_edge_length(space)
    if kind == "gnn":
        return GCNNodeCritic(space.edges, space.n, scale=scale)
    return NodePotential(space.n, scale=scale)


def build_node_models(config: GraphGenConfig, space: GraphSpace
                      ) -> tuple[NodeDistribution, torch.nn.Module]:
    """The node distribution and the critic of nodes mode."""
    return NodeDistribution(space.n), make_node_critic(config.critic, space)


class TargetSource:
    """Every batch is the whole target distribution, one row (the batch size is ignored:
    the expectation under q is exact)."""

    def __init__(self, target: np.ndarray) -> None:
        self.row = torch.as_tensor(target, dtype=torch.float32).unsqueeze(0)

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        return Batch(real=self.row)


def critic_estimate(critic: torch.nn.Module, space: GraphSpace, p: Tensor, q: Tensor
                    ) -> tuple[float, float]:
    """(E_q f - E_p f, the same divided by max(1, largest edge slope)). The second is a
    certified lower bound on W1: f / max slope is 1-Lipschitz."""
    with torch.no_grad():
        phi = space.node_values(critic).cpu()
        w = float((q - p) @ phi)
        slope = float(space.edge_slopes(phi).max()) if space.edges.numel() else 0.0
    return w, w / max(1.0, slope / space.target_slope)


class W1Tracker(Callback):
    """Adds the critic's estimate and the exact W1 between p and the target to every row of
    the trainer's log.csv (so they resume, truncate and plot with the rest of the log)."""

    log_columns = ("w_critic", "w_critic_certified", "w1_exact")

    def __init__(self, space: GraphSpace, target: np.ndarray) -> None:
        self.space = space
        self.q = torch.as_tensor(target, dtype=torch.float32)

    def log_values(self, trainer: Trainer) -> dict[str, float]:
        p = trainer.generator.probabilities().detach().cpu()
        w, certified = critic_estimate(trainer.critic, self.space, p, self.q)
        return {"w_critic": w, "w_critic_certified": certified,
                "w1_exact": self.space.w1(p, self.q)}


def check_steps(n: int) -> int:
    """Critic steps for the convergence check: the penalty propagates values about one edge
    per step, so larger graphs need more (measured: 12000 reach 1 % on a 1024-node grid)."""
    return int(min(20000, max(2000, 12 * n)))


def node_constraint(config: GraphGenConfig) -> Constraint:
    """The constraint nodes mode trains with: the edge penalty, one-sided (``lp``, the
    default: the optimal potential has slope 1 only on edges that carry transport) or
    two-sided (``gp``), weighted by ``penalty_weight``; or none. Spectral normalization and
    clipping bound a network's weights, not a potential's slope along the graph's edges, so
    the config refuses them in nodes mode (``GraphGenConfig.validate``)."""
    if config.constraint == "none":
        return NoConstraint()
    return EdgePenalty(config.penalty_weight, one_sided=config.constraint == "lp")


def critic_check(space: GraphSpace, p: np.ndarray | Tensor, q: np.ndarray | Tensor,
                 steps: int = 2000, lr: float = 0.2, constraint: Constraint | None = None,
                 critic: str = "free", seed: int = 0) -> dict[str, float]:
    """Train a critic alone between two fixed distributions (the core's ``fit_critic``) and
    compare its estimate with the exact W1: the estimate the adversarial training relies on,
    measured where the answer is known. Default constraint: the one-sided edge penalty,
    weight 100."""
    torch.manual_seed(seed)
    p_t = torch.as_tensor(np.asarray(p, dtype=np.float64), dtype=torch.float32)
    q_t = torch.as_tensor(np.asarray(q, dtype=np.float64), dtype=torch.float32)
    p_t, q_t = p_t / p_t.sum(), q_t / q_t.sum()
    f = make_node_critic(critic, space)
    started = time.perf_counter()
    f = fit_critic(f, q_t.unsqueeze(0), p_t.unsqueeze(0),
                   constraint=constraint if constraint is not None else EdgePenalty(100.0),
                   space=space, steps=steps, lr=lr, seed=seed)
    seconds = time.perf_counter() - started
    w_critic, certified = critic_estimate(f, space, p_t, q_t)
    exact = space.w1(p_t, q_t)
    return {"w_critic": w_critic, "w_critic_certified": certified, "w1_exact": exact,
            "gap": abs(w_critic - exact) / exact if exact > 0 else float("nan"),
            "seconds": seconds}


def _layout(graph: nx.Graph, space: GraphSpace) -> dict[Any, Any]:
    pos = {v: graph.nodes[v]["pos"] for v in space.nodes if "pos" in graph.nodes[v]}
    if len(pos) == space.n:
        return pos
    return nx.spring_layout(graph, seed=0)


def plot_nodes(graph: nx.Graph, space: GraphSpace, target: np.ndarray, p: np.ndarray,
               phi: np.ndarray, path: Path, title: str) -> Path:
    """Three drawings of the graph: coloured by the target, the learned probabilities and
    the critic's values."""
    plt = pyplot()
    pos = _layout(graph, space)
    size = 60 if space.n <= 100 else max(4, 4000 // space.n)
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    vmax = float(max(target.max(), p.max()))
    for ax, values, label, cmap, vlim in (
            (axes[0], target, "target distribution q", "viridis", (0, vmax)),
            (axes[1], p, "learned distribution p", "viridis", (0, vmax)),
            (axes[2], phi, "critic f (1-Lipschitz on edges)", "coolwarm", None)):
        nx.draw_networkx_edges(graph, pos, ax=ax, width=0.4, alpha=0.4)
        nodes = nx.draw_networkx_nodes(graph, pos, nodelist=space.nodes, node_color=values,
                                       cmap=cmap, node_size=size, ax=ax,
                                       vmin=None if vlim is None else vlim[0],
                                       vmax=None if vlim is None else vlim[1])
        fig.colorbar(nodes, ax=ax, shrink=0.7)
        ax.set_title(label)
        ax.set_axis_off()
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


def plot_w1(rows: list[dict[str, float]], path: Path, title: str) -> Path | None:
    """The critic's estimate and the exact W1 against the step."""
    if not rows:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["w1_exact"] for r in rows], label="exact W1 (ot.emd2)")
    ax.plot(steps, [r["w_critic"] for r in rows], "--", label="critic estimate")
    ax.set_xlabel("generator step")
    ax.set_ylabel("W1(p, target)")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.legend()
    ax.set_title(title)
    return save_figure(fig, path, dpi=100)


def run_nodes(config: GraphGenConfig, context: RunContext) -> RunResult:
    """Fit a distribution over one graph's nodes to the target; log critic vs exact W1."""
    if context.strategy.world_size > 1:
        raise ConfigError("nodes mode trains on the whole distribution in every step, so "
                          "there is no batch to split; run it in one process, not torchrun")
    graph, space, target = load_node_problem(config)
    q = torch.as_tensor(target, dtype=torch.float32)
    uniform = np.full(space.n, 1.0 / space.n)
    check_started = time.perf_counter()
    check = critic_check(space, uniform, target, steps=check_steps(space.n), lr=config.lr_c,
                         constraint=node_constraint(config), critic=config.critic,
                         seed=config.seed)
    check_seconds = time.perf_counter() - check_started

    torch.manual_seed(config.seed)
    generator, critic = build_node_models(config, space)
    tracker = W1Tracker(space, target)
    trainer = Trainer(generator, critic, TargetSource(target), config,
                      constraint=node_constraint(config), space=space,
                      run_dir=context.run_dir,
                      callbacks=[*context.callbacks("graphgen-nodes"), tracker],
                      device=context.device)
    started = time.perf_counter()
    trainer.fit()
    train_seconds = time.perf_counter() - started

    p = trainer.generator.probabilities().detach().cpu()
    p_ema = trainer.sampling_generator.probabilities().detach().cpu()
    w_critic, certified = critic_estimate(trainer.critic, space, p, q)
    phi = space.node_values(trainer.critic).detach().cpu().numpy()
    metrics: dict[str, Any] = {
        "mode": "nodes", "graph": config.graph, "nodes": space.n,
        "edges": int(space.edges.shape[1]), "weighted": space.weight is not None,
        "w1_initial": space.w1(torch.full((space.n,), 1.0 / space.n), q),
        "w1_final": space.w1(p, q), "w1_final_ema": space.w1(p_ema, q),
        "w_critic_final": w_critic, "w_critic_certified_final": certified,
        "tv_final_ema": 0.5 * float((p_ema - q).abs().sum()),
        "check_w_critic": check["w_critic"], "check_w1_exact": check["w1_exact"],
        "check_gap": check["gap"], "check_seconds": round(check_seconds, 2),
        "steps": trainer.step, "train_seconds": round(train_seconds, 2),
    }
    out = context.run_dir
    with open(out / "node_probabilities.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["node", "target", "learned", "critic"])
        for v, t, pv, f in zip(space.nodes, target, p_ema.tolist(), phi.tolist()):
            writer.writerow([v, f"{t:.6g}", f"{pv:.6g}", f"{f:.6g}"])
    artifacts = [out / "node_probabilities.csv", out / "log.csv"]
    artifacts.append(plot_nodes(graph, space, target, p_ema.numpy(), phi, out / "nodes.png",
                                f"{config.graph}: W1(p, q) = {metrics['w1_final_ema']:.4f}"))
    w_png = plot_w1(read_log(out / "log.csv"), out / "w1.png", f"{config.graph}: critic vs exact W1")
    if w_png is not None:
        artifacts.append(w_png)
    return RunResult(metrics=metrics, artifacts=artifacts)


def run_graph_nodes(config: GraphGenConfig) -> list[Any]:
    """The nodes of the run's graph, in the order the distribution's columns follow."""
    graph = node_graph(config.graph)
    if config.largest_component:
        graph = largest_component(graph)
    return list(graph.nodes())


def load_node_generator(config: GraphGenConfig, checkpoint: dict[str, Any],
                        n_nodes: int | None = None) -> NodeDistribution:
    """A trained nodes-mode distribution (EMA weights when kept)."""
    n = n_nodes if n_nodes is not None else len(run_graph_nodes(config))
    logits = sampling_state(checkpoint).get("logits")
    if logits is None or logits.shape[0] != n:
        raise CheckpointMismatchError(f"checkpoint does not match graph '{config.graph}'")
    return load_sampling_generator(NodeDistribution(n), checkpoint)


def sample_nodes(config: GraphGenConfig, checkpoint: dict[str, Any], n: int, output: Path,
                 seed: int) -> list[Path]:
    """n nodes drawn from a trained nodes-mode run's distribution, as CSV (one per row)."""
    nodes = run_graph_nodes(config)
    p = load_node_generator(config, checkpoint, len(nodes)).probabilities().detach()
    idx = torch.multinomial(p, n, replacement=True,
                            generator=torch.Generator().manual_seed(seed))
    output = Path(output)
    if output.suffix.lower() != ".csv":
        output.mkdir(parents=True, exist_ok=True)
        output = output / "nodes.csv"
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["node", "probability"])
        for i in idx.tolist():
            writer.writerow([nodes[i], f"{p[i].item():.6g}"])
    return [output]

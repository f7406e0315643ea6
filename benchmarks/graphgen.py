"""graphgen benchmark (not a test): prints the tables quoted in the README.

1. Graphs mode: MMD^2 (Gaussian-EMD, GDSS protocol: as many generated graphs as test graphs,
   averaged over ``eval_draws`` draws) on community-small and grid-small for our WGAN, the
   train-vs-test floor and the Erdos-Renyi ceiling, beside the figures GraphRNN and GDSS
   report for community-small (GDSS paper, Table 1), with wall time.
2. Nodes mode: the critic's W estimate after training it alone (uniform -> hotspot target on
   grid road networks of about 100, 1000 and 5000 nodes) against the exact W1 (ot.emd2), with
   both times.

    python benchmarks/graphgen.py                 # everything, default settings
    python benchmarks/graphgen.py --steps 300     # a quicker (worse) graphs run
    python benchmarks/graphgen.py --skip-graphs   # nodes table only

Run it pinned to one core for comparable times: ``OMP_NUM_THREADS=1 taskset -c 1 python ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from wgan_core.domains.graphs import GraphSpace
from wgan_core.plugin import RunContext
from wgan_plugins.graphgen.config import GraphGenConfig
from wgan_plugins.graphgen.data import grid_road, hotspot_target
from wgan_plugins.graphgen.graphs import run_graphs
from wgan_plugins.graphgen.nodes import check_steps, critic_check

#: Reported MMD^2 on community-small (degree, clustering), GDSS paper (Jo et al., 2022) Table 1.
REPORTED = {"GraphRNN (reported)": (0.080, 0.120), "GDSS (reported)": (0.045, 0.086)}


def graphs_table(datasets: list[str], steps: int | None) -> None:
    print("## graphs mode: MMD^2 vs the test split (lower is better)\n")
    print("| dataset | model | degree | clustering | spl | valid | unique | novel | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in datasets:
        cfg = GraphGenConfig(dataset=name)  # type: ignore[arg-type]
        if steps is not None:
            cfg = dataclasses.replace(cfg, steps=steps)
        with tempfile.TemporaryDirectory() as tmp:
            ctx = RunContext(run_dir=Path(tmp), device=torch.device("cpu"),
                             progress=False)
            started = time.perf_counter()
            m = run_graphs(cfg, ctx).metrics
            wall = time.perf_counter() - started
        draws = f"{cfg.eval_draws} draws x {m['n_eval']}"
        print(f"| {name} | WGAN-GP ({cfg.steps} steps), mean ± sd over {draws} | "
              f"{m['mmd_degree']:.3f} ± {m['mmd_degree_std']:.3f} | "
              f"{m['mmd_clustering']:.3f} ± {m['mmd_clustering_std']:.3f} | "
              f"{m['mmd_spl']:.3f} ± {m['mmd_spl_std']:.3f} | {m['valid_fraction']:.2f} | "
              f"{m['unique_fraction']:.2f} | {m['novel_fraction']:.2f} | {wall:.0f} "
              f"(train {m['train_seconds']:.0f}) |")
        if "mmd_degree_pooled" in m:
            print(f"| {name} | WGAN-GP, all {cfg.eval_draws * m['n_eval']} generated pooled | "
                  f"{m['mmd_degree_pooled']:.3f} | {m['mmd_clustering_pooled']:.3f} | "
                  f"{m['mmd_spl_pooled']:.3f} | | | | |")
        print(f"| {name} | train vs test (floor) | {m['mmd_degree_train_test']:.3f} | "
              f"{m['mmd_clustering_train_test']:.3f} | {m['mmd_spl_train_test']:.3f} "
              "| | | | |")
        print(f"| {name} | Erdos-Renyi (ceiling) | {m['mmd_degree_er']:.3f} | "
              f"{m['mmd_clustering_er']:.3f} | {m['mmd_spl_er']:.3f} | | | | |")
        if name == "community-small":
            for model, (deg, clus) in REPORTED.items():
                print(f"| {name} | {model} | {deg:.3f} | {clus:.3f} | | | | | |")
    print()


def nodes_table(sides: list[int]) -> None:
    print("## nodes mode: critic estimate vs exact W1 (uniform -> hotspot target, grid roads)\n")
    print("| nodes | edges | critic steps | W critic | W1 exact | gap % | critic s | exact s |")
    print("|---|---|---|---|---|---|---|---|")
    for side in sides:
        space = GraphSpace(grid_road(side), weight="length")
        started = time.perf_counter()
        target = hotspot_target(space.distances, seed=0)
        p = np.full(space.n, 1.0 / space.n)
        steps = check_steps(space.n)
        r = critic_check(space, p, target, steps=steps)
        t0 = time.perf_counter()
        space.w1(p, target)
        exact_s = time.perf_counter() - t0
        del started
        print(f"| {space.n} | {space.edges.shape[1]} | {steps} | {r['w_critic']:.4f} | "
              f"{r['w1_exact']:.4f} | {100 * r['gap']:.2f} | {r['seconds']:.1f} | "
              f"{exact_s:.1f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="graphs-mode steps "
                        "(default: the plugin's default)")
    parser.add_argument("--datasets", nargs="+", default=["community-small", "grid-small"])
    parser.add_argument("--sides", nargs="+", type=int, default=[10, 32, 71],
                        help="grid sides of the nodes table (10, 32, 71: 100, 1024, 5041 nodes)")
    parser.add_argument("--skip-graphs", action="store_true")
    parser.add_argument("--skip-nodes", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not args.skip_graphs:
        graphs_table(args.datasets, args.steps)
    if not args.skip_nodes:
        nodes_table(args.sides)


if __name__ == "__main__":
    main()

"""graphgen benchmark (not a test): prints the tables quoted in the README.

1. Graphs mode: MMD^2 under GDSS's protocol (degree, clustering, 4-node orbit counts, spectrum;
   as many generated graphs as test graphs, averaged over ``eval_draws`` draws) and our
   shortest-path MMD, on community-small and grid-small, for our WGAN, the train-vs-test floor
   and the Erdos-Renyi ceiling, beside the figures GraphRNN and GDSS published for
   community-small (GDSS paper, Table 1), with wall time.
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

#: MMD^2 on community-small as published (degree, clustering, orbit), GDSS paper (Jo et al.,
#: ICML 2022) Table 1; it publishes no spectral MMD for community-small.
REPORTED = {"GraphRNN (as published in GDSS, Table 1)": (0.080, 0.120, 0.040),
            "GDSS (as published, Table 1)": (0.045, 0.086, 0.007)}
#: metrics.json keys of the table's MMD columns, in order
COLUMNS = ("mmd_degree", "mmd_clustering", "mmd_orbit", "mmd_spectral", "mmd_spl")


def graphs_table(datasets: list[str], steps: int | None) -> None:
    print("## graphs mode: MMD^2 vs the test split (lower is better)\n")
    print("| dataset | model | degree | clustering | orbit | spectral | spl | valid | unique | "
          "novel | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    blank = "| | | |"
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

        def cells(suffix: str = "", spread: bool = False) -> str:
            return " | ".join(f"{m[k + suffix]:.3f}" + (f" ± {m[k + '_std']:.3f}" if spread else "")
                              for k in COLUMNS)

        draws = f"{cfg.eval_draws} draws x {m['n_eval']}"
        print(f"| {name} | WGAN-GP ({cfg.steps} steps), mean ± sd over {draws} | "
              f"{cells(spread=True)} | {m['valid_fraction']:.2f} | "
              f"{m['unique_fraction']:.2f} | {m['novel_fraction']:.2f} | {wall:.0f} "
              f"(train {m['train_seconds']:.0f}, eval {m['eval_seconds']:.0f}) |")
        if "mmd_degree_pooled" in m:
            print(f"| {name} | WGAN-GP, all {cfg.eval_draws * m['n_eval']} generated pooled | "
                  f"{cells('_pooled')} {blank} |")
        print(f"| {name} | train vs test (floor) | {cells('_train_test')} {blank} |")
        print(f"| {name} | Erdos-Renyi (ceiling) | {cells('_er')} {blank} |")
        if name == "community-small":
            for model, published in REPORTED.items():
                print(f"| {name} | {model} | {' | '.join(f'{v:.3f}' for v in published)} "
                      f"| | {blank} |")
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

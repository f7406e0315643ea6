"""DOT settings on trained toy runs (not a test): raw vs refined mode coverage and exact W1
for a grid of slope factors, step counts and step sizes, on each run folder's final critic
and generator. The README's choice of the DOT defaults comes from it.

    python benchmarks/toy_dot.py runs/toy-A runs/toy-B [--factors 1 0.5 0.25 0.1]

The samples are the ones the run itself evaluated (seed + 1), so the "raw" line repeats the
run's metrics.json.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import torch

from wgan_core.metrics import mode_coverage, w1_exact
from wgan_core.refine import dot_refine, effective_lipschitz
from wgan_plugins.toy.plugin import load_data, load_trained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.1])
    parser.add_argument("--steps", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.03])
    args = parser.parse_args()
    print("| run | slope factor | steps | lr | modes | high quality % | reverse KL | W1 exact |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in args.runs:
        trained = load_trained(run)
        config, generator, critic, scale = (trained.config, trained.generator, trained.critic,
                                            trained.scale)
        if critic is None:
            raise SystemExit(f"{run}: the checkpoint has no critic")
        data = load_data(config)
        rng = torch.Generator().manual_seed(config.seed + 1)  # as the run's own evaluation
        with torch.no_grad():
            fake = generator.sample(config.n_eval, generator=rng)
        real = data.sample(config.n_eval, rng)
        k_eff = effective_lipschitz(critic, torch.cat([real * scale, fake]))

        def row(label: str, points: torch.Tensor) -> None:
            m = mode_coverage(points / scale, data.modes, data.std)
            w1 = w1_exact(real[:1000], points[:1000] / scale)
            print(f"| {run.name} | {label} | {m['modes_covered']} / {m['modes_total']} | "
                  f"{100 * m['high_quality_fraction']:.1f} | {m['reverse_kl']:.3f} | {w1:.3f} |",
                  flush=True)

        row("raw | | ", fake)
        for factor, steps, lr in itertools.product(args.factors, args.steps, args.lrs):
            row(f"{factor} | {steps} | {lr}",
                dot_refine(critic, fake, factor * k_eff, steps=steps, lr=lr))


if __name__ == "__main__":
    main()

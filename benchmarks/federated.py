"""Federated WGAN on the default non-IID split: algorithm x weighting, references, faults.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/federated.py --seeds 0 1 2
    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/federated.py --faults --seeds 0

Table 1: for each algorithm x weighting (Flower simulation, `wgan run federated` defaults
otherwise): modes covered (all / minority), high-quality %, W1 against all clients' data,
wall seconds; two reference rows: centralised training on the pooled data with the same
total number of generator steps (clients x rounds x local steps), and the majority client
alone (rounds x local steps, what it trains inside the federation).
Table 2 (--faults): 1 of 10 clients nan / crash / scaled x100 under mean, median and krum.
Extra `key=value` arguments (given before the options) override the plugin's options for every run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from wgan_core.config import build_config
from wgan_core.runs import execute
from wgan_core.spaces import EuclideanSpace
from wgan_core.phases import Phase
from wgan_core.trainer import Trainer
from wgan_plugins.federated import PLUGIN
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.data import ClientSource, build_split, data_scale
from wgan_plugins.federated.metrics import W1_SAMPLES, LabelAssigner, coverage, w1
from wgan_plugins.federated.models import build_models


def federated(options: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = execute(PLUGIN, {**options, "device": "cpu"}, out=Path(tmp) / "run",
                         progress=False)
        m = result.metrics
        m["wall"] = time.perf_counter() - started
        return m


def reference(options: dict[str, Any], which: str) -> dict[str, Any]:
    """Centralised on the pooled data (C x R x K steps), or the majority alone (R x K)."""
    config: FederatedConfig = build_config(FederatedConfig, {**options, "device": "cpu"})
    split = build_split(config)
    scale = data_scale(split)
    points = split.points if which == "centralised" else split.client_points(split.majority)
    steps = config.rounds * config.local_steps * (split.n_clients if which == "centralised"
                                                  else 1)
    torch.manual_seed(config.seed)
    generator, critic = build_models(config, split.dim)
    phase = Phase("reference", steps=steps, lr_g=config.lr_g, lr_c=config.lr_c,
                  seed=config.seed, lr_schedule=config.lr_schedule)
    trainer = Trainer(generator, critic, ClientSource(points, scale), config, phase=phase,
                      space=EuclideanSpace(scale=scale), device="cpu")
    started = time.perf_counter()
    trainer.train_steps(steps)
    wall = time.perf_counter() - started
    with torch.no_grad():
        z = torch.randn(config.n_eval, config.latent_dim,
                        generator=torch.Generator().manual_seed(config.seed + 1))
        fake = trainer.generator(z) / scale
    m = coverage(fake, split, LabelAssigner(split))
    m["w1_exact"] = w1(fake, split.points, n=W1_SAMPLES, seed=config.seed)
    m["wall"] = wall
    return m


def cell(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ({format(min(values), fmt)}–" \
           f"{format(max(values), fmt)})"


def row(label: str, runs: list[dict[str, Any]]) -> str:
    modes = "/".join(str(r["modes_covered"]) for r in runs)
    minority = "/".join(str(r["minority_modes_covered"]) for r in runs)
    total, mtotal = runs[0]["modes_total"], runs[0]["minority_modes_total"]
    return (f"| {label} | {modes} of {total} | {minority} of {mtotal} | "
            f"{cell([100 * r['high_quality_fraction'] for r in runs], '.1f')} | "
            f"{cell([r['w1_exact'] for r in runs], '.3f')} | "
            f"{cell([r['wall'] for r in runs], '.0f')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--algorithms", nargs="+", default=["fedgan", "private-critics"])
    parser.add_argument("--weightings", nargs="+", default=["samples", "uniform", "sqrt"])
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument("--faults", action="store_true", help="the fault table instead")
    parser.add_argument("overrides", nargs="*", help="key=value plugin options")
    args = parser.parse_args()
    base: dict[str, Any] = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        try:
            base[key] = int(value)
        except ValueError:
            try:
                base[key] = float(value)
            except ValueError:
                base[key] = value
    print("seeds:", " ".join(map(str, args.seeds)), "| overrides:", base or "none", flush=True)
    header = ("| setting | modes (per seed) | minority modes | HQ % | W1 | wall s |\n"
              "|---|---|---|---:|---:|---:|")
    if args.faults:
        print(header)
        for fault in ("nan", "crash", "scaled"):
            for aggregator in ("mean", "median", "krum"):
                runs = [federated({**base, "seed": s, "faulty_clients": 1, "fault": fault,
                                   "aggregator": aggregator}) for s in args.seeds]
                print(row(f"1 of 10 {fault}, {aggregator}", runs), flush=True)
        return
    print(header)
    for algorithm in args.algorithms:
        for weighting in args.weightings:
            runs = [federated({**base, "seed": s, "algorithm": algorithm,
                               "weighting": weighting}) for s in args.seeds]
            print(row(f"{algorithm}, {weighting}", runs), flush=True)
    if not args.no_references:
        for which in ("centralised", "majority alone"):
            runs = [reference({**base, "seed": s}, which) for s in args.seeds]
            print(row(which, runs), flush=True)


if __name__ == "__main__":
    main()

"""Federated WGAN on the default non-IID split: algorithm x weighting, references, faults.

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/federated.py --seeds 0 1 2
    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/federated.py --faults --seeds 0

Table 1: for each algorithm x weighting (Flower simulation, `wgan run federated` defaults
otherwise): modes covered (all / minority), high-quality % raw and DOT-refined, exact W1
against the client-balanced mixture and against all clients' data pooled, wall seconds;
reference rows, each with the federation's generator steps (rounds x local steps):
centralised training on client-balanced data (the distribution uniform client weighting
aims at) and on the pooled data, both with the global batch (clients x batch); the majority
client alone; and the in-process FedGAN (the plugin's own client and strategy in a plain
loop, without Flower's engine).
Table 2 (--faults): 1 of 10 clients nan / crash / scaled x100 under mean, median and krum.
Extra `key=value` arguments (given before the options) override the plugin's options for every run.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
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
from wgan_plugins.federated.metrics import LabelAssigner
from wgan_plugins.federated.models import (ClientConditionedGenerator, build_models,
                                           flatten_parts, mixture_weights)


def federated(options: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = execute(PLUGIN, {**options, "device": "cpu"}, out=Path(tmp) / "run",
                         progress=False)
        m = result.metrics
        m["wall"] = time.perf_counter() - started
        # One line a run as it finishes, so a long table shows progress.
        print(f"  run {options}: modes {m.get('modes_covered')}, minority "
              f"{m.get('minority_modes_covered')}, HQ {m.get('high_quality_fraction')}, "
              f"wall {m['wall']:.0f} s", flush=True)
        return m


def balanced_source(split: Any, scale: float) -> Any:
    """Centralised data drawn client-balanced: a client uniformly at random, then one of its
    rows (the mixture uniform client weighting aims at)."""
    from wgan_core.data import Batch

    points = [split.client_points(c) * scale for c in range(split.n_clients)]

    def source(n: int, g: torch.Generator) -> Batch:
        which = torch.randint(0, len(points), (n,), generator=g)
        out = torch.empty(n, split.dim)
        for c, own in enumerate(points):
            rows = which == c
            k = int(rows.sum())
            if k:
                out[rows] = own[torch.randint(0, len(own), (k,), generator=g)]
        return Batch(real=out)

    return source


def reference(options: dict[str, Any], which: str) -> dict[str, Any]:
    """Centralised training with the federation's generator steps (rounds x K): on the
    pooled data or client-balanced, with the global batch (clients x batch); or the majority
    client alone with its own batch. Evaluated as the plugin evaluates its global generator."""
    from wgan_plugins.federated.server import evaluation

    config: FederatedConfig = build_config(FederatedConfig, {**options, "device": "cpu"})
    split = build_split(config)
    scale = data_scale(split)
    steps = config.rounds * config.local_steps
    if which == "majority alone":
        source, batch = ClientSource(split.client_points(split.majority), scale), \
            config.batch_size
    elif which == "centralised, pooled":
        source, batch = ClientSource(split.points, scale), config.batch_size * split.n_clients
    else:
        source, batch = balanced_source(split, scale), config.batch_size * split.n_clients
    torch.manual_seed(config.seed)
    # centralised training has one data distribution: an unconditioned generator
    generator, critic = build_models(replace(config, client_conditioned=False), split.dim, 1)
    phase = Phase("reference", steps=steps, lr_g=config.lr_g, lr_c=config.lr_c,
                  seed=config.seed, lr_schedule=config.lr_schedule)
    trainer = Trainer(generator, critic, source, replace(config, batch_size=batch), phase=phase,
                      space=EuclideanSpace(scale=scale), device="cpu")
    started = time.perf_counter()
    trainer.train_steps(steps)
    wall = time.perf_counter() - started
    fake = trainer.generator.sample(
        config.n_eval, generator=torch.Generator().manual_seed(config.seed + 1)) / scale
    m = evaluation(fake, split, LabelAssigner(split), config.seed)
    m["wall"] = wall
    return m


def inprocess(options: dict[str, Any]) -> dict[str, Any]:
    """The same clients, algorithm and steps as the plugin in a plain loop without Flower's
    engine: the plugin's own ``client_train`` on every client in turn (with a Context per
    node), the plugin's own strategy aggregating the replies. A benchmark only: what the
    algorithm loses, apart from what the engine costs."""
    from flwr.app import (ArrayRecord, ConfigRecord, Context, Message, MessageType,
                          RecordDict)

    from wgan_plugins.federated.client import averaged_parts, client_train, prepared_critic
    from wgan_plugins.federated.local import flatten_variates
    from wgan_plugins.federated.server import RoundStats, _zero_variates, evaluation, \
        make_strategy

    config: FederatedConfig = build_config(FederatedConfig, {**options, "device": "cpu"})
    split = build_split(config)
    scale = data_scale(split)
    torch.manual_seed(config.seed)
    generator, _ = build_models(config, split.dim, split.n_clients)
    critic = prepared_critic(config, split.dim, scale)
    state = {"generator": generator.state_dict(), "critic": critic.state_dict()}
    flat = flatten_parts({p: state[p] for p in averaged_parts(config)})
    if config.drift_correction == "scaffold":
        flat.update(flatten_variates(_zero_variates(generator, critic)))
    expected = {k: tuple(v.shape) for k, v in flat.items()}

    def lr_factor(r: int) -> float:
        return 1.0 if config.lr_schedule == "constant" else max(0.0, 1.0 - (r - 1) / config.rounds)

    strategy = make_strategy(config, split.n_clients, expected,
                             server_lr=lambda r: config.server_lr * lr_factor(r))
    strategy.round_config = lambda r: {"lr-g": config.lr_g * lr_factor(r),
                                       "lr-c": config.lr_c * lr_factor(r)}
    contexts = [Context(run_id=1, node_id=100 + c, node_config={
        "partition-id": c, "num-partitions": split.n_clients}, state=RecordDict(),
        run_config={}) for c in range(split.n_clients)]
    started = time.perf_counter()
    for r in range(1, config.rounds + 1):
        train_config = ConfigRecord({"scale": scale})
        strategy.begin_round(r, train_config)
        if hasattr(strategy, "current_arrays"):  # FedOpt keeps the arrays it sent
            strategy.current_arrays = {k: v.numpy() for k, v in flat.items()}
        strategy.stats = RoundStats(sent=split.n_clients)
        replies = []
        for c, context in enumerate(contexts):
            message = Message(RecordDict({"arrays": ArrayRecord(flat), "config": train_config}),
                              dst_node_id=context.node_id, message_type=MessageType.TRAIN)
            reply = client_train(message, context, config)
            reply.metadata.__dict__["_src_node_id"] = context.node_id
            replies.append(reply)
        arrays, _ = strategy.aggregate_train(r, replies)
        if arrays is not None:
            flat = arrays.to_torch_state_dict()
    wall = time.perf_counter() - started
    generator.load_state_dict({k.partition(".")[2]: v for k, v in flat.items()
                               if k.startswith("generator.")})
    if isinstance(generator, ClientConditionedGenerator):
        generator.set_mixture(mixture_weights(split.sizes, config.weighting))
    fake = generator.sample(config.n_eval,
                            generator=torch.Generator().manual_seed(config.seed + 1)) / scale
    m = evaluation(fake, split, LabelAssigner(split), config.seed)
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
    dot = [100 * r["dot_high_quality_fraction"] for r in runs if "dot_high_quality_fraction" in r]
    return (f"| {label} | {modes} of {total} | {minority} of {mtotal} | "
            f"{cell([100 * r['high_quality_fraction'] for r in runs], '.1f')} | "
            f"{cell(dot, '.1f') if dot else '–'} | "
            f"{cell([r['w1_balanced'] for r in runs], '.3f')} | "
            f"{cell([r['w1_exact'] for r in runs], '.3f')} | "
            f"{cell([r['wall'] for r in runs], '.0f')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--algorithms", nargs="+", default=["fedgan", "private-critics"])
    parser.add_argument("--weightings", nargs="+", default=["samples", "uniform", "sqrt"])
    parser.add_argument("--references", nargs="*",
                        default=["client-balanced", "centralised, pooled", "majority alone"],
                        help="reference rows: client-balanced, 'centralised, pooled', "
                             "'majority alone', in-process")
    parser.add_argument("--faults", action="store_true", help="the fault table instead")
    parser.add_argument("overrides", nargs="*", help="key=value plugin options")
    args = parser.parse_args()
    base: dict[str, Any] = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        if value in ("true", "false"):
            base[key] = value == "true"
            continue
        try:
            base[key] = int(value)
        except ValueError:
            try:
                base[key] = float(value)
            except ValueError:
                base[key] = value
    print("seeds:", " ".join(map(str, args.seeds)), "| overrides:", base or "none", flush=True)
    header = ("| setting | modes (per seed) | minority modes | HQ % raw | HQ % DOT | "
              "W1 balanced | W1 pooled | wall s |\n|---|---|---|---:|---:|---:|---:|---:|")
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
    for which in args.references:
        if which == "in-process":
            runs = [inprocess({**base, "seed": s}) for s in args.seeds]
            print(row("in-process FedGAN (same clients and strategy, no Flower)", runs),
                  flush=True)
            continue
        runs = [reference({**base, "seed": s}, which) for s in args.seeds]
        print(row(f"{which} (centralised)" if which == "client-balanced" else which, runs),
              flush=True)


if __name__ == "__main__":
    main()

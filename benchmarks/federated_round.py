"""Where a federated round's time goes, and the engine's floor.

Runs ``wgan run federated`` (the plugin's defaults, or ``key=value`` overrides) for a few
rounds in Flower's simulation and prints, per round (the first, which starts Ray and imports
torch in every actor, left out): the round's wall time, the clients' local training and the
rest of their work (data, models, state in and out; both as a share of the wall time: the
sum over clients divided by the CPUs Ray uses), the strategy's aggregation, the server's
evaluation and its file writes, and what remains: Flower's dispatch, message
(de)serialisation and Ray's scheduling. Then the same rounds with a bare ClientApp that
replies at once with what it was sent (the same arrays, the same strategy): the engine's
floor on this machine.

    OMP_NUM_THREADS=1 python benchmarks/federated_round.py rounds=40
"""

from __future__ import annotations

import csv
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from wgan_core.config import build_config
from wgan_core.runs import execute
from wgan_plugins.federated import PLUGIN
from wgan_plugins.federated.client import ARRAYS_KEY, METRICS_KEY, WEIGHT_KEY, averaged_parts
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.data import build_split, data_scale
from wgan_plugins.federated.models import build_models, flatten_parts
from wgan_plugins.federated.plugin import set_flower_env


def parse(argv: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {"rounds": 40}
    for arg in argv:
        key, _, value = arg.partition("=")
        for cast in (int, float):
            try:
                options[key.replace("-", "_")] = cast(value)
                break
            except ValueError:
                continue
        else:
            options[key.replace("-", "_")] = value
    return options


def plugin_rounds(options: dict[str, Any]) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        execute(PLUGIN, {**options, "device": "cpu"}, out=Path(tmp) / "run", progress=False)
        with open(Path(tmp) / "run" / "rounds.csv", newline="") as fh:
            return [{k: float(v) if v not in ("", None) else 0.0 for k, v in row.items()
                     if k != "clients_replied"} for row in csv.DictReader(fh)]


def floor_rounds(config: FederatedConfig, cpus: int) -> list[float]:
    """Round wall times with a ClientApp that replies at once with what it was sent."""
    from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp
    from flwr.simulation import run_simulation

    from wgan_plugins.federated.server import make_strategy

    split = build_split(config)
    scale = data_scale(split)
    generator, critic = build_models(config, split.dim, split.n_clients)
    state = {"generator": generator.state_dict(), "critic": critic.state_dict()}
    flat = flatten_parts({p: state[p] for p in averaged_parts(config)})
    expected = {k: tuple(v.shape) for k, v in flat.items()}
    client_app = ClientApp()

    @client_app.train()
    def reply(message: Any, context: Any) -> Any:
        metrics = MetricRecord({WEIGHT_KEY: 1.0, "num-examples": 1,
                                "partition-id": int(context.node_config["partition-id"])})
        return Message(RecordDict({ARRAYS_KEY: message.content[ARRAYS_KEY],
                                   METRICS_KEY: metrics}), reply_to=message)

    times: list[float] = []
    server_app = ServerApp()

    @server_app.main()
    def main(grid: Any, context: Any) -> None:
        if hasattr(grid, "pull_interval"):
            grid.pull_interval = 0.005  # as the plugin sets it
        strategy = make_strategy(config, split.n_clients, expected)
        last = [time.perf_counter()]

        def tick(server_round: int, arrays: Any) -> None:
            now = time.perf_counter()
            if server_round > 0:
                times.append(now - last[0])
            last[0] = now

        strategy.start(grid, ArrayRecord(flat), num_rounds=config.rounds,
                       train_config=ConfigRecord({"scale": scale}), evaluate_fn=tick)

    run_simulation(server_app, client_app, num_supernodes=split.n_clients,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": cpus, "num_gpus": 0}})
    return times


def main() -> None:
    set_flower_env()
    logging.getLogger("flwr").setLevel(logging.WARNING)
    options = parse(sys.argv[1:])
    config = build_config(FederatedConfig, options)
    cpus = config.ray_cpus or os.cpu_count() or 1
    rows = plugin_rounds(options)[1:]
    floor = floor_rounds(config, cpus)[1:]

    def mean(key: str) -> float:
        return statistics.fmean(r[key] for r in rows)

    wall = mean("round_seconds")
    train = mean("client_train_seconds") / cpus
    setup = mean("client_setup_seconds") / cpus
    aggregate, evaluate, write = mean("aggregate_seconds"), mean("eval_seconds"), \
        mean("write_seconds")
    engine = wall - train - setup - aggregate - evaluate - write
    print(f"federated round, {config.clients} clients, K={config.local_steps}, "
          f"hidden {config.hidden}, batch {config.batch_size}, {cpus} Ray CPUs, "
          f"torch threads {torch.get_num_threads()}; mean over rounds 2-{config.rounds}\n")
    print("| part | seconds a round | share |")
    print("|---|---:|---:|")
    for name, value in [("clients: local training (sum / CPUs)", train),
                        ("clients: set-up, state in and out (sum / CPUs)", setup),
                        ("server: aggregation (strategy)", aggregate),
                        (f"server: evaluation (every {config.eval_every} rounds)", evaluate),
                        ("server: rounds.csv and checkpoint writes", write),
                        ("engine: dispatch, (de)serialisation, scheduling (the rest)", engine),
                        ("**round**", wall)]:
        print(f"| {name} | {value:.4f} | {value / wall:.0%} |")
    print(f"\nbare ClientApp (replies at once, same arrays and strategy): "
          f"{statistics.fmean(floor):.4f} s a round (median {statistics.median(floor):.4f}), "
          f"over {len(floor)} rounds")
    print(f"overhead above client training: {wall - train:.4f} s a round")
    print(f"clients whose trainer was kept in their Ray actor: "
          f"{mean('clients_reused') / config.clients:.0%} of replies")


if __name__ == "__main__":
    main()

"""The plugin's Flower apps (Message API): one ServerApp and one ClientApp that run unchanged
in Flower's simulation engine and on a SuperLink with SuperNodes.

- ClientApp ``train``: rebuild this node's data (``partition-id`` from the node config), load
  the handed weights into a ``wgan_core.Trainer`` (``set_weights``), train K generator steps
  (``train_steps``) and reply with ``get_weights`` and a MetricRecord whose ``weight`` is the
  client's aggregation weight (n, 1 or sqrt n; the strategy's ``weighted_by_key``). Under
  ``private-critics`` the critic never leaves the node: it lives in ``Context.state``.
- ServerApp: one of Flower's strategies (FedAvg, FedMedian, FedTrimmedAvg, Krum), subclassed
  to screen replies (non-finite values, wrong keys or shapes, a bad weight are rejected and
  logged: Flower's strategies do not check, and one NaN reply poisons the average) and to
  count failures; ``evaluate_fn`` writes rounds.csv and a checkpoint after every round.

The config travels as the Flower run config (the keys of ``FederatedConfig``, ``-`` or ``_``);
in simulation, where ``run_simulation`` hands the apps an empty run config, the plugin passes
it to ``make_client_app`` / ``make_server_app`` instead.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from logging import INFO
from typing import Any, Callable, Iterable, Mapping

import torch

from wgan_core.config import build_config, field_specs
from wgan_core.errors import ConfigError

from .config import FederatedConfig
from .data import ClientSource, build_split
from .models import build_models, flatten_parts, split_parts

#: Where the weights and the weight metric travel in a Message.
ARRAYS_KEY = "arrays"
METRICS_KEY = "metrics"
WEIGHT_KEY = "weight"

#: Flower's own configuration for every process the plugin starts (no network calls).
FLOWER_ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1"}


def set_flower_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Flower's telemetry and update check off, in ``env`` (default: this process)."""
    target = os.environ if env is None else env
    for key, value in FLOWER_ENV.items():
        target.setdefault(key, value)
    return dict(target)


# ---------------------------------------------------------------------- config

RUN_ONLY_KEYS = ("out", "resume")  # run-config keys the deployed ServerApp reads itself


def options_from_run_config(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """Config options from a Flower run config: dashes or underscores; "" means unset."""
    names = {s.name for s in field_specs(FederatedConfig)}
    out: dict[str, Any] = {}
    for key, value in run_config.items():
        name = key.replace("-", "_")
        if name in RUN_ONLY_KEYS:
            continue
        if name not in names:
            raise ConfigError(f"Flower run config: unknown key '{key}'")
        if value == "":
            continue
        out[name] = value
    return out


def config_from_run_config(run_config: Mapping[str, Any]) -> FederatedConfig:
    """A validated FederatedConfig from a Flower run config."""
    return build_config(FederatedConfig, options_from_run_config(run_config),
                        where="Flower run config")


def client_weight(n: int, weighting: str) -> float:
    """A client's aggregation weight: FedAvg's n, uniform 1, or sqrt(n)."""
    if weighting == "samples":
        return float(n)
    if weighting == "sqrt":
        return math.sqrt(n)
    return 1.0


def averaged_parts(config: FederatedConfig) -> tuple[str, ...]:
    """The networks the server averages (and clients send)."""
    return ("generator",) if config.algorithm == "private-critics" else ("generator", "critic")


def prepared_critic(config: FederatedConfig, dim: int, scale: float) -> torch.nn.Module:
    """A fresh critic prepared by the constraint exactly as the Trainer prepares it (spectral
    normalization reparametrizes it, which changes its state-dict keys)."""
    from wgan_core.constraints import constraint_from_config
    from wgan_core.spaces import EuclideanSpace

    _, critic = build_models(config, dim)
    return constraint_from_config(config).prepare(critic, EuclideanSpace(scale=scale))


def round_seed(seed: int, round_: int, client: int) -> int:
    """A distinct, reproducible seed for each client in each round."""
    return (seed * 1_000_003 + round_ * 10_007 + client * 101) % (2**31 - 1)


# ---------------------------------------------------------------------- ClientApp

def client_train(message: Any, context: Any, config: FederatedConfig) -> Any:
    """One client's round: train K steps from the handed weights, reply with its weights."""
    from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict

    from wgan_core.phases import Phase
    from wgan_core.spaces import EuclideanSpace
    from wgan_core.trainer import Trainer

    torch.set_num_threads(1)  # one Ray actor or SuperNode per core
    pid = int(context.node_config["partition-id"])
    split = build_split(config)
    if not 0 <= pid < split.n_clients:
        raise ConfigError(f"partition-id {pid} is outside the {split.n_clients} clients")
    num = context.node_config.get("num-partitions")
    if num is not None and int(num) != split.n_clients:
        raise ConfigError(f"num-partitions {num} but the run has {split.n_clients} clients")
    train_cfg = message.content["config"]
    round_ = int(train_cfg["round"])
    scale = float(train_cfg["scale"])
    faulty = pid >= split.n_clients - config.faulty_clients
    if faulty and config.fault == "crash":
        raise RuntimeError(f"injected fault: client {pid} crashed in round {round_}")

    points = split.client_points(pid)
    seed = round_seed(config.seed, round_, pid)
    torch.manual_seed(seed)
    generator, critic = build_models(config, split.dim)
    # Each round is K steps of a fresh Trainer at that round's learning rate (the schedule
    # runs over rounds, server-side); the networks come from the server or Context.state.
    local = Phase("local", steps=config.local_steps, lr_g=float(train_cfg["lr-g"]),
                  lr_c=float(train_cfg["lr-c"]), seed=seed)
    trainer = Trainer(generator, critic, ClientSource(points, scale), config, phase=local,
                      space=EuclideanSpace(scale=scale), device="cpu")
    weights = split_parts(message.content[ARRAYS_KEY].to_torch_state_dict())
    private = config.algorithm == "private-critics"
    if private:
        if "critic" in weights:
            raise ConfigError("private-critics: the server sent a critic")
        if "critic" in context.state:
            # This client's own critic from its previous round (it never left the node).
            weights["critic"] = context.state["critic"].to_torch_state_dict()
    trainer.set_weights(weights)
    if OPTIMIZER_STATE in context.state:
        # FedGAN's agents keep their own optimizers: this client's Adam moments from its
        # previous round (they never leave the node), at this round's learning rates.
        trainer.set_weights(load_optimizers(context.state[OPTIMIZER_STATE]))
        for opt, lr in ((trainer.opt_g, local.lr_g), (trainer.opt_c, local.lr_c)):
            for group in opt.param_groups:  # type: ignore[union-attr]
                group["lr"] = lr
    stats = trainer.train_steps(config.local_steps)
    context.state[OPTIMIZER_STATE] = save_optimizers(trainer.get_weights(("opt_g", "opt_c")))
    out = trainer.get_weights(("generator", "critic"))
    if private:
        context.state["critic"] = ArrayRecord(out.pop("critic"))
    flat = flatten_parts(out)
    if faulty and config.fault == "nan":
        flat = {k: torch.full_like(v, float("nan")) for k, v in flat.items()}
    elif faulty and config.fault == "scaled":
        flat = {k: v * config.fault_scale for k, v in flat.items()}
    n = len(points)
    metrics = MetricRecord({
        WEIGHT_KEY: client_weight(n, config.weighting),
        "num-examples": n,
        "partition-id": pid,
        "w-estimate": float(stats.get("w_estimate", float("nan"))),
        "critic-loss": float(stats.get("critic_loss", float("nan"))),
    })
    content = RecordDict({ARRAYS_KEY: ArrayRecord(flat), METRICS_KEY: metrics})
    return Message(content, reply_to=message)


#: Where a client keeps its optimizers' state between rounds (Flower's Context.state).
OPTIMIZER_STATE = "optimizers"


def save_optimizers(states: dict[str, Any]) -> Any:
    """Optimizer state dicts as a ConfigRecord of bytes (they hold nested dicts and steps,
    which an ArrayRecord cannot)."""
    import io

    from flwr.app import ConfigRecord

    buffer = io.BytesIO()
    torch.save(states, buffer)
    return ConfigRecord({"state": buffer.getvalue()})


def load_optimizers(record: Any) -> dict[str, Any]:
    """What ``save_optimizers`` stored (read as weights only)."""
    import io

    return torch.load(io.BytesIO(record["state"]), weights_only=True)


def make_client_app(config: FederatedConfig | None = None) -> Any:
    """The ClientApp; with ``config`` None (deployment) it reads the Flower run config."""
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(message: Any, context: Any) -> Any:
        cfg = config if config is not None else config_from_run_config(context.run_config)
        return client_train(message, context, cfg)

    return app


# ---------------------------------------------------------------------- strategy

def reply_problem(content: Any, expected: Mapping[str, tuple[int, ...]],
                  weight_key: str = WEIGHT_KEY) -> str | None:
    """Why a reply must not be aggregated (None when it is fine)."""
    import numpy as np

    arrays = list(content.array_records.values())
    if len(arrays) != 1:
        return f"expected one ArrayRecord, got {len(arrays)}"
    record = arrays[0]
    keys = set(record.keys())
    missing, extra = sorted(set(expected) - keys), sorted(keys - set(expected))
    if missing or extra:
        what = (f"missing '{missing[0]}'" if missing else f"unexpected '{extra[0]}'")
        return f"wrong keys ({what}; {len(missing)} missing, {len(extra)} unexpected)"
    for key, shape in expected.items():
        value = record[key].numpy()
        if tuple(value.shape) != tuple(shape):
            return f"'{key}' has shape {tuple(value.shape)}, expected {tuple(shape)}"
        if not np.isfinite(value).all():
            return f"non-finite values in '{key}'"
    metrics = list(content.metric_records.values())
    if len(metrics) != 1:
        return f"expected one MetricRecord, got {len(metrics)}"
    weight = metrics[0].get(weight_key)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
            or not math.isfinite(weight) or weight <= 0:
        return f"metric '{weight_key}' must be a positive number, got {weight!r}"
    return None


@dataclasses.dataclass
class RoundStats:
    """What happened to one round's messages."""

    sent: int = 0
    replied: list[int] = dataclasses.field(default_factory=list)  # partition ids aggregated
    failures: int = 0  # error replies (a client raised, its node vanished) and missing ones
    rejected: int = 0  # replies refused by the screen
    problems: list[str] = dataclasses.field(default_factory=list)
    bytes_down: int = 0
    bytes_up: int = 0
    started: float = 0.0


def _record_bytes(record: Any) -> int:
    return sum(len(a.data) for a in record.values())


class ScreenedStrategy:
    """Mixed in before a Flower strategy: screens replies and keeps per-round statistics."""

    expected: dict[str, tuple[int, ...]]
    stats: RoundStats
    n_clients: int
    log_fn: Callable[[str], None]
    node_to_client: dict[int, int]
    round_offset: int
    #: round -> extra train-config values of that round (the learning rates).
    round_config: Callable[[int], dict[str, float]]

    def setup(self, expected: Mapping[str, tuple[int, ...]], n_clients: int,
              log_fn: Callable[[str], None], round_offset: int = 0) -> None:
        self.expected = dict(expected)
        self.n_clients = n_clients
        self.log_fn = log_fn
        self.node_to_client = {}
        self.round_offset = round_offset
        self.stats = RoundStats()
        self.round_config = lambda round_: {"lr-g": 1e-3, "lr-c": 1e-3}

    def configure_train(self, server_round: int, arrays: Any, config: Any, grid: Any
                        ) -> Iterable[Any]:
        round_ = self.round_offset + server_round
        config["round"] = round_
        for key, value in self.round_config(round_).items():
            config[key] = value
        messages = list(super().configure_train(server_round, arrays, config, grid))  # type: ignore[misc]
        # All clients must be there for the first round; later, a node that disconnected
        # must not stall the run (Flower's sample_nodes waits for min_available_nodes).
        self.min_available_nodes = 1  # type: ignore[attr-defined]
        self.min_train_nodes = 1  # type: ignore[attr-defined]
        self.stats = RoundStats(sent=len(messages), started=time.perf_counter(),
                                bytes_down=len(messages) * _record_bytes(arrays))
        return messages

    def _client_name(self, msg: Any) -> str:
        node = msg.metadata.src_node_id
        client = self.node_to_client.get(node)
        return f"client {client} (node {node})" if client is not None else f"node {node}"

    def screen(self, replies: Iterable[Any], server_round: int = 0) -> list[Any]:
        """The replies fit to aggregate; the others are counted and named in the log."""
        replies = list(replies)
        stats = self.stats
        stats.failures += max(0, stats.sent - len(replies))  # timed out or never came
        good: list[tuple[int, int, Any]] = []
        for msg in replies:
            if msg.has_error():
                stats.failures += 1
                stats.problems.append(f"{self._client_name(msg)} failed: {msg.error.reason}")
                continue
            content = msg.content
            try:
                metrics = next(iter(content.metric_records.values()))
                pid = int(metrics["partition-id"])
                self.node_to_client[msg.metadata.src_node_id] = pid
            except (StopIteration, KeyError, TypeError, ValueError):
                pid = -1
            stats.bytes_up += sum(_record_bytes(r) for r in content.array_records.values())
            problem = reply_problem(content, self.expected)
            if problem is not None:
                stats.rejected += 1
                stats.problems.append(f"rejected reply from {self._client_name(msg)}: {problem}")
                continue
            good.append((pid, msg.metadata.src_node_id, msg))
        # Replies arrive in whatever order the nodes finish; summing them in client order makes
        # the float rounding of the aggregate, and so a whole run, repeat for a given seed.
        good.sort(key=lambda item: item[:2])
        stats.replied.extend(pid for pid, _, _ in good)
        for line in stats.problems:
            self.log_fn(f"round {self.round_offset + server_round}: {line}")
        return [msg for _, _, msg in good]

    def aggregate_train(self, server_round: int, replies: Iterable[Any]) -> tuple[Any, Any]:
        good = self.screen(replies, server_round)
        if not good:
            self.log_fn(f"round {self.round_offset + server_round}: no valid reply; the "
                        f"global model stays as it was")
            return None, None
        return super().aggregate_train(server_round, good)  # type: ignore[misc]


def make_strategy(config: FederatedConfig, n_clients: int,
                  expected: Mapping[str, tuple[int, ...]],
                  log_fn: Callable[[str], None] = lambda m: None,
                  round_offset: int = 0) -> Any:
    """The configured Flower strategy, screening replies, weighting by the ``weight`` metric,
    waiting for all ``n_clients`` before the first round, with no federated evaluation."""
    from flwr.serverapp.strategy import FedAvg, FedMedian, FedTrimmedAvg, Krum

    common = dict(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=n_clients,
                  min_evaluate_nodes=0, min_available_nodes=n_clients,
                  weighted_by_key=WEIGHT_KEY, arrayrecord_key=ARRAYS_KEY)
    base: type
    if config.aggregator == "median":
        base, extra = FedMedian, {}
    elif config.aggregator == "trimmed-mean":
        base, extra = FedTrimmedAvg, {"beta": config.trim_beta}
    elif config.aggregator == "krum":
        base, extra = Krum, {"num_malicious_nodes": config.krum_malicious}
    else:
        base, extra = FedAvg, {}
    cls = type(f"Screened{base.__name__}", (ScreenedStrategy, base), {})
    strategy = cls(**common, **extra)
    strategy.setup(expected, n_clients, log_fn, round_offset)
    return strategy


# ---------------------------------------------------------------------- ServerApp

def make_server_app(main_fn: Callable[[Any, Any], None]) -> Any:
    """A ServerApp whose main is ``main_fn(grid, context)``."""
    from flwr.serverapp import ServerApp

    app = ServerApp()
    app.main()(main_fn)
    return app


#: The grid of a deployed run, while its ServerApp runs ``execute`` (plugin.run reads it).
DEPLOYED_GRID: list[Any] = []


def deployed_main(grid: Any, context: Any) -> None:
    """The deployed ServerApp: the same run folder as ``wgan run federated``, written by
    ``wgan_core.runs.execute`` on the ServerApp's machine (run config ``out``, or ``resume``
    to continue a run folder)."""
    from pathlib import Path

    from wgan_core.runs import execute

    from .plugin import PLUGIN

    set_flower_env()
    run_config = dict(context.run_config)
    out = str(run_config.get("out", "") or "")
    resume = str(run_config.get("resume", "") or "")
    options = options_from_run_config(run_config)
    DEPLOYED_GRID.append(grid)
    try:
        result = execute(PLUGIN, {} if resume else options,
                         out=Path(out) if out and not resume else None,
                         resume=Path(resume) if resume else None, progress=False)
    finally:
        DEPLOYED_GRID.clear()
    from flwr.supercore import log

    log(INFO, "wgan federated: run folder %s", result.run_dir)


#: What the Flower App's pyproject names (``wgan_plugins.federated.app:server_app``).
server_app = make_server_app(deployed_main)
client_app = make_client_app(None)

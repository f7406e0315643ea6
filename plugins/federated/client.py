"""The ClientApp's work: one client's round of local training (Flower's Message API).

``client_train(message, context, config)``: rebuild this node's data (``partition-id`` from
the node config; the split is cached per process), load the handed weights into a
``wgan_core.Trainer`` (``set_weights``), train K generator steps (``train_steps``) with the
round's drift correction (``local.DriftCorrection``), and reply with ``get_weights`` and a
MetricRecord whose ``weight`` is the client's aggregation weight (n, 1 or sqrt n; the
strategy's ``weighted_by_key``). What a client keeps between rounds lives in Flower's
``Context.state`` (its optimizers' moments; its private critic under ``private-critics``; its
SCAFFOLD control variate), so the same code keeps its state in simulation, where a node's
messages may run in any Ray actor, and on a SuperNode, where every round is a new process.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import torch

from wgan_core.errors import ConfigError

from .config import FederatedConfig, config_from_run_config
from .data import ClientSource, build_split
from .local import (PARTS, VARIATE, DriftCorrection, flatten_variates, unflatten_variates,
                    zero_variates)
from .models import (ClientConditionedGenerator, build_models, client_weight, flatten_parts,
                     split_parts)

#: Where the weights and the weight metric travel in a Message.
ARRAYS_KEY = "arrays"
METRICS_KEY = "metrics"
WEIGHT_KEY = "weight"
#: Where a client keeps its optimizers' state between rounds (Flower's Context.state).
OPTIMIZER_STATE = "optimizers"
#: Where a client keeps its SCAFFOLD control variate (Context.state).
VARIATE_STATE = "variate"
#: Where a client keeps the token of the trainer that trained its latest round (Context.state).
CACHE_STATE = "trainer"


def averaged_parts(config: FederatedConfig) -> tuple[str, ...]:
    """The networks the server averages (and clients send)."""
    return ("generator",) if config.algorithm == "private-critics" else PARTS


def prepared_critic(config: FederatedConfig, dim: int, scale: float) -> torch.nn.Module:
    """A fresh critic prepared by the constraint exactly as the Trainer prepares it (spectral
    normalization reparametrizes it, which changes its state-dict keys)."""
    from wgan_core.constraints import constraint_from_config
    from wgan_core.spaces import EuclideanSpace

    _, critic = build_models(config, dim, 1)  # the critic does not depend on the clients
    return constraint_from_config(config).prepare(critic, EuclideanSpace(scale=scale))


def round_seed(seed: int, round_: int, client: int) -> int:
    """A distinct, reproducible seed for each client in each round."""
    return (seed * 1_000_003 + round_ * 10_007 + client * 101) % (2**31 - 1)


def save_optimizers(states: dict[str, Any]) -> Any:
    """Optimizer state dicts as a ConfigRecord of bytes (they hold nested dicts and steps,
    which an ArrayRecord cannot)."""
    from flwr.app import ConfigRecord

    buffer = io.BytesIO()
    torch.save(states, buffer)
    return ConfigRecord({"state": buffer.getvalue()})


def load_optimizers(record: Any) -> dict[str, Any]:
    """What ``save_optimizers`` stored (read as weights only)."""
    return torch.load(io.BytesIO(record["state"]), weights_only=True)


def local_trainer(config: FederatedConfig, points: torch.Tensor, scale: float, dim: int,
                  n_clients: int, round_: int, pid: int, lr_g: float, lr_c: float) -> Any:
    """A client's Trainer: K steps a round at the round's learning rates (the schedule runs
    over rounds, server-side). Its weights are whatever the server hands it
    (``set_weights``); ``start_round`` seeds each round. A client-conditioned generator
    samples only this client's index."""
    from wgan_core.phases import Phase
    from wgan_core.spaces import EuclideanSpace
    from wgan_core.trainer import Trainer

    generator, critic = build_models(config, dim, n_clients)
    if isinstance(generator, ClientConditionedGenerator):
        generator.set_client(pid)
    phase = Phase("local", steps=config.local_steps, lr_g=lr_g, lr_c=lr_c,
                  seed=round_seed(config.seed, round_, pid))
    return Trainer(generator, critic, ClientSource(points, scale), config, phase=phase,
                   space=EuclideanSpace(scale=scale), device="cpu")


def start_round(trainer: Any, config: FederatedConfig, round_: int, pid: int, lr_g: float,
                lr_c: float) -> None:
    """Set a client's trainer to this round: its learning rates, its step count and its
    random streams, seeded by seed, round and client, so that a trainer kept from the
    previous round and one built afresh train identically."""
    seed = round_seed(config.seed, round_, pid)
    torch.manual_seed(seed)
    trainer.rng.manual_seed(seed)
    trainer.step = 0
    trainer.callbacks = []
    for opt, sched, lr in ((trainer.opt_g, trainer.sched_g, lr_g),
                           (trainer.opt_c, trainer.sched_c, lr_c)):
        for group in opt.param_groups:
            group["lr"] = lr
        sched.base_lrs = [lr] * len(opt.param_groups)


class TrainerCache:
    """This process's client trainers, by (run, node): building a client's networks, Trainer
    and optimizers costs about half of its five local steps (256-wide MLPs), every round.

    A trainer is reused only when it trained this node's latest round: its token is stored in
    the node's ``Context.state`` and must match. Otherwise (the first round; in simulation, a
    node's round served by another Ray actor; on a SuperNode, where every round is a new
    process) the trainer is built afresh and its optimizers' state read from
    ``Context.state``, which always holds the latest."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: dict[tuple[int, int], tuple[str, Any]] = {}

    def get(self, key: tuple[int, int], token: str | None) -> Any | None:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and token is not None and entry[0] == token \
            else None

    def put(self, key: tuple[int, int], trainer: Any) -> str:
        """Keep ``trainer`` for ``key``; returns its new token."""
        token = uuid.uuid4().hex
        self._entries.pop(key, None)
        self._entries[key] = (token, trainer)
        while len(self._entries) > self.size:  # the oldest first (dicts keep insertion order)
            self._entries.pop(next(iter(self._entries)))
        return token


#: The process's cache (a per-process cache, as Ray actors are long-lived processes).
TRAINERS = TrainerCache()


def client_train(message: Any, context: Any, config: FederatedConfig) -> Any:
    """One client's round: train K steps from the handed weights, reply with its weights (and,
    under SCAFFOLD, its new control variate)."""
    from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict

    started = time.perf_counter()
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
    lr_g, lr_c = float(train_cfg["lr-g"]), float(train_cfg["lr-c"])
    key = (int(context.run_id), int(context.node_id))
    token = (str(context.state[CACHE_STATE]["token"]) if CACHE_STATE in context.state
             else None)
    trainer = TRAINERS.get(key, token)
    cached = trainer is not None
    if trainer is None:
        trainer = local_trainer(config, points, scale, split.dim, split.n_clients, round_, pid,
                                lr_g, lr_c)
    received = message.content[ARRAYS_KEY].to_torch_state_dict()
    weights = {k: v for k, v in split_parts(received).items() if k in PARTS}
    private = config.algorithm == "private-critics"
    if private:
        if "critic" in weights:
            raise ConfigError("private-critics: the server sent a critic")
        if "critic" in context.state:
            # This client's own critic from its previous round (it never left the node).
            weights["critic"] = context.state["critic"].to_torch_state_dict()
    trainer.set_weights(weights)
    if OPTIMIZER_STATE in context.state and not cached:
        # FedGAN's agents keep their own optimizers: this client's Adam moments from its
        # previous round (they never leave the node), at this round's learning rates.
        trainer.set_weights(load_optimizers(context.state[OPTIMIZER_STATE]))
    start_round(trainer, config, round_, pid, lr_g, lr_c)
    correction = drift_correction(config, trainer, received, context)
    trainer.callbacks.append(correction)
    trained = time.perf_counter()
    stats = trainer.train_steps(config.local_steps)
    train_seconds = time.perf_counter() - trained
    context.state[OPTIMIZER_STATE] = save_optimizers(trainer.get_weights(("opt_g", "opt_c")))
    context.state[CACHE_STATE] = ConfigRecord({"token": TRAINERS.put(key, trainer)})
    out = trainer.get_weights(PARTS)
    if private:
        context.state["critic"] = ArrayRecord(out.pop("critic"))
    flat = flatten_parts(out)
    if config.drift_correction == "scaffold":
        variate = correction.mean_gradients()
        context.state[VARIATE_STATE] = ArrayRecord(flatten_variates(variate))
        flat.update(flatten_variates(variate))
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
        # Where a round's time goes (benchmarks/federated_round.py): the K local steps, and
        # everything else the client does (data, models, state in and out).
        "train-seconds": train_seconds,
        "setup-seconds": time.perf_counter() - started - train_seconds,
        "trainer-reused": int(cached),
    })
    content = RecordDict({ARRAYS_KEY: ArrayRecord(flat), METRICS_KEY: metrics})
    return Message(content, reply_to=message)


def drift_correction(config: FederatedConfig, trainer: Any, received: dict[str, Any],
                     context: Any) -> DriftCorrection:
    """This round's correction of the local gradients: FedProx's pull towards the global
    weights (``--drift-correction prox``, ``--proximal-mu``), SCAFFOLD's ``c - c_i`` (the
    server's variate from the message, the client's from its Context.state), or none (the
    callback then only watches)."""
    if config.drift_correction == "none":
        return DriftCorrection()
    anchor = {part: {name: p.detach().clone() for name, p in
                     (trainer.generator if part == "generator" else trainer.critic)
                     .named_parameters()} for part in PARTS}
    if config.drift_correction == "prox":
        return DriftCorrection(anchor, config.proximal_mu)
    server = unflatten_variates({k: v for k, v in received.items()
                                 if k.startswith(VARIATE + ".")})
    own = (unflatten_variates(context.state[VARIATE_STATE].to_torch_state_dict())
           if VARIATE_STATE in context.state else zero_variates(trainer))
    zeros = zero_variates(trainer)
    correction = {part: {name: server[part].get(name, zeros[part][name]) - own[part][name]
                         for name in zeros[part]} for part in PARTS}
    return DriftCorrection(correction=correction)


def make_client_app(config: FederatedConfig | None = None) -> Any:
    """The ClientApp; with ``config`` None (deployment) it reads the Flower run config."""
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(message: Any, context: Any) -> Any:
        cfg = config if config is not None else config_from_run_config(context.run_config)
        return client_train(message, context, cfg)

    return app

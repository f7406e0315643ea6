"""The ServerApp's work: one of Flower's strategies, screening the replies, and the server loop
that writes the run folder.

- The strategy is Flower's own (FedAvg, FedMedian, FedTrimmedAvg, Krum; FedAvgM or FedAdam as
  a server optimizer), subclassed to screen replies (non-finite values, wrong keys or shapes,
  a bad weight are rejected and logged: Flower's strategies do not check, and one NaN reply
  poisons the average) and to count failures; it aggregates the SCAFFOLD control variates
  with the weights (they travel in the same arrays).
- ``serve(grid, config, context, split)`` runs the rounds on any grid (the simulation's or a
  SuperLink's): after every round a row of rounds.csv (who replied, failures, bytes), every
  ``--eval-every`` rounds the global generator's evaluation on ``--n-eval`` samples, every
  ``--checkpoint-every`` rounds ``checkpoints/last.pt`` (the core's atomic checkpoints), and
  at the end the pictures and metrics, raw and DOT-refined with the global critic.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import torch

from wgan_core.checkpoint import load_checkpoint, load_weights, save_checkpoint
from wgan_core.errors import CheckpointError, ConfigError
from wgan_core.plots import pyplot, save_figure
from wgan_core.plugin import RunContext, RunResult
from wgan_core.refine import dot_refine, effective_lipschitz
from wgan_core.tensorboard import numeric
from wgan_core.units import Normalization

from .client import ARRAYS_KEY, WEIGHT_KEY, averaged_parts, prepared_critic
from .config import FederatedConfig
from .data import ClientSplit, data_scale
from .local import flatten_variates
from .metrics import W1_SAMPLES, LabelAssigner, coverage, w1, w1_balanced
from .models import (ClientConditionedGenerator, build_models, flatten_parts, mixture_weights,
                     split_parts)

ROUNDS_FILE = "rounds.csv"
CHECKPOINT_FORMAT = 2


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
    #: Sums over the aggregated replies of the clients' own timings (MetricRecord).
    client_train_seconds: float = 0.0
    client_setup_seconds: float = 0.0
    clients_reused: int = 0  # replies from a client whose trainer was kept in its process
    aggregate_seconds: float = 0.0


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
              log_fn: Callable[[str], None], round_offset: int = 0,
              server_lr: Callable[[int], float] | None = None) -> None:
        self.expected = dict(expected)
        self.n_clients = n_clients
        self.log_fn = log_fn
        self.node_to_client = {}
        self.round_offset = round_offset
        self.stats = RoundStats()
        self.round_config = lambda round_: {"lr-g": 1e-3, "lr-c": 1e-3}
        self.server_lr = server_lr

    def begin_round(self, server_round: int, config: Any) -> int:
        """The round's number, learning rates (into the train config) and server step size."""
        round_ = self.round_offset + server_round
        config["round"] = round_
        for key, value in self.round_config(round_).items():
            config[key] = value
        if self.server_lr is not None:
            # A server optimizer's step size follows the same schedule as the clients'.
            lr = self.server_lr(round_)
            if hasattr(self, "eta"):  # FedAdam (FedOpt)
                self.eta = lr  # type: ignore[attr-defined]
            else:  # FedAvgM
                self.server_learning_rate = lr  # type: ignore[attr-defined]
        return round_

    def configure_train(self, server_round: int, arrays: Any, config: Any, grid: Any
                        ) -> Iterable[Any]:
        self.begin_round(server_round, config)
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
            stats.client_train_seconds += float(metrics.get("train-seconds", 0.0))
            stats.client_setup_seconds += float(metrics.get("setup-seconds", 0.0))
            stats.clients_reused += int(metrics.get("trainer-reused", 0))
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
        started = time.perf_counter()
        result = super().aggregate_train(server_round, good)  # type: ignore[misc]
        self.stats.aggregate_seconds = time.perf_counter() - started
        return result


def make_strategy(config: FederatedConfig, n_clients: int,
                  expected: Mapping[str, tuple[int, ...]],
                  log_fn: Callable[[str], None] = lambda m: None,
                  round_offset: int = 0,
                  server_lr: Callable[[int], float] | None = None) -> Any:
    """The configured Flower strategy, screening replies, weighting by the ``weight`` metric,
    waiting for all ``n_clients`` before the first round, with no federated evaluation. A
    server optimizer is Flower's own FedAvgM (``momentum``) or FedAdam (``adam``), its step
    size ``server_lr(round)``."""
    from flwr.serverapp.strategy import FedAdam, FedAvg, FedAvgM, FedMedian, FedTrimmedAvg, Krum

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
    elif config.server_optimizer == "momentum":
        base, extra = FedAvgM, {"server_learning_rate": config.server_lr,
                                "server_momentum": config.server_momentum}
    elif config.server_optimizer == "adam":
        # WGAN's Adam pairing on the server: no first moment (beta_1 = 0), beta_2 = 0.9;
        # tau plays Adam's epsilon.
        base, extra = FedAdam, {"eta": config.server_lr, "eta_l": config.lr_g,
                                "beta_1": config.server_momentum, "beta_2": 0.9, "tau": 1e-8}
    else:
        base, extra = FedAvg, {}
    cls = type(f"Screened{base.__name__}", (ScreenedStrategy, base), {})
    strategy = cls(**common, **extra)
    strategy.setup(expected, n_clients, log_fn, round_offset,
                   server_lr if config.server_optimizer != "none" else None)
    return strategy



# ---------------------------------------------------------------------- ServerApp

def make_server_app(main_fn: Callable[[Any, Any], None]) -> Any:
    """A ServerApp whose main is ``main_fn(grid, context)``."""
    from flwr.serverapp import ServerApp

    app = ServerApp()
    app.main()(main_fn)
    return app


# ---------------------------------------------------------------------- the server loop

#: rounds.csv's columns (evaluation columns are empty on rounds without an evaluation).
ROUND_COLUMNS = ["round", "replied", "clients_replied", "failures", "rejected",
                 "modes_covered", "minority_modes_covered", "high_quality_fraction",
                 "w1_exact", "bytes_down", "bytes_up", "seconds", "round_seconds",
                 "client_train_seconds", "client_setup_seconds", "clients_reused",
                 "aggregate_seconds", "eval_seconds", "write_seconds"]


def _read_rounds(path: Path, upto: int) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [r for r in csv.DictReader(fh) if int(r["round"]) <= upto]


def _write_rounds(path: Path, rows: list[dict[str, Any]], columns: list[str],
                  append: bool) -> None:
    new = not append or not path.exists()
    with open(path, "w" if new else "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", restval="")
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else
                                 "" if v is None else v) for k, v in row.items()})


def _generate(generator: torch.nn.Module, n: int, seed: int) -> torch.Tensor:
    """n samples in the networks' units (data x scale)."""
    return generator.sample(n, generator=torch.Generator().manual_seed(seed)).cpu()


def _zero_variates(generator: torch.nn.Module, critic: torch.nn.Module
                   ) -> dict[str, dict[str, torch.Tensor]]:
    return {part: {name: torch.zeros_like(p.detach()) for name, p in module.named_parameters()}
            for part, module in (("generator", generator), ("critic", critic))}


def serve(grid: Any, config: FederatedConfig, context: RunContext,
          split: ClientSplit) -> RunResult:
    """The ServerApp's work: rounds of the strategy on ``grid``; the run folder."""
    from flwr.app import ArrayRecord, ConfigRecord, MetricRecord

    run_dir = context.run_dir
    scale = data_scale(split)
    parts_sent = averaged_parts(config)
    torch.manual_seed(config.seed)
    generator, _ = build_models(config, split.dim, split.n_clients)
    if isinstance(generator, ClientConditionedGenerator):
        generator.set_mixture(mixture_weights(split.sizes, config.weighting))
    critic = prepared_critic(config, split.dim, scale)
    start_round, elapsed_before = 0, 0.0
    ckpt_path = context.checkpoint_dir / "last.pt"
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        if ckpt.get("format") != CHECKPOINT_FORMAT or ckpt.get("algorithm") != config.algorithm:
            raise CheckpointError(f"{ckpt_path}: not a checkpoint of a {config.algorithm} run")
        start_round = int(ckpt["round"])
        if start_round > config.rounds:
            raise CheckpointError(f"{ckpt_path} is at round {start_round}, past the "
                                  f"{config.rounds} rounds asked for; ask for at least "
                                  f"{start_round}")
        load_weights(generator, ckpt["generator"])
        if "critic" in parts_sent:
            load_weights(critic, ckpt["critic"])
        elapsed_before = float(ckpt.get("elapsed", 0.0))
        if start_round < config.rounds and config.algorithm == "private-critics":
            context.echo("resuming: each client starts a new private critic (the old ones "
                         "lived on the clients only)")
        if start_round < config.rounds and config.drift_correction == "scaffold":
            context.echo("resuming: the control variates start again from zero (the clients' "
                         "lived on the clients only)")
    # Rows after the checkpoint's round will be written again.
    kept_rows = _read_rounds(run_dir / ROUNDS_FILE, start_round)
    state = {"generator": generator.state_dict(), "critic": critic.state_dict()}
    flat = flatten_parts({p: state[p] for p in parts_sent})
    if config.drift_correction == "scaffold":
        flat.update(flatten_variates(_zero_variates(generator, critic)))
    expected = {k: tuple(v.shape) for k, v in flat.items()}
    assigner = LabelAssigner(split)
    columns = ROUND_COLUMNS + [f"client_{c}_coverage" for c in range(split.n_clients)]
    _write_rounds(run_dir / ROUNDS_FILE, kept_rows, columns, append=False)
    # With --logger tensorboard, rounds.csv's numeric columns also go to the event stream
    # "rounds", by round (rounds after the checkpoint's, from an interrupted run, purged).
    board = context.tensorboard("rounds", resume_step=start_round)
    current = {"arrays": flat}
    history: list[dict[str, Any]] = [dict(r) for r in kept_rows]
    started = time.perf_counter()

    def lr_factor(round_: int) -> float:
        if config.lr_schedule == "constant":
            return 1.0
        return max(0.0, 1.0 - (round_ - 1) / config.rounds)

    strategy = make_strategy(config, split.n_clients, expected, context.echo,
                             round_offset=start_round,
                             server_lr=lambda r: config.server_lr * lr_factor(r))

    def round_config(round_: int) -> dict[str, float]:
        return {"lr-g": config.lr_g * lr_factor(round_), "lr-c": config.lr_c * lr_factor(round_)}

    strategy.round_config = round_config

    def evaluate_fn(server_round: int, arrays: Any) -> Any:
        if server_round == 0:
            return None
        r = start_round + server_round
        began = time.perf_counter()
        weights = arrays.to_torch_state_dict()
        current["arrays"] = weights
        stats = strategy.stats
        row: dict[str, Any] = {
            "round": r, "replied": len(stats.replied),
            "clients_replied": " ".join(str(c) for c in sorted(stats.replied)),
            "failures": stats.failures, "rejected": stats.rejected,
            "bytes_down": stats.bytes_down, "bytes_up": stats.bytes_up,
            "client_train_seconds": stats.client_train_seconds,
            "client_setup_seconds": stats.client_setup_seconds,
            "clients_reused": stats.clients_reused,
            "aggregate_seconds": stats.aggregate_seconds,
        }
        last = r == config.rounds
        if r % config.eval_every == 0 or last:
            load_weights(generator, split_parts(weights)["generator"])
            fake = _generate(generator, config.n_eval, config.seed + r) / scale
            cov = coverage(fake, split, assigner)
            row.update({k: cov[k] for k in ("modes_covered", "minority_modes_covered",
                                            "high_quality_fraction")})
            row["w1_exact"] = w1(fake, split.points, n=W1_SAMPLES, seed=r)
            for c, share in enumerate(cov["client_coverage"]):
                row[f"client_{c}_coverage"] = share
            if context.progress:
                context.echo(f"round {r}/{config.rounds}: {len(stats.replied)} replied, "
                             f"{stats.failures} failed, {stats.rejected} rejected; modes "
                             f"{cov['modes_covered']}/{cov['modes_total']}, "
                             f"W1 {row['w1_exact']:.3f}")
        evaluated = time.perf_counter()
        if r % config.checkpoint_every == 0 or last:
            save_checkpoint(_checkpoint(config, r, weights, scale, split.dim,
                                        elapsed_before + time.perf_counter() - started,
                                        generator),
                            ckpt_path)
        now = time.perf_counter()
        row.update({"eval_seconds": evaluated - began, "write_seconds": now - evaluated,
                    "round_seconds": now - stats.started,
                    "seconds": round(elapsed_before + now - started, 3)})
        history.append(row)
        _write_rounds(run_dir / ROUNDS_FILE, [row], columns, append=True)
        if board is not None:
            for key, value in numeric(row).items():
                if key != "round":
                    board.add_scalar(f"rounds/{key}", value, r)
            board.flush()
        return MetricRecord({"round": r})

    remaining = config.rounds - start_round
    try:
        if remaining > 0:
            strategy.start(grid, ArrayRecord(flat), num_rounds=remaining,
                           timeout=config.round_timeout,
                           train_config=ConfigRecord({"scale": scale}),
                           evaluate_fn=evaluate_fn)
        elif not ckpt_path.exists():  # pragma: no cover - rounds >= 1 by validation
            raise ConfigError("nothing to train")
    finally:
        if board is not None:
            board.close()
    wall = elapsed_before + time.perf_counter() - started
    parts = split_parts(current["arrays"])
    load_weights(generator, parts["generator"])
    if "critic" in parts:
        load_weights(critic, parts["critic"])
    return finish(config, context, split, generator,
                  critic if "critic" in parts_sent else None, scale, assigner, history, wall)


def _checkpoint(config: FederatedConfig, round_: int, flat: dict[str, torch.Tensor],
                scale: float, dim: int, elapsed: float, generator: torch.nn.Module
                ) -> dict[str, Any]:
    parts = split_parts(flat)
    ckpt = {"format": CHECKPOINT_FORMAT, "round": round_, "algorithm": config.algorithm,
            "generator": parts["generator"], "critic": parts.get("critic", {}),
            "elapsed": elapsed,
            # The core's data-units seam: wgan.load hands the generator out in data units.
            "normalization": Normalization.scaled(1.0 / scale, dim).state_dict()}
    if isinstance(generator, ClientConditionedGenerator):
        # The shares in which the global generator samples client indices (wgan.load).
        ckpt["client_mixture"] = generator.client_weights.clone()
    return ckpt


def refine(config: FederatedConfig, critic: torch.nn.Module, fake_scaled: torch.Tensor,
           real_scaled: torch.Tensor) -> tuple[torch.Tensor, float]:
    """DOT-refined samples (the core's ``dot_refine``) with the global critic, in the
    networks' units, and the critic slope K_eff it measured."""
    critic = critic.eval()
    k_eff = effective_lipschitz(critic, torch.cat([real_scaled, fake_scaled]))
    refined = dot_refine(critic, fake_scaled, config.dot_slope_factor * k_eff,
                         steps=config.dot_steps, lr=config.dot_lr)
    return refined, k_eff


def finish(config: FederatedConfig, context: RunContext, split: ClientSplit,
           generator: torch.nn.Module, critic: torch.nn.Module | None, scale: float,
           assigner: LabelAssigner, rows: list[dict[str, Any]], wall: float) -> RunResult:
    """The final evaluation of the global generator (raw, and DOT-refined with the global
    critic when there is one), the pictures and the metrics."""
    fake_scaled = _generate(generator, config.n_eval, config.seed + 1)
    fake = fake_scaled / scale
    metrics = evaluation(fake, split, assigner, config.seed)
    if critic is not None and config.dot_steps > 0:
        real = split.points[torch.randperm(len(split.points),
                                           generator=torch.Generator().manual_seed(
                                               config.seed))[:config.n_eval]]
        refined, k_eff = refine(config, critic, fake_scaled, real * scale)
        dot = evaluation(refined / scale, split, assigner, config.seed)
        metrics.update({f"dot_{k}": v for k, v in dot.items()
                        if k in ("modes_covered", "minority_modes_covered",
                                 "high_quality_fraction", "w1_exact", "w1_balanced")})
        metrics["dot_k_eff"] = k_eff
    client_coverage = metrics.pop("client_coverage")
    clients = []
    for c in range(split.n_clients):
        own = split.client_points(c)
        clients.append({
            "client": c, "samples": len(own), "share": split.shares[c],
            "modes_held": split.held_labels(c), "modes_covered_share": client_coverage[c],
            "w1_exact": w1(fake, own, n=W1_SAMPLES, seed=config.seed + c),
        })
    metrics["clients"] = clients
    metrics["majority_client"] = split.majority
    down = [float(r["bytes_down"]) for r in rows] or [0.0]
    up = [float(r["bytes_up"]) for r in rows] or [0.0]
    metrics.update({
        "rounds": int(float(rows[-1]["round"])) if rows else 0,
        "wall_seconds": round(wall, 2),
        "bytes_sent_per_round": {"server_to_clients": sum(down) / len(down),
                                 "clients_to_server": sum(up) / len(up)},
        "failures": sum(int(float(r["failures"])) for r in rows),
        "rejected": sum(int(float(r["rejected"])) for r in rows),
        "algorithm": config.algorithm, "weighting": config.weighting,
        "aggregator": config.aggregator, "partition": config.partition,
        "drift_correction": config.drift_correction,
        "server_optimizer": config.server_optimizer,
        "dataset": split.name, "n_clients": split.n_clients,
        "local_steps": config.local_steps,
        "label_assignment": assigner.how,
    })
    artifacts = [_plot_samples(fake, split, context.run_dir / "samples.png", config),
                 _plot_clients(rows, split, context.run_dir / "clients.png")]
    return RunResult(metrics=metrics, artifacts=[a for a in artifacts if a is not None])


def evaluation(fake: torch.Tensor, split: ClientSplit, assigner: LabelAssigner,
               seed: int) -> dict[str, Any]:
    """Coverage (all, minority, per client) and exact W1 of generated points (data units),
    against the pooled data and against the client-balanced mixture."""
    cov = coverage(fake, split, assigner)
    out: dict[str, Any] = {k: cov[k] for k in (
        "modes_covered", "modes_total", "high_quality_fraction", "minority_modes_covered",
        "minority_modes_total", "client_coverage")}
    out["w1_exact"] = w1(fake, split.points, n=W1_SAMPLES, seed=seed)
    out["w1_balanced"] = w1_balanced(fake, split, n=W1_SAMPLES, seed=seed)
    return out


# ---------------------------------------------------------------------- pictures

def _plot_samples(fake: torch.Tensor, split: ClientSplit, out: Path,
                  config: FederatedConfig) -> Path:
    plt = pyplot()
    if split.dim == 2:
        fig, ax = plt.subplots(figsize=(7, 7))
        cmap = plt.get_cmap("tab10" if split.n_clients <= 10 else "tab20")
        for c in range(split.n_clients):
            pts = split.client_points(c)
            ax.scatter(pts[:, 0], pts[:, 1], s=4, color=cmap(c % cmap.N), alpha=0.5,
                       label=f"client {c}" + (" (majority)" if c == split.majority else ""))
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="black", alpha=0.4, label="generated")
        ax.set_aspect("equal")
        ax.legend(fontsize=7, markerscale=3, loc="upper right")
        ax.set_title(f"{split.name}: {config.algorithm}, {config.weighting} weighting, "
                     f"{config.aggregator}")
        return save_figure(fig, out, dpi=110)
    side = int(round(math.sqrt(split.dim)))
    n = min(100, len(fake))
    cols = 10
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(cols, (n + cols - 1) // cols))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n and side * side == split.dim:
            ax.imshow(fake[i].reshape(side, side).clamp(0, 1).numpy(), cmap="gray_r")
    fig.suptitle(f"{split.name}: generated samples")
    return save_figure(fig, out, dpi=90)


def _plot_clients(rows: list[dict[str, Any]], split: ClientSplit, out: Path) -> Path | None:
    """A client x round heat map: the share of each client's modes the global generator
    covers at every evaluated round (the evaluation's --n-eval samples)."""
    import numpy as np

    evaluated = [r for r in rows if r.get("client_0_coverage") not in (None, "")]
    if not evaluated:
        return None
    plt = pyplot()
    grid = np.array([[float(r[f"client_{c}_coverage"])
                      if r.get(f"client_{c}_coverage") not in (None, "") else np.nan
                      for r in evaluated] for c in range(split.n_clients)])
    rounds = [int(float(r["round"])) for r in evaluated]
    fig, ax = plt.subplots(figsize=(9, 0.35 * split.n_clients + 1.6))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                      interpolation="nearest",
                      extent=(rounds[0] - 0.5, rounds[-1] + 0.5, split.n_clients - 0.5, -0.5))
    ax.set_yticks(range(split.n_clients))
    ax.set_yticklabels([f"client {c}" + (" (majority)" if c == split.majority else "")
                        for c in range(split.n_clients)], fontsize=7)
    ax.set_xlabel("round")
    fig.colorbar(image, ax=ax, label="share of the client's modes covered")
    ax.set_title("each client's modes covered by the global generator, by evaluated round")
    return save_figure(fig, out, dpi=110)

"""``wgan run federated``: federated WGAN training on Flower, simulated (Ray) or deployed.

``run`` builds the client split (errors surface here, before Flower starts), then runs the
ServerApp's loop (``serve``) either inside Flower's simulation engine or, when the deployed
ServerApp called ``execute``, directly on the deployment's grid. ``serve`` writes rounds.csv
and ``checkpoints/last.pt`` after every round, the pictures and the metrics at the end.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import math
import time
from pathlib import Path
from typing import Any

import torch

from wgan_core.checkpoint import load_checkpoint, load_weights, save_checkpoint
from wgan_core.errors import CheckpointError, ConfigError, DataError
from wgan_core.groups import GroupedSamples
from wgan_core.plots import pyplot, save_figure
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run
from wgan_core.units import Normalization, checkpoint_normalization, in_data_units

from . import app as apps
from .config import FederatedConfig
from .data import ClientSplit, build_split, data_scale
from .metrics import W1_SAMPLES, LabelAssigner, coverage, w1
from .metrics import METRICS_SCHEMA
from .models import build_models, flatten_parts, split_parts

ROUNDS_FILE = "rounds.csv"
CHECKPOINT_FORMAT = 1
#: Generated points per round for rounds.csv (the final evaluation uses n_eval).
ROUND_EVAL = 1000


def require_ray() -> None:
    """Flower's run_simulation calls sys.exit and os._exit without Ray: check first."""
    try:
        spec = importlib.util.find_spec("ray")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ConfigError("Flower's simulation engine needs Ray, which is not installed "
                          "(pip install 'flwr[simulation]'); or deploy on a SuperLink "
                          "(plugins/federated/README.md)")


# ---------------------------------------------------------------------- files

def _read_rounds(path: Path, upto: int) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [r for r in csv.DictReader(fh) if int(r["round"]) <= upto]


def _write_rounds(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0]) if rows else ["round"]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else
                                 "" if v is None else v) for k, v in row.items()})


def _generate(generator: torch.nn.Module, n: int, scale: float, seed: int) -> torch.Tensor:
    with torch.no_grad():
        z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
        return generator(z).cpu() / scale


# ---------------------------------------------------------------------- the server loop

def serve(grid: Any, config: FederatedConfig, context: RunContext,
          split: ClientSplit) -> RunResult:
    """The ServerApp's work: rounds of the strategy on ``grid``; the run folder."""
    from flwr.app import ArrayRecord, ConfigRecord, MetricRecord

    run_dir = context.run_dir
    scale = data_scale(split)
    parts_sent = apps.averaged_parts(config)
    torch.manual_seed(config.seed)
    generator, _ = build_models(config, split.dim)
    critic = apps.prepared_critic(config, split.dim, scale)
    start_round, elapsed_before = 0, 0.0
    ckpt_path = context.checkpoint_dir / "last.pt"
    rows: list[dict[str, Any]] = []
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
        rows = [dict(r) for r in _read_rounds(run_dir / ROUNDS_FILE, start_round)]
        if config.algorithm == "private-critics" and start_round < config.rounds:
            context.echo("resuming: each client starts a new private critic (the old ones "
                         "lived on the clients only)")
    state = {"generator": generator.state_dict(), "critic": critic.state_dict()}
    flat = flatten_parts({p: state[p] for p in parts_sent})
    expected = {k: tuple(v.shape) for k, v in flat.items()}
    assigner = LabelAssigner(split)
    current = {"arrays": flat}
    started = time.perf_counter()

    def lr_factor(round_: int) -> float:
        if config.lr_schedule == "constant":
            return 1.0
        return max(0.0, 1.0 - (round_ - 1) / config.rounds)

    strategy = apps.make_strategy(config, split.n_clients, expected, context.echo,
                                  round_offset=start_round)

    def round_config(round_: int) -> dict[str, float]:
        return {"lr-g": config.lr_g * lr_factor(round_), "lr-c": config.lr_c * lr_factor(round_)}

    strategy.round_config = round_config

    def evaluate_fn(server_round: int, arrays: Any) -> Any:
        if server_round == 0:
            return None
        r = start_round + server_round
        weights = arrays.to_torch_state_dict()
        current["arrays"] = weights
        load_weights(generator, split_parts(weights)["generator"])
        fake = _generate(generator, ROUND_EVAL, scale, config.seed + r)
        cov = coverage(fake, split, assigner)
        stats = strategy.stats
        row: dict[str, Any] = {
            "round": r, "replied": len(stats.replied),
            "clients_replied": " ".join(str(c) for c in sorted(stats.replied)),
            "failures": stats.failures, "rejected": stats.rejected,
            "modes_covered": cov["modes_covered"],
            "minority_modes_covered": cov["minority_modes_covered"],
            "high_quality_fraction": cov["high_quality_fraction"],
            "w1_exact": w1(fake, split.points, n=500, seed=r),
            "bytes_down": stats.bytes_down, "bytes_up": stats.bytes_up,
            "seconds": round(time.perf_counter() - stats.started, 3),
        }
        for c, share in enumerate(cov["client_coverage"]):
            row[f"client_{c}_coverage"] = share
        rows.append(row)
        _write_rounds(run_dir / ROUNDS_FILE, rows)
        save_checkpoint(_checkpoint(config, r, weights, scale, split.dim,
                                    elapsed_before + time.perf_counter() - started), ckpt_path)
        if context.progress:
            context.echo(f"round {r}/{config.rounds}: {len(stats.replied)} replied, "
                         f"{stats.failures} failed, {stats.rejected} rejected; modes "
                         f"{cov['modes_covered']}/{cov['modes_total']}, W1 {row['w1_exact']:.3f}")
        return MetricRecord({"round": r})

    remaining = config.rounds - start_round
    if remaining > 0:
        strategy.start(grid, ArrayRecord(flat), num_rounds=remaining,
                       timeout=config.round_timeout,
                       train_config=ConfigRecord({"scale": scale}), evaluate_fn=evaluate_fn)
    elif not ckpt_path.exists():  # pragma: no cover - rounds >= 1 by validation
        raise ConfigError("nothing to train")
    wall = elapsed_before + time.perf_counter() - started
    load_weights(generator, split_parts(current["arrays"])["generator"])
    return _finish(config, context, split, generator, scale, assigner, rows, wall)


def _checkpoint(config: FederatedConfig, round_: int, flat: dict[str, torch.Tensor],
                scale: float, dim: int, elapsed: float) -> dict[str, Any]:
    parts = split_parts(flat)
    return {"format": CHECKPOINT_FORMAT, "round": round_, "algorithm": config.algorithm,
            "generator": parts["generator"], "critic": parts.get("critic", {}),
            "scale": scale, "dim": dim, "elapsed": elapsed,
            # The core's data-units seam: wgan.load hands the generator out in data units.
            "normalization": Normalization.scaled(1.0 / scale, dim).state_dict()}


def _finish(config: FederatedConfig, context: RunContext, split: ClientSplit,
            generator: torch.nn.Module, scale: float, assigner: LabelAssigner,
            rows: list[dict[str, Any]], wall: float) -> RunResult:
    """The final evaluation of the global generator, the pictures and the metrics."""
    fake = _generate(generator, config.n_eval, scale, config.seed + 1)
    cov = coverage(fake, split, assigner)
    metrics: dict[str, Any] = {k: cov[k] for k in (
        "modes_covered", "modes_total", "high_quality_fraction", "minority_modes_covered",
        "minority_modes_total")}
    metrics["w1_exact"] = w1(fake, split.points, n=W1_SAMPLES, seed=config.seed)
    clients = []
    for c in range(split.n_clients):
        own = split.client_points(c)
        clients.append({
            "client": c, "samples": len(own), "share": split.shares[c],
            "modes_held": split.held_labels(c),
            "modes_covered_share": cov["client_coverage"][c],
            "w1_exact": w1(fake, own, n=W1_SAMPLES, seed=config.seed + c),
        })
    metrics["clients"] = clients
    metrics["majority_client"] = split.majority
    down = [float(r["bytes_down"]) for r in rows] or [0.0]
    up = [float(r["bytes_up"]) for r in rows] or [0.0]
    metrics.update({
        "rounds": int(rows[-1]["round"]) if rows else 0,
        "wall_seconds": round(wall, 2),
        "bytes_sent_per_round": {"server_to_clients": sum(down) / len(down),
                                 "clients_to_server": sum(up) / len(up)},
        "failures": sum(int(float(r["failures"])) for r in rows),
        "rejected": sum(int(float(r["rejected"])) for r in rows),
        "algorithm": config.algorithm, "weighting": config.weighting,
        "aggregator": config.aggregator, "partition": config.partition,
        "dataset": split.name, "n_clients": split.n_clients,
        "local_steps": config.local_steps,
        "label_assignment": assigner.how,
    })
    artifacts = [_plot_samples(fake, split, context.run_dir / "samples.png", config),
                 _plot_clients(rows, split, context.run_dir / "clients.png")]
    return RunResult(metrics=metrics, artifacts=[a for a in artifacts if a is not None])


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
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    rounds = [int(float(r["round"])) for r in rows]
    for c in range(split.n_clients):
        values = [float(r[f"client_{c}_coverage"]) if r.get(f"client_{c}_coverage") not in
                  (None, "") else math.nan for r in rows]
        ax.plot(rounds, values, marker=".",
                label=f"client {c}" + (" (majority)" if c == split.majority else ""))
    ax.set_xlabel("round")
    ax.set_ylabel("share of the client's modes covered")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("each client's modes covered by the global generator")
    return save_figure(fig, out, dpi=110)


# ---------------------------------------------------------------------- run

def _completed_rounds(context: RunContext) -> int:
    path = context.checkpoint_dir / "last.pt"
    return int(load_checkpoint(path).get("round", 0)) if path.exists() else 0


def run(config: FederatedConfig, context: RunContext) -> RunResult:
    """Simulate the federation with Flower's engine (Ray), or serve a deployed one."""
    apps.set_flower_env()
    split = build_split(config)  # bad data fails here, before Flower starts
    logging.getLogger("flwr").setLevel(logging.WARNING)  # our own line per round instead
    if apps.DEPLOYED_GRID:
        return serve(apps.DEPLOYED_GRID[-1], config, context, split)
    if _completed_rounds(context) >= config.rounds:
        # A resumed run that has all its rounds only re-evaluates: no federation needed.
        return serve(None, config, context, split)
    require_ray()
    from flwr.simulation import run_simulation

    holder: dict[str, RunResult] = {}

    def main(grid: Any, flower_context: Any) -> None:
        holder["result"] = serve(grid, config, context, split)

    backend_config = {"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                      "init_args": {"num_cpus": config.ray_cpus, "num_gpus": 0}}
    run_simulation(apps.make_server_app(main), apps.make_client_app(config),
                   num_supernodes=split.n_clients, backend_config=backend_config)
    if "result" not in holder:
        raise DataError("the Flower simulation ended without a result (see its log above)")
    return holder["result"]


# ---------------------------------------------------------------------- inference

def load_generator(run_dir: Path, config: FederatedConfig, checkpoint: dict[str, Any]
                   ) -> torch.nn.Module:
    """The run's global generator in the networks' units (data x scale); ``wgan.load`` hands
    it out in data units (the checkpoint's normalization)."""
    norm = checkpoint_normalization(checkpoint)
    if norm is None:
        raise CheckpointError(f"{run_dir}: the checkpoint holds no data normalization")
    generator, _ = build_models(config, norm.dim)
    return load_weights(generator, checkpoint["generator"]).eval()


def global_generator(run_dir: Path) -> torch.nn.Module:
    """The run's global generator, drawing points in data units (sample and audit)."""
    config, checkpoint = load_run(run_dir, PLUGIN)
    return in_data_units(load_generator(run_dir, config, checkpoint), checkpoint)


def sample(run_dir: Path, n: int, output: Path, seed: int, device: torch.device) -> list[Path]:
    """n points from the global generator, as CSV (or a PNG: a scatter, or a digit grid)."""
    generator = global_generator(run_dir)
    with torch.no_grad():
        points = generator.sample(n, generator=torch.Generator().manual_seed(seed)).cpu()
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".png":
        plt = pyplot()
        if points.shape[1] == 2:
            fig, ax = plt.subplots(figsize=(5, 5))
            ax.scatter(points[:, 0], points[:, 1], s=3)
            ax.set_aspect("equal")
            return [save_figure(fig, output, dpi=110)]
        side = int(round(math.sqrt(points.shape[1])))
        cols = min(10, n)
        fig, axes = plt.subplots((n + cols - 1) // cols, cols, squeeze=False,
                                 figsize=(cols, (n + cols - 1) // cols))
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < n:
                ax.imshow(points[i].reshape(side, side).clamp(0, 1).numpy(), cmap="gray_r")
        return [save_figure(fig, output, dpi=90)]
    if output.suffix.lower() not in (".csv", ".txt"):
        raise DataError(f"{output}: use a .csv (or .txt) or .png output")
    with open(output, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f"x{i}" for i in range(points.shape[1])])
        writer.writerows([[f"{v:.6g}" for v in row] for row in points.tolist()])
    return [output]


def audit(run_dir: Path, n: int, seed: int, device: torch.device) -> GroupedSamples:
    """Clients as groups: each generated point goes to the client holding its mode (nearest
    mode, or the digit classifier's class; for unlabelled data the nearest real point's)."""
    config, _ = load_run(run_dir, PLUGIN)
    split = build_split(config)
    generator = global_generator(run_dir)
    with torch.no_grad():
        fake = generator.sample(n, generator=torch.Generator().manual_seed(seed)).cpu()
    assigner = LabelAssigner(split)
    names = [f"client {c}" + (" (majority)" if c == split.majority else "")
             for c in range(split.n_clients)]
    target = torch.tensor(split.shares)
    if assigner.available:
        holder = torch.tensor(split.label_holder())
        label, _ = assigner(fake)
        fake_groups = holder[torch.as_tensor(label)]
        return GroupedSamples(real=split.points, real_groups=split.owner, fake=fake,
                              fake_groups=fake_groups, group_names=names,
                              assignment=f"client holding the {assigner.how}", target=target,
                              modes=split.modes, mode_groups=holder if split.modes is not None
                              else None, mode_std=split.std)
    nearest = torch.cdist(fake, split.points).argmin(dim=1)
    return GroupedSamples(real=split.points, real_groups=split.owner, fake=fake,
                          fake_groups=split.owner[nearest], group_names=names,
                          assignment=assigner.how, target=target)


PLUGIN = Plugin(
    name="federated",
    summary="Federated WGAN on Flower (simulation or SuperLink): non-IID clients, "
            "reweighting, private critics, robust aggregation.",
    config_class=FederatedConfig,
    run=run,
    sample=sample,
    load_generator=load_generator,
    audit=audit,
    smoke_overrides={"clients": 3, "rounds": 2, "local_steps": 2, "batch_size": 32,
                     "hidden": 16, "samples": 300, "n_eval": 200, "n_critic": 2},
    metrics_schema=METRICS_SCHEMA,
)

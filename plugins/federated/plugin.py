"""``wgan run federated``: federated WGAN training on Flower, simulated (Ray) or deployed.

``run`` builds the client split (errors surface here, before Flower starts), then runs the
server loop (``server.serve``) inside Flower's simulation engine with the ClientApp of
``client.py``. A deployed run goes through ``app.py``: its ServerApp calls
``wgan_core.runs.execute`` with this plugin, its ``run`` replaced by one that serves the
deployment's grid, so both write the same run folder.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import math
import os
from pathlib import Path
from typing import Any

import torch

from wgan_core.checkpoint import load_checkpoint, load_weights
from wgan_core.errors import CheckpointError, ConfigError, DataError
from wgan_core.groups import GroupedSamples
from wgan_core.plots import pyplot, save_figure
from wgan_core.plugin import Plugin, RunContext, RunResult
from wgan_core.runs import load_run
from wgan_core.units import checkpoint_normalization, in_data_units

from .commands import commands
from .config import FederatedConfig
from .data import build_split
from .metrics import METRICS_SCHEMA, LabelAssigner
from .models import ClientConditionedGenerator, build_models, mixture_weights

#: Flower's own configuration for every process the plugin starts (no network calls).
FLOWER_ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1"}


def set_flower_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Flower's telemetry and update check off, in ``env`` (default: this process)."""
    target = os.environ if env is None else env
    for key, value in FLOWER_ENV.items():
        target.setdefault(key, value)
    return dict(target)


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


# ---------------------------------------------------------------------- run

def _completed_rounds(context: RunContext) -> int:
    path = context.checkpoint_dir / "last.pt"
    return int(load_checkpoint(path).get("round", 0)) if path.exists() else 0


def run(config: FederatedConfig, context: RunContext) -> RunResult:
    """Simulate the federation with Flower's engine (Ray) and write the run folder."""
    from .server import serve

    set_flower_env()
    split = build_split(config)  # bad data fails here, before Flower starts
    logging.getLogger("flwr").setLevel(logging.WARNING)  # our own line per round instead
    if _completed_rounds(context) >= config.rounds:
        # A resumed run that has all its rounds only re-evaluates: no federation needed.
        return serve(None, config, context, split)
    require_ray()
    from flwr.simulation import run_simulation

    from .client import make_client_app
    from .server import make_server_app

    holder: dict[str, RunResult] = {}

    def main(grid: Any, flower_context: Any) -> None:
        if hasattr(grid, "pull_interval"):
            # The simulation's in-memory grid polls for replies every 0.1 s by default; a
            # round of tiny clients takes less, so that wait would be most of a round.
            grid.pull_interval = 0.005
        holder["result"] = serve(grid, config, context, split)

    cpus = config.ray_cpus or os.cpu_count() or 1
    backend_config = {"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                      "init_args": {"num_cpus": cpus, "num_gpus": 0}}
    run_simulation(make_server_app(main), make_client_app(config),
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
    mixture = checkpoint.get("client_mixture")
    if config.client_conditioned and mixture is None:
        raise CheckpointError(f"{run_dir}: a client-conditioned run's checkpoint without its "
                              f"client mixture")
    generator, _ = build_models(config, norm.dim, len(mixture) if mixture is not None else 1)
    if isinstance(generator, ClientConditionedGenerator):
        generator.set_mixture(mixture)
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
    # The aggregate aims at the mixture of the clients' data weighted as it averages them:
    # its share of client i's data is client i's aggregation weight, normalized.
    target = mixture_weights(split.sizes, config.weighting).double()
    source = {"samples": "client sample shares (--weighting samples: FedAvg's n_i)",
              "uniform": "uniform over clients (--weighting uniform: client-balanced)",
              "sqrt": "sqrt(n_i) over clients (--weighting sqrt)"}[config.weighting]
    if assigner.available:
        holder = torch.tensor(split.label_holder())
        label, _ = assigner(fake)
        fake_groups = holder[torch.as_tensor(label)]
        return GroupedSamples(real=split.points, real_groups=split.owner, fake=fake,
                              fake_groups=fake_groups, group_names=names,
                              assignment=f"client holding the {assigner.how}", target=target,
                              target_source=source,
                              modes=split.modes, mode_groups=holder if split.modes is not None
                              else None, mode_std=split.std)
    nearest = torch.cdist(fake, split.points).argmin(dim=1)
    return GroupedSamples(real=split.points, real_groups=split.owner, fake=fake,
                          fake_groups=split.owner[nearest], group_names=names,
                          assignment=assigner.how, target=target, target_source=source)


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
    commands=commands,
)

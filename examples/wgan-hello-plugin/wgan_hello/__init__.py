"""A complete third-party wgan plugin: learn a 1-D mixture of two Gaussians.

Installed with its own pyproject.toml, it registers the entry point
``hello = "wgan_hello:PLUGIN"`` in the group ``wgan.plugins``; then ``wgan plugins`` lists it
and ``wgan run hello --steps 300`` trains it. Everything else comes from wgan_core.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wgan_core import (Batch, MLPCritic, MLPGenerator, Plugin, RunContext, RunResult,
                       TrainConfig, Trainer, option, w1_exact)

from .metrics import METRICS_SCHEMA


@dataclass
class HelloConfig(TrainConfig):
    """Options of the plugin: the shared training options plus its own."""

    # Only the steps are set here: the rest of the recipe (one-sided penalty, Adam 1e-3 with a
    # linear decay, no EMA) is the core's default for low-dimensional data.
    steps: int = option(500, "Generator steps to train for.")
    separation: float = option(4.0, "Distance between the two Gaussians' means.")


def sample_mixture(n: int, separation: float, generator: torch.Generator) -> torch.Tensor:
    """Half the points around -separation/2, half around +separation/2, unit variance."""
    sign = torch.randint(0, 2, (n, 1), generator=generator) * 2 - 1
    return sign * separation / 2 + torch.randn(n, 1, generator=generator)


def run(config: HelloConfig, context: RunContext) -> RunResult:
    """Train a WGAN on the mixture and report the exact W1 of its samples."""
    def data(n: int, g: torch.Generator) -> Batch:
        return Batch(real=sample_mixture(n, config.separation, g))

    trainer = Trainer(MLPGenerator(1, 1, hidden=64), MLPCritic(1, hidden=64), data, config,
                      run_dir=context.run_dir, callbacks=context.callbacks("hello"),
                      device=context.device, strategy=context.strategy)
    trainer.fit()
    if not context.is_main:  # under torchrun: rank 0 alone evaluates and writes
        return RunResult(metrics={})
    rng = torch.Generator().manual_seed(config.seed + 1)
    fake = trainer.sampling_generator.sample(1000, generator=rng).cpu()
    real = sample_mixture(1000, config.separation, rng)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(real[:, 0].numpy(), bins=60, alpha=0.5, label="real")
    ax.hist(fake[:, 0].numpy(), bins=60, alpha=0.5, label="generated")
    ax.legend()
    picture = context.run_dir / "histogram.png"
    fig.savefig(picture, dpi=100)
    plt.close(fig)
    # A collapsed generator can have a fair W1 yet miss a mode: count the points near each.
    means = torch.tensor([[-config.separation / 2], [config.separation / 2]])
    dist, nearest = torch.cdist(fake, means).min(dim=1)
    near = torch.bincount(nearest[dist <= 2.0], minlength=2).float() / len(fake)
    return RunResult(metrics={"w1_exact": w1_exact(real, fake), "steps": trainer.step,
                              "share_near_left": float(near[0]),
                              "share_near_right": float(near[1]),
                              # a mode is found with at least half its share (0.5) near it
                              "modes_found": int((near >= 0.25).sum())},
                     artifacts=[picture])


PLUGIN = Plugin(name="hello", summary="Example third-party plugin: a 1-D Gaussian mixture.",
                config_class=HelloConfig, run=run,
                smoke_overrides={"steps": 3, "batch_size": 32, "log_every": 1},
                metrics_schema=METRICS_SCHEMA)

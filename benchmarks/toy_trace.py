"""Trace one toy training run (not a test): PacGAN mode coverage every k steps, with optional
variations the config does not offer. The README's raw-sample list under "Tried under the
two-sided penalty" comes from it (those runs add ``"constraint": "gp"``, the default then).

    OMP_NUM_THREADS=1 python benchmarks/toy_trace.py '{"steps": 6000}' --every 1000
    ... '{"steps": 3000}' --generator-betas 0.5 0.9      # momentum for G only
    ... '{"steps": 3000}' --generator-hidden 512         # a wider generator than critic
    ... '{"steps": 3000}' --constant-critic-lr           # decay only G's learning rate

The first argument is a JSON dict of ``ToyConfig`` options. Evaluation samples 2500 points
with a fixed seed (1), so numbers differ slightly from ``wgan run toy``'s metrics.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from wgan_core.callbacks import Callback
from wgan_core.config import build_config
from wgan_core.metrics import mode_coverage
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer
from wgan_plugins.toy.config import ToyConfig
from wgan_plugins.toy.data import ScaledSource, builtin
from wgan_plugins.toy.models import build_models
from wgan_plugins.toy.plugin import data_scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("options", nargs="?", default="{}", help="JSON dict of ToyConfig options")
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--generator-betas", type=float, nargs=2, default=None)
    parser.add_argument("--generator-hidden", type=int, default=None)
    parser.add_argument("--constant-critic-lr", action="store_true")
    args = parser.parse_args()
    config = build_config(ToyConfig, json.loads(args.options))
    data = builtin(config.dataset)
    scale = data_scale(data, config.normalize)
    assert data.modes is not None, "trace a mixture (ring8 or grid25)"

    class Trace(Callback):
        def on_step_end(self, trainer: Trainer, step: int, stats: dict[str, float]) -> None:
            if step % args.every and step != config.steps:
                return
            fake = trainer.sampling_generator.eval().sample(
                2500, generator=torch.Generator().manual_seed(1)) / scale
            trainer.generator.train()
            dist = torch.cdist(fake, data.modes).min(dim=1).values / data.std
            within = " ".join(f"{float((dist < k).float().mean()):.3f}" for k in (3, 6, 12, 24))
            m = mode_coverage(fake, data.modes, data.std)
            print(f"step {step}: modes {m['modes_covered']} / {m['modes_total']}, high quality "
                  f"{100 * m['high_quality_fraction']:.1f} %, reverse KL {m['reverse_kl']:.3f}; "
                  f"within 3/6/12/24 sigma {within}; {trainer.elapsed_seconds:.0f} s", flush=True)

    torch.manual_seed(config.seed)
    generator, critic = build_models(config, data.dim)
    if args.generator_hidden:
        generator, _ = build_models(replace(config, hidden=args.generator_hidden), data.dim)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, critic, ScaledSource(data, scale), config,
                          space=EuclideanSpace(scale=scale), run_dir=Path(tmp),
                          callbacks=[Trace()])
        if args.generator_betas:
            trainer.opt_g.param_groups[0]["betas"] = tuple(args.generator_betas)
        if args.constant_critic_lr:
            assert trainer.opt_c is not None
            trainer.sched_c = torch.optim.lr_scheduler.LambdaLR(trainer.opt_c, lambda s: 1.0)
        start = time.perf_counter()
        trainer.fit()
    print(f"{args.options} {vars(args)}: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

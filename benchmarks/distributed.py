"""Training throughput under torch.distributed: 1 process x 2 threads, 1 x 1, 2 x 1 (gloo).

    python benchmarks/distributed.py [--steps 20] [--which toy superres]

For the superres adversarial step and the toy's step (the default configs), samples per
second of the core Trainer in one process with 2 and with 1 thread, and in two processes of
one thread each (``wgan_core.distributed.TorchDistributed`` on gloo, started as torchrun
starts them), all in one run; the parallel efficiency is 2 x 1 against 1 x 1. A sample is one
real sample through one critic or generator step. On a CUDA machine, ``--cuda`` runs the
same on NCCL (one GPU per process). Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.multiprocessing as mp

from wgan_core.config import TrainConfig
from wgan_core.distributed import Strategy, TorchDistributed
from wgan_core.spaces import EuclideanSpace
from wgan_core.trainer import Trainer


def make_trainer(which: str, strategy: Strategy, device: str) -> tuple[Trainer, TrainConfig]:
    if which == "superres":
        from wgan_plugins.superres.config import SuperResConfig
        from wgan_plugins.superres.data import PatchSource, default_photos
        from wgan_plugins.superres.models import SRCritic
        from wgan_plugins.superres.plugin import l1_loss, make_generator

        config = replace(SuperResConfig(), device=device)
        train, _ = default_photos()
        torch.manual_seed(0)
        trainer = Trainer(make_generator(config), SRCritic(config.critic_channels, config.scale),
                          PatchSource(train, config.patch_size, config.scale), config,
                          extra_loss=l1_loss, adversarial_weight=config.adv_weight,
                          strategy=strategy)
        return trainer, config
    from wgan_plugins.toy.config import ToyConfig
    from wgan_plugins.toy.data import ScaledSource, builtin
    from wgan_plugins.toy.models import build_models

    config = replace(ToyConfig(), device=device)
    data = builtin(config.dataset)
    torch.manual_seed(0)
    generator, critic = build_models(config, data.dim)
    scale = 1 / float(data.sample(20000, torch.Generator().manual_seed(1)).std())
    trainer = Trainer(generator, critic, ScaledSource(data, scale), config,
                      space=EuclideanSpace(scale=scale), strategy=strategy)
    return trainer, config


def samples_per_second(which: str, steps: int, strategy: Strategy, device: str) -> float:
    trainer, config = make_trainer(which, strategy, device)
    trainer.train_steps(2)  # warm-up
    strategy.barrier()
    start = time.perf_counter()
    trainer.train_steps(steps)
    strategy.barrier()
    seconds = time.perf_counter() - start
    return steps * config.batch_size * (config.n_critic + 1) / seconds


def worker(rank: int, port: int, which: str, steps: int, device: str, out: str) -> None:
    torch.set_num_threads(1)
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    strategy = TorchDistributed(device)
    rate = samples_per_second(which, steps, strategy, device)
    if rank == 0:
        Path(out).write_text(str(rate))
    torch.distributed.destroy_process_group()


def two_processes(which: str, steps: int, device: str) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = Path(f"/tmp/wgan-distributed-{os.getpid()}.txt")
    mp.spawn(worker, args=(port, which, steps, device, str(out)), nprocs=2, join=True)
    rate = float(out.read_text())
    out.unlink()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--which", nargs="+", default=["toy", "superres"])
    parser.add_argument("--cuda", action="store_true", help="NCCL, one GPU per process")
    args = parser.parse_args()
    device = "cuda" if args.cuda else "cpu"
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {args.steps} generator steps "
          f"per measurement, device {device}")
    print("\n| job | 1 x 2 threads | 1 x 1 thread | 2 processes x 1 | 2 x 1 vs 1 x 1 |")
    print("|---|---:|---:|---:|---:|")
    for which in args.which:
        rows: dict[str, Any] = {}
        for threads in (2, 1):
            torch.set_num_threads(threads)
            rows[threads] = samples_per_second(which, args.steps, Strategy(), device)
        rows["2x1"] = two_processes(which, args.steps, device)
        print(f"| {which} | {rows[2]:.0f} | {rows[1]:.0f} | {rows['2x1']:.0f} | "
              f"{rows['2x1'] / rows[1]:.2f}x |", flush=True)
    print("\nsamples / second (one real sample through one critic or generator step)")


if __name__ == "__main__":
    main()

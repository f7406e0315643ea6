"""The core's shared training defaults (``TrainConfig``) against the old ones, on the
low-dimensional mixtures a newcomer's first plugin learns. Prints a table; not a test.

    OMP_NUM_THREADS=1 python benchmarks/defaults.py [--seeds 0 1 2] [--steps 2000]

Each run is what a plugin that sets nothing but its data gets: ``MLPGenerator(dim, dim,
hidden=64)`` against ``MLPCritic(dim, hidden=64)``, ``TrainConfig(steps=...)`` with the
defaults of the recipe (old: the two-sided penalty, Adam 1e-4, constant rate, EMA 0.999; new:
whatever ``TrainConfig`` holds now). Evaluation: exact W1 between 2000 generated and 2000 real
points, and the modes found (a mode is found when at least 40 % of its share of the generated
points lie within 2 standard deviations of it, nearest mode first).
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from wgan_core import Batch, MLPCritic, MLPGenerator, TrainConfig, Trainer, w1_exact

#: The shared defaults before this benchmark was written (kept here to compare against).
OLD = {"constraint": "gp", "lr_g": 1e-4, "lr_c": 1e-4, "lr_schedule": "constant",
       "ema_decay": 0.999, "batch_size": 256, "n_critic": 5}


def _ring(k: int, radius: float) -> list[list[float]]:
    return [[radius * math.cos(2 * math.pi * i / k), radius * math.sin(2 * math.pi * i / k)]
            for i in range(k)]


#: name -> (mode centres, standard deviation of each Gaussian); equal weights.
MIXTURES: dict[str, tuple[list[list[float]], float]] = {
    "1-D, 2 modes (hello)": ([[-2.0], [2.0]], 1.0),
    "1-D, 3 modes": ([[-4.0], [0.0], [4.0]], 0.5),
    "2-D, ring of 8": (_ring(8, 2.0), 0.05),
    "2-D, 3x3 grid": ([[x, y] for x in (-2.0, 0.0, 2.0) for y in (-2.0, 0.0, 2.0)], 0.1),
}


def draw(modes: torch.Tensor, std: float, n: int, g: torch.Generator) -> torch.Tensor:
    """n points of the equal-weight mixture."""
    pick = torch.randint(0, len(modes), (n,), generator=g)
    return modes[pick] + std * torch.randn(n, modes.shape[1], generator=g)


def modes_found(fake: torch.Tensor, modes: torch.Tensor, std: float) -> int:
    """Modes holding at least 40 % of their fair share of points within 2 std."""
    d = torch.cdist(fake, modes)
    dist, nearest = d.min(dim=1)
    near = nearest[dist <= 2 * std]
    shares = torch.bincount(near, minlength=len(modes)).float() / len(fake)
    return int((shares >= 0.4 / len(modes)).sum())


def one_run(name: str, recipe: dict, seed: int, steps: int) -> tuple[float, int, float]:
    """W1, modes found and seconds of one training run."""
    centres, std = MIXTURES[name]
    modes = torch.tensor(centres)
    dim = modes.shape[1]

    def data(n: int, g: torch.Generator) -> Batch:
        return Batch(real=draw(modes, std, n, g))

    config = TrainConfig(**{**recipe, "steps": steps, "seed": seed, "device": "cpu",
                            "log_every": 10**9, "checkpoint_every": 10**9})
    torch.manual_seed(seed)
    trainer = Trainer(MLPGenerator(dim, dim, hidden=64), MLPCritic(dim, hidden=64), data, config)
    started = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - started
    g = torch.Generator().manual_seed(10_000 + seed)
    with torch.no_grad():
        fake = trainer.sampling_generator.sample(2000, generator=g).cpu()
    real = draw(modes, std, 2000, g)
    return w1_exact(real, fake), modes_found(fake, modes, std), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=TrainConfig().steps)
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES))
    args = parser.parse_args()
    new = {k: getattr(TrainConfig(), k) for k in OLD}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps, "
          f"MLP 3x64, seeds {' '.join(map(str, args.seeds))}")
    for label, recipe in (("old", OLD), ("new", new)):
        print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in recipe.items()))
    print()
    print("| mixture | defaults | W1 per seed | modes found per seed | s / run |")
    print("|---|---|---|---|---:|")
    for name in args.mixtures:
        total = len(MIXTURES[name][0])
        for label, recipe in (("old", OLD), ("new", new)):
            runs = [one_run(name, recipe, s, args.steps) for s in args.seeds]
            w1 = " ".join(f"{r[0]:.2f}" for r in runs)
            found = " ".join(f"{r[1]}/{total}" for r in runs)
            secs = sum(r[2] for r in runs) / len(runs)
            print(f"| {name} | {label} | {w1} | {found} | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()

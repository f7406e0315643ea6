"""Toy quality: ring8 and grid25 over seeds with the default settings — modes covered, high
quality %, reverse KL, exact W1 (and its two-real-samples floor), k-NN recall, wall time, for
the raw generator samples and for the DOT-refined ones (``dot_`` metrics). Prints tables.

    python benchmarks/toy_quality.py [--seeds 0 1 2] [--datasets ring8 grid25] [-- extra flags]

Each run is a real `wgan run toy` (the default configuration) in a temporary folder; extra
flags after `--` go to every run (e.g. `-- --ema-decay 0` to compare).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# As quoted in the project's foundation issue (PacGAN, Lin et al. 2018, 2-D grid).
PACGAN = {"grid25": "GAN 17.3 / 25 at 94.8 %; PacGAN4 24.8 / 25 at 93.6 %"}
#: Which samples a row describes, and the prefix of their keys in metrics.json.
KINDS = [("raw", ""), ("DOT", "dot_")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=["ring8", "grid25"])
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    # Outcomes depend on the thread count (float rounding changes the trajectory): say it.
    threads = os.environ.get("OMP_NUM_THREADS", "torch default")
    print(f"wgan run toy (defaults){' ' + ' '.join(extra) if extra else ''}; "
          f"seeds {args.seeds}; OMP_NUM_THREADS={threads}")
    print()
    print("| dataset | seed | samples | modes | high quality % | reverse KL | W1 exact | "
          "W1 floor | recall | wall s |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for dataset in args.datasets:
        rows = []
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run"
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "wgan_cli", "run", "toy", "--dataset",
                                dataset, "--seed", str(seed), "--out", str(out), "--quiet",
                                *extra], check=True, stdout=subprocess.DEVNULL)
                wall = time.perf_counter() - start
                m = json.loads((out / "metrics.json").read_text())
            rows.append((m, wall))
            for kind, p in KINDS:
                if p + "modes_covered" not in m:
                    continue
                print(f"| {dataset} | {seed} | {kind} | {m[p + 'modes_covered']} / "
                      f"{m['modes_total']} | {100 * m[p + 'high_quality_fraction']:.1f} | "
                      f"{m[p + 'reverse_kl']:.3f} | {m[p + 'w1_exact']:.3f} | "
                      f"{m['w1_floor']:.3f} | {m[p + 'recall']:.3f} | {wall:.0f} |", flush=True)
        summary[dataset] = rows
    print()
    print("| dataset | samples | mean modes | mean HQ % | mean reverse KL | mean wall s | "
          "PacGAN (reported) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for dataset, rows in summary.items():
        ms = [r[0] for r in rows]
        for kind, p in KINDS:
            if not all(p + "modes_covered" in m for m in ms):
                continue
            print(f"| {dataset} | {kind} | "
                  f"{statistics.mean(m[p + 'modes_covered'] for m in ms):.1f} / "
                  f"{ms[0]['modes_total']} | "
                  f"{100 * statistics.mean(m[p + 'high_quality_fraction'] for m in ms):.1f} | "
                  f"{statistics.mean(m[p + 'reverse_kl'] for m in ms):.3f} | "
                  f"{statistics.mean(r[1] for r in rows):.0f} | {PACGAN.get(dataset, '')} |")


if __name__ == "__main__":
    main()

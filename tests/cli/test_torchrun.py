"""`torchrun -m wgan_cli run ...`: two real gloo processes, rank 0 alone writes, resume works."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

TINY = ["--steps", "4", "--batch-size", "32", "--hidden", "8", "--n-eval", "60",
        "--log-every", "1", "--checkpoint-every", "2", "--quiet", "--device", "cpu"]


def torchrun(*args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node", "2", "-m", "wgan_cli", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_two_processes_write_one_run_folder_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = torchrun("run", "toy", "--out", out, *TINY)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.count("done, results in") == 1  # rank 0 alone reports
    again = torchrun("run", "toy", "--resume", out, "--steps", "6", "--quiet")
    assert again.returncode == 0, again.stderr[-2000:]
    with open(out / "log.csv") as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh)]
    assert steps == [1, 2, 3, 4, 5, 6]  # every row once: one writer
    assert json.loads((out / "metrics.json").read_text())["steps"] == 6


def test_a_batch_that_does_not_divide_is_one_clear_error(tmp_path: Path) -> None:
    proc = torchrun("run", "toy", "--out", tmp_path / "odd", *TINY[:2], "--batch-size", "33",
                    "--quiet")
    assert proc.returncode != 0
    assert "a batch of 33 does not divide by the 2 processes" in proc.stderr
    assert not (tmp_path / "odd").exists()

"""The same ServerApp and ClientApp on Flower's deployment runtime: a real SuperLink and three
SuperNodes on free loopback ports, a run submitted with `flwr run`, one SuperNode killed
(SIGKILL) after round 2, the run completing every round and counting the failure, the run
folder checked, and every process this test started stopped by its pid (each in its own
session, so the Flower processes it spawned go with it)."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[3] / "plugins" / "federated" / "flower_app"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"process exited with {proc.returncode}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port}")


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the session this test started for it
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def completed_rounds(rounds_csv: Path) -> int:
    if not rounds_csv.exists():
        return 0
    return max(0, len(rounds_csv.read_text().splitlines()) - 1)


def test_three_supernodes_one_killed_after_round_two(tmp_path: Path) -> None:
    env = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
           "FLWR_HOME": str(tmp_path / "flwr"), "OMP_NUM_THREADS": "1",
           # the SuperLink starts flower-superexec by name: find it next to this Python even
           # when the virtual environment is not activated
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    link = free_port()
    (tmp_path / "flwr").mkdir()
    (tmp_path / "flwr" / "config.toml").write_text(
        f'[superlink]\ndefault = "test"\n\n[superlink.test]\naddress = "127.0.0.1:{link}"\n'
        f"insecure = true\n")
    procs: list[subprocess.Popen] = []

    def start(*args: str, log: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(BIN / args[0]), *args[1:]], env=env, cwd=tmp_path,
                                stdout=open(tmp_path / log, "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    out = tmp_path / "run"
    rounds = 5
    try:
        superlink = start("flower-superlink", "--insecure", "--host", "127.0.0.1", "--port",
                          str(link), "--disable-runtime-dependency-installation",
                          log="superlink.log")
        wait_for_port(link, superlink)
        nodes = [start("flower-supernode", "--insecure", "--superlink", f"127.0.0.1:{link}",
                       "--port", str(free_port()),
                       "--node-config", f"partition-id={i} num-partitions=3", log=f"node{i}.log")
                 for i in range(3)]
        overrides = (f'out="{out}" clients=3 rounds={rounds} local-steps=1 batch-size=16 '
                     f"hidden=8 depth=2 samples=150 n-eval=100 n-critic=1 eval-every=2 "
                     f"round-timeout=60 dot-steps=2")
        run = start("flwr", "run", str(APP), "test", "--stream", "-c", overrides, log="run.log")
        deadline = time.monotonic() + 180
        while completed_rounds(out / "rounds.csv") < 2 and time.monotonic() < deadline:
            assert run.poll() in (None, 0), (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        assert completed_rounds(out / "rounds.csv") >= 2, (tmp_path / "run.log").read_text()
        os.killpg(nodes[2].pid, signal.SIGKILL)  # the node and its ClientApp process
        nodes[2].wait()
        deadline = time.monotonic() + 360  # the ServerApp writes metrics.json as it ends
        while not (out / "metrics.json").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        metrics = json.loads((out / "metrics.json").read_text())
    finally:
        stop(procs)
    assert metrics["rounds"] == rounds and len(metrics["clients"]) == 3
    with open(out / "rounds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["round"]) for r in rows] == list(range(1, rounds + 1))
    assert [r["clients_replied"] for r in rows[:2]] == ["0 1 2", "0 1 2"]
    # After the kill no reply of client 2 is aggregated, every round still ends with the
    # other two, and the missing replies are counted as failures.
    assert all(r["clients_replied"] == "0 1" for r in rows[3:])
    assert metrics["failures"] >= 1 and metrics["failures"] == sum(int(r["failures"])
                                                                   for r in rows)
    assert rows[-1]["modes_covered"] != "" and rows[1]["modes_covered"] != ""
    for name in ("config.toml", "samples.png", "clients.png", "checkpoints/last.pt"):
        assert (out / name).exists(), name
    assert all(p.poll() is not None for p in procs)

"""The same ServerApp and ClientApp on Flower's deployment runtime: a real SuperLink and two
SuperNodes on free loopback ports, a run submitted with `flwr run`, the run folder checked,
and every process this test started stopped by its pid (each in its own session, so the
Flower processes it spawned go with it)."""

from __future__ import annotations

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


def test_two_supernodes_two_rounds_with_flwr_run(tmp_path: Path) -> None:
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
    try:
        superlink = start("flower-superlink", "--insecure", "--host", "127.0.0.1", "--port",
                          str(link), "--disable-runtime-dependency-installation",
                          log="superlink.log")
        wait_for_port(link, superlink)
        for i in range(2):
            start("flower-supernode", "--insecure", "--superlink", f"127.0.0.1:{link}",
                  "--port", str(free_port()),
                  "--node-config", f"partition-id={i} num-partitions=2", log=f"node{i}.log")
        overrides = (f'out="{out}" clients=2 rounds=2 local-steps=1 batch-size=16 hidden=8 '
                     f"depth=2 samples=100 n-eval=100 n-critic=1")
        done = subprocess.run([str(BIN / "flwr"), "run", str(APP), "test", "--stream",
                               "-c", overrides], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 60  # the ServerApp writes metrics.json as it ends
        while not (out / "metrics.json").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        metrics = json.loads((out / "metrics.json").read_text())
    finally:
        stop(procs)
    assert metrics["rounds"] == 2 and len(metrics["clients"]) == 2 and metrics["failures"] == 0
    rows = (out / "rounds.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[2].startswith("2,2,0 1,")
    for name in ("config.toml", "samples.png", "clients.png", "checkpoints/last.pt"):
        assert (out / name).exists(), name
    assert all(p.poll() is not None for p in procs)

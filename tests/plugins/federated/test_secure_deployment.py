"""A deployment that lets in only its own nodes, on real processes: a SuperLink with TLS and
SuperNode authentication (Flower 1.41: ``--enable-supernode-auth``, public keys registered
with ``flwr supernode register``), files made by ``wgan federated keys``.

One deployment serves the three process tests (it costs most of their time): two registered
SuperNodes complete a 2-round run while three others try to join and are refused, a node
whose key is not registered, a node with no key, and a registered node that trusts another CA
than the one that signed the SuperLink's certificate. Every process is stopped by its pid (its
own session, so the processes Flower spawned go with it)."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (load_ssh_private_key,
                                                          load_ssh_public_key)

from wgan_plugins.federated.keys import write_keys

from .test_deployment import APP, BIN, free_port, stop, wait_for_port

ROGUES = ("stranger", "keyless", "untrusting")


@dataclass
class Deployment:
    root: Path
    out: Path
    #: exit code of each process that ended on its own (None: it was still running)
    codes: dict[str, int | None]

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("secure")
    keys, other = root / "keys", root / "other"
    write_keys(keys, 3)   # node-2's key is registered but goes to the node with the wrong CA
    write_keys(other, 1)  # a second CA, and a key the SuperLink never heard of
    link = free_port()
    (root / "flwr").mkdir()
    (root / "flwr" / "config.toml").write_text(
        f'[superlink]\ndefault = "test"\n\n[superlink.test]\naddress = "127.0.0.1:{link}"\n'
        f'root-certificates = "{keys / "ca.crt"}"\n')
    env = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
           "FLWR_HOME": str(root / "flwr"), "OMP_NUM_THREADS": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    procs: dict[str, subprocess.Popen] = {}

    def start(name: str, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(BIN / args[0]), *args[1:]], env=env, cwd=root,
                                stdout=open(root / f"{name}.log", "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs[name] = proc
        return proc

    def supernode(name: str, ca: Path, key: Path | None, partition: int,
                  *extra: str) -> None:
        start(name, "flower-supernode", "--superlink", f"127.0.0.1:{link}",
              "--root-certificates", str(ca), "--port", str(free_port()),
              *(["--auth-supernode-private-key", str(key)] if key else []),
              "--node-config", f"partition-id={partition} num-partitions=2", *extra)

    out = root / "run"
    try:
        superlink = start("superlink", "flower-superlink", "--ssl-certfile",
                          str(keys / "server.crt"), "--ssl-keyfile", str(keys / "server.key"),
                          "--ssl-ca-certfile", str(keys / "ca.crt"), "--enable-supernode-auth",
                          "--host", "127.0.0.1", "--port", str(link),
                          "--disable-runtime-dependency-installation")
        wait_for_port(link, superlink)
        registering = [start(f"register{k}", "flwr", "supernode", "register",
                             str(keys / f"node-{k}.pub"), "test") for k in range(3)]
        for k, proc in enumerate(registering):
            assert proc.wait(timeout=120) == 0, (root / f"register{k}.log").read_text()
        for k in range(2):
            supernode(f"node{k}", keys / "ca.crt", keys / f"node-{k}.key", k)
        overrides = (f'out="{out}" clients=2 rounds=2 local-steps=1 batch-size=16 hidden=8 '
                     f"depth=2 samples=100 n-eval=100 n-critic=1 eval-every=2 "
                     f"round-timeout=60 dot-steps=2")
        run = start("run", "flwr", "run", str(APP), "test", "--stream", "-c", overrides)
        # They try while the run starts, each with one partition the run would train on.
        # `--isolation process`: no SuperExec of theirs (it would only wait for a ClientApp
        # to start), which spares the loaded machine three Python processes.
        supernode("stranger", keys / "ca.crt", other / "node-0.key", 0, "--isolation", "process")
        supernode("keyless", keys / "ca.crt", None, 1, "--isolation", "process")
        supernode("untrusting", other / "ca.crt", keys / "node-2.key", 1,
                  "--isolation", "process")
        deadline = time.monotonic() + 300
        while (run.poll() is None or any(procs[r].poll() is None for r in ROGUES)) \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        codes = {name: proc.poll() for name, proc in procs.items()}
    finally:
        stop(list(procs.values()))
    yield Deployment(root, out, codes)


def test_two_registered_supernodes_complete_a_run_over_tls(deployment: Deployment) -> None:
    assert deployment.codes["run"] == 0, deployment.log("run")
    metrics = json.loads((deployment.out / "metrics.json").read_text())
    assert metrics["rounds"] == 2 and len(metrics["clients"]) == 2
    with open(deployment.out / "rounds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["round"], r["clients_replied"], r["failures"]) for r in rows] == [
        ("1", "0 1", "0"), ("2", "0 1", "0")]
    for name in ("config.toml", "samples.png", "checkpoints/last.pt"):
        assert (deployment.out / name).exists(), name
    # the two registered nodes, and only they, were let in
    assert deployment.log("superlink").count("[Fleet.ActivateNode] Activated node_id=") == 2
    for k in range(2):
        assert "Received successfully" in deployment.log(f"node{k}")


def test_a_supernode_whose_key_is_not_registered_is_refused(deployment: Deployment) -> None:
    for rogue, code in (("stranger", "[code: 2004]"), ("keyless", "[code: 2001]")):
        log = deployment.log(rogue)
        assert deployment.codes[rogue] not in (None, 0), log  # it gave up on its own
        assert "Failed to initialize the connection to the SuperLink" in log and code in log
        assert "Receiving:" not in log
    link = deployment.log("superlink")
    # the stranger's key is unknown; a keyless node asks to register itself, which node
    # authentication forbids
    assert "[/v1/fleet/activate-node][ApiError:2004]" in link
    assert "No SuperNode found with the given public key" in link
    assert "[/v1/fleet/register-node][ApiError:2001]" in link


def test_a_supernode_that_does_not_trust_the_ca_cannot_connect(deployment: Deployment) -> None:
    log = deployment.log("untrusting")
    assert deployment.codes["untrusting"] not in (None, 0), log
    assert "CERTIFICATE_VERIFY_FAILED" in log and "Receiving:" not in log


def test_keys_writes_the_files_flower_reads_and_never_overwrites(wgan, tmp_path: Path) -> None:
    out = tmp_path / "keys"
    code, stdout, err = wgan("federated", "keys", out, "--nodes", "2",
                             "--host", "link.example.org", "--host", "10.1.2.3")
    assert code == 0, err
    names = {"ca.crt", "ca.key", "server.crt", "server.key", "node-0.key", "node-0.pub",
             "node-1.key", "node-1.pub"}
    assert {p.name for p in out.iterdir()} == names
    assert {Path(line).name for line in stdout.split()} == names
    ca = x509.load_pem_x509_certificate((out / "ca.crt").read_bytes())
    server = x509.load_pem_x509_certificate((out / "server.crt").read_bytes())
    server.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(map(str, sans.get_values_for_type(x509.IPAddress))) == {"127.0.0.1", "10.1.2.3"}
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "link.example.org"}
    for k in range(2):  # the formats flower-supernode and `flwr supernode register` load
        private = load_ssh_private_key((out / f"node-{k}.key").read_bytes(), None)
        public = load_ssh_public_key((out / f"node-{k}.pub").read_bytes())
        assert private.public_key() == public and public.curve.name == "secp384r1"
    for name in ("ca.key", "server.key", "node-0.key"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for args in ([out, "--nodes", "3"], [tmp_path / "none", "--nodes", "0"],
                 [tmp_path / "none", "--nodes", "1", "--host", "link:9093"]):
        code, _, err = wgan("federated", "keys", *args)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "already exists" in wgan("federated", "keys", out, "--nodes", "1")[2]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (tmp_path / "none").exists()

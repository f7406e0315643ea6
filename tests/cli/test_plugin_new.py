"""`wgan plugin new`: the package it writes installs as a plugin that trains, passes its own
conformance test, and bad input writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NAME = "mixdemo"

#: `wgan ARGS` in a fresh interpreter that sees the generated package and its entry point.
CLI = "import sys; from wgan_cli.main import main; main(sys.argv[1:])"


def make_visible(package_dir: Path, name: str) -> dict[str, str]:
    """The environment of a subprocess that finds plugin ``name`` as if pip had installed the
    package in ``package_dir``: a dist-info with its entry point beside the package, on
    PYTHONPATH (what an editable install registers, without pip or the network)."""
    info = package_dir / f"wgan_{name}-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: wgan-{name}\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(f"[wgan.plugins]\n{name} = wgan_{name}:PLUGIN\n")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(package_dir), env.get("PYTHONPATH", "")])
    return env


def test_new_plugin_trains_and_passes_its_own_conformance_test(wgan, tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    code, out, err = wgan("plugin", "new", NAME, target)
    assert code == 0, err
    assert f"wrote plugin '{NAME}'" in out
    for rel in ("pyproject.toml", "README.md", f"tests/test_{NAME}.py",
                *(f"wgan_{NAME}/{m}.py" for m in
                  ("__init__", "config", "data", "models", "metrics", "plugin"))):
        assert (target / rel).is_file(), rel
    pyproject = (target / "pyproject.toml").read_text()
    assert f'{NAME} = "wgan_{NAME}:PLUGIN"' in pyproject and '"wgan"' in pyproject
    env = make_visible(target, NAME)

    run = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", CLI, "run", NAME, "--out", str(run),
                           "--quiet", "--device", "cpu", "--steps", "40"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "(1 thread)" in proc.stdout.splitlines()[0]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps"] == 40 and metrics["modes_total"] == 2
    assert (run / "histogram.png").exists()

    # The generated test: wgan.testing.check_plugin on the installed plugin.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(target / "tests")],
                          capture_output=True, text=True, env=env, cwd=target, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout


@pytest.mark.parametrize("args, match", [
    (["toy"], "already registered"),
    (["2fast"], "must be a Python identifier"),
    (["my-plugin"], "must be a Python identifier"),
    (["fresh", "{full}"], "exists and is not empty"),
], ids=["registered", "digit-first", "dash", "dir-not-empty"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(wgan, tmp_path: Path, args: list[str],
                                                         match: str) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    cwd = os.getcwd()
    os.chdir(tmp_path)  # the default DIR (./wgan-NAME) would land here
    try:
        code, out, err = wgan("plugin", "new", *[a.format(full=full) for a in args])
    finally:
        os.chdir(cwd)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and match in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (full / "keep.txt").read_text() == "mine"

"""Shared fixtures: one tiny trained run (both phases) reused by the apply/CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

TINY = ["--steps", "2", "--pretrain-steps", "3", "--batch-size", "2", "--patch-size", "32",
        "--channels", "4", "--blocks", "1", "--critic-channels", "4", "--log-every", "1",
        "--device", "cpu", "--quiet"]


def invoke(args: list[str]):
    from wgan_cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("sr") / "run"
    result = invoke(["run", "superres", "--out", str(run_dir), *TINY])
    assert result.exit_code == 0, result.output
    return run_dir

"""Shared fixtures: one tiny trained run (both phases) reused by the apply and metrics tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

TINY = ["--steps", "2", "--pretrain-steps", "2", "--batch-size", "2", "--crop-size", "32",
        "--channels", "4", "--critic-channels", "4", "--log-every", "1", "--device", "cpu",
        "--quiet"]


def invoke(args: list[str]):
    from wgan_cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default task (edges2photo) on the embedded photos, a few steps."""
    run_dir = tmp_path_factory.mktemp("i2i") / "run"
    result = invoke(["run", "img2img", "--out", str(run_dir), *TINY])
    assert result.exit_code == 0, result.output
    return run_dir

"""Shared fixtures: fixed seeds, one thread, and the real `wgan` entry point run in-process."""

from __future__ import annotations

from typing import Callable

import pytest
import torch

from wgan_cli.main import main


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny models gain nothing from threads; keeps runs reproducible


@pytest.fixture
def wgan(capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """Run `wgan ARGS...`; return (exit code, stdout, stderr)."""
    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err
    return run

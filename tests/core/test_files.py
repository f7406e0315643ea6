import os
import stat

import pytest

from wgan_core.checkpoint import save_checkpoint
from wgan_core.files import atomic_file


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_file_gets_the_umask_permissions(tmp_path, umask, mask, mode):
    umask(mask)
    path = tmp_path / "out.bin"
    with atomic_file(path) as fh:
        fh.write(b"abc")
    assert path.read_bytes() == b"abc"
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_checkpoint_is_readable_by_others_under_the_usual_umask(tmp_path, umask):
    path = save_checkpoint({"x": 1}, tmp_path / "checkpoints" / "last.pt")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(path) as fh:
            fh.write(b"half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]

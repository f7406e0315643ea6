from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from wgan_core.config import build_config
from wgan_core.errors import DataError
from wgan_plugins.img2img.config import Img2ImgConfig
from wgan_plugins.img2img.data import (PairSource, edges, load_aligned, load_pairs,
                                       load_two_folders)


def _save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def _aligned(path: Path, h: int = 40, w: int = 40) -> None:
    """A|B: A is black, B is white."""
    arr = np.zeros((h, 2 * w, 3), np.uint8)
    arr[:, w:] = 255
    _save(path, arr)


def test_aligned_loader_splits_halves_and_direction_swaps_them(tmp_path: Path) -> None:
    _aligned(tmp_path / "x.png")
    (a2b,) = load_aligned(tmp_path, "AtoB")
    (b2a,) = load_aligned(tmp_path, "BtoA")
    assert a2b.source.shape == a2b.target.shape == (3, 40, 40)
    assert a2b.source.max() == 0 and a2b.target.min() == 1
    assert torch.equal(b2a.source, a2b.target) and torch.equal(b2a.target, a2b.source)


def test_aligned_folder_needs_train_and_test_and_skips_bad_files(tmp_path: Path) -> None:
    _aligned(tmp_path / "train" / "a.png")
    config = build_config(Img2ImgConfig, {"data": str(tmp_path), "crop_size": 32})
    with pytest.raises(DataError, match="train/ and test/"):
        load_pairs(config)
    _aligned(tmp_path / "val" / "b.png")
    _save(tmp_path / "train" / "odd.png", np.zeros((40, 81, 3), np.uint8))
    (tmp_path / "train" / "broken.png").write_bytes(b"junk")
    warnings: list[str] = []
    train, test = load_pairs(config, warn=warnings.append)
    assert [p.name for p in train] == ["a.png"] and [p.name for p in test] == ["b.png"]
    assert any("odd.png" in w for w in warnings) and any("broken.png" in w for w in warnings)


def test_two_folders_pair_by_name_and_skip_what_does_not_pair(tmp_path: Path) -> None:
    for name in ("p", "q", "r"):
        _save(tmp_path / "a" / f"{name}.png", np.zeros((40, 40, 3), np.uint8))
    _save(tmp_path / "b" / "p.jpg", np.full((40, 40), 200, np.uint8))     # grey, another format
    _save(tmp_path / "b" / "q.png", np.zeros((40, 30, 3), np.uint8))      # other size
    _save(tmp_path / "b" / "s.png", np.zeros((40, 40, 3), np.uint8))      # no partner
    rgba16 = (np.ones((40, 40), np.uint16) * 65535)
    Image.fromarray(rgba16).save(tmp_path / "b" / "r.png")                # 16-bit
    warnings: list[str] = []
    pairs = load_two_folders(tmp_path / "a", tmp_path / "b", "AtoB", warn=warnings.append)
    assert [p.name for p in pairs] == ["p", "r"]
    assert pairs[1].target.min() == 1.0 and pairs[0].target.shape == (3, 40, 40)
    text = "\n".join(warnings)
    assert "s.png" in text and "q.png" in text and "sizes differ" in text
    _save(tmp_path / "c" / "q.png", np.zeros((40, 30, 3), np.uint8))
    with pytest.raises(DataError, match="no usable pairs"):  # nothing left after skipping
        load_two_folders(tmp_path / "a", tmp_path / "c", "AtoB", warn=warnings.append)


def test_training_image_smaller_than_the_crop_is_an_error(tmp_path: Path) -> None:
    for name in ("p", "q"):
        _save(tmp_path / "a" / f"{name}.png", np.zeros((20, 40, 3), np.uint8))
        _save(tmp_path / "b" / f"{name}.png", np.zeros((20, 40, 3), np.uint8))
    config = build_config(Img2ImgConfig, {"data_a": str(tmp_path / "a"),
                                          "data_b": str(tmp_path / "b"), "crop_size": 32})
    with pytest.raises(DataError, match="smaller than the 32-pixel training crop"):
        load_pairs(config)


def test_edges_are_black_lines_on_white() -> None:
    img = torch.zeros(3, 32, 32)
    img[:, :, 16:] = 1.0  # one vertical step
    e = edges(img)
    assert e.shape == (3, 32, 32) and set(e.unique().tolist()) == {0.0, 1.0}
    dark_cols = (e[0] == 0).any(dim=0).nonzero().flatten().tolist()
    assert dark_cols and all(14 <= c <= 17 for c in dark_cols)


def test_pair_source_crops_source_and_target_alike() -> None:
    from wgan_plugins.img2img.data import Pair

    target = torch.rand(3, 50, 60)
    pair = Pair("x", 1 - target, target)
    batch = PairSource([pair], 32)(4, torch.Generator().manual_seed(0))
    assert batch.real.shape == (4, 3, 32, 32)
    torch.testing.assert_close(batch.gen_input, 1 - batch.real)
    assert batch.cond is batch.gen_input

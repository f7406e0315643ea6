from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from wgan_core.errors import ConfigError, DataError
from wgan_core.config import build_config
from wgan_plugins.superres.config import SuperResConfig
from wgan_plugins.superres.data import (DEFAULT_TEST, DEFAULT_TRAIN, PatchSource, Photo,
                                        load_folder, load_photos, read_image)


def test_gray_rgba_and_16bit_are_read_as_rgb(tmp_path: Path) -> None:
    Image.fromarray(np.full((5, 6), 51, np.uint8), "L").save(tmp_path / "gray.png")
    rgba = np.zeros((5, 6, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((5, 6), 65535 // 4, np.uint16)).save(tmp_path / "deep.png")
    gray, color, deep = (read_image(tmp_path / n) for n in ("gray.png", "rgba.png", "deep.png"))
    for img in (gray, color, deep):
        assert img.shape == (3, 5, 6) and img.dtype == torch.float32
    assert torch.allclose(gray, torch.full_like(gray, 0.2))
    assert torch.allclose(color[0], torch.ones(5, 6)) and color[1:].abs().max() == 0
    assert torch.allclose(deep, torch.full_like(deep, 0.25), atol=1e-4)


def test_corrupt_image_skipped_with_warning_naming_it(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "good.png")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.jpg").write_bytes(b"not a jpeg at all")
    warnings: list[str] = []
    photos = load_folder(tmp_path, warn=warnings.append)
    assert [p.name for p in photos] == ["good.png"]
    assert len(warnings) == 1 and "broken.jpg" in warnings[0]


def test_only_corrupt_images_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(DataError, match="could be read"):
        load_folder(tmp_path, warn=lambda m: None)


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no images"):
        load_folder(tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        load_folder(tmp_path / "nope")


def test_image_smaller_than_patch_names_the_file(tmp_path: Path) -> None:
    for name, size in [("big.png", 64), ("a_tiny.png", 20), ("test.png", 64)]:
        Image.fromarray(np.zeros((size, size, 3), np.uint8)).save(tmp_path / name)
    with pytest.raises(DataError, match="a_tiny.png.*smaller than the 32-pixel"):
        load_photos(tmp_path, None, patch_size=32, scale=2)


def test_default_split_is_fixed_and_disjoint() -> None:
    names = {n for _, n in DEFAULT_TRAIN}
    assert not names & {n for _, n in DEFAULT_TEST}
    assert len(DEFAULT_TEST) == 3 and len(DEFAULT_TRAIN) == 8


@pytest.mark.parametrize("scale", [2, 4])
def test_patch_source_shapes_and_determinism(scale: int) -> None:
    photos = [Photo("a", torch.rand(3, 50, 70)), Photo("b", torch.rand(3, 40, 40))]
    source = PatchSource(photos, patch_size=32, scale=scale)
    a = source(5, torch.Generator().manual_seed(1))
    b = source(5, torch.Generator().manual_seed(1))
    assert a.real.shape == (5, 3, 32, 32)
    assert a.gen_input.shape == (5, 3, 32 // scale, 32 // scale)
    assert torch.equal(a.real, b.real) and torch.equal(a.gen_input, b.gen_input)
    assert 0 <= a.gen_input.min() and a.gen_input.max() <= 1


def test_wrong_scale_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"scale \(--scale\) must be 2 or 4"):
        build_config(SuperResConfig, {"scale": 3})

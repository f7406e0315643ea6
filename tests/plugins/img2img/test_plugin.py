"""End to end through the CLI: a tiny run, `wgan apply`, and bad input ending with exit 2."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .conftest import invoke

METRICS = ["l1_error", "psnr", "ssim", "swd_paired", "hf_ratio"]
KEYS = [f"{m}_{model}" for m in METRICS for model in ("l1", "adv")]


def test_tiny_run_writes_every_metric_and_picture(tiny_run: Path) -> None:
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    for key in KEYS + ["swd_l1", "swd_adv", "patches_per_second_pretrain",
                       "patches_per_second_adversarial", "seconds_total"]:
        assert isinstance(metrics[key], float), key
    for model in ("l1", "adv"):
        for swd in ("swd", "swd_paired"):  # 300-px photos: 5 levels to 16 px
            assert len(metrics[f"{swd}_levels_{model}"]) == 5
        # one distance, two samplings of the patches: far from the real photos after 2 steps,
        # by either
        assert 0.5 < metrics[f"swd_{model}"] / metrics[f"swd_paired_{model}"] < 2
        assert metrics[f"swd_{model}"] > 100
    assert set(metrics["per_image"]) == {"chelsea", "coffee", "flower"}
    for row in metrics["per_image"].values():
        assert set(KEYS) <= set(row)
    for name in ("chelsea", "coffee", "flower"):
        assert (tiny_run / f"comparison_{name}.png").stat().st_size > 1000
    with Image.open(tiny_run / "comparison_chelsea.png") as sheet:
        assert sheet.size[0] == 4 * 451 + 12  # four full-size panels
    assert (tiny_run / "checkpoints" / "pretrain.pt").exists()
    assert (tiny_run / "checkpoints" / "last.pt").exists()


def test_apply_writes_an_image_of_the_inputs_size(tiny_run: Path, tmp_path: Path) -> None:
    for size in [(41, 30), (300, 70)]:  # not multiples of anything; larger than one tile
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3),
                                                           np.uint8)).save(tmp_path / "in.png")
        out = tmp_path / f"out{size[0]}.png"
        result = invoke(["apply", str(tiny_run), str(tmp_path / "in.png"), str(out),
                         "--device", "cpu"])
        assert result.exit_code == 0, result.output
        with Image.open(out) as img:
            assert img.size == size and img.mode == "RGB"


def test_apply_refuses_to_overwrite_and_keeps_inputs(tiny_run: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(src / "a.png")
    original = (src / "a.png").read_bytes()
    (tmp_path / "b.png").write_bytes(b"mine")
    for args, needle in [([str(src / "a.png"), str(tmp_path / "b.png")], "already exists"),
                         ([str(src), str(src), "--force"], "is an input image")]:
        result = invoke(["apply", str(tiny_run), *args, "--device", "cpu"])
        assert result.exit_code == 2 and needle in result.output, result.output
    assert (tmp_path / "b.png").read_bytes() == b"mine"
    assert (src / "a.png").read_bytes() == original


def _one_line_exit_2(wgan, *args: object) -> str:
    code, _, err = wgan(*args)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_bad_input_is_one_line_and_exit_2(tiny_run: Path, tmp_path: Path, wgan) -> None:
    run = ["run", "img2img", "--quiet", "--device", "cpu"]
    assert "no such folder" in _one_line_exit_2(
        wgan, *run, "--out", tmp_path / "r1", "--data", tmp_path / "missing")
    (tmp_path / "empty" / "train").mkdir(parents=True)
    (tmp_path / "empty" / "test").mkdir()
    assert "no images found" in _one_line_exit_2(
        wgan, *run, "--out", tmp_path / "r2", "--data", tmp_path / "empty")
    for name in ("p", "q"):
        for side in ("a", "b"):
            (tmp_path / side).mkdir(exist_ok=True)
            Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(tmp_path / side / f"{name}.png")
    assert "smaller than the 32-pixel training crop" in _one_line_exit_2(
        wgan, *run, "--out", tmp_path / "r3", "--data-a", tmp_path / "a", "--data-b",
        tmp_path / "b", "--crop-size", "32")
    assert "direction" in _one_line_exit_2(
        wgan, *run, "--out", tmp_path / "r4", "--direction", "AtoC").lower()
    for r in ("r1", "r2", "r3", "r4"):  # a run that fails on its data leaves no run folder
        assert not (tmp_path / r / "checkpoints").exists()
    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "file").write_bytes(b"")  # a file where the output folder should be
    assert "cannot create output folder" in _one_line_exit_2(
        wgan, "apply", tiny_run, tmp_path / "a.png", tmp_path / "file" / "out.png",
        "--device", "cpu")

"""End to end through the CLI: a tiny run, `wgan apply`, and bad input ending with exit 2."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .conftest import TINY, invoke

KEYS = ["psnr_bicubic", "ssim_bicubic", "psnr_l1", "ssim_l1", "psnr_sr", "ssim_sr",
        "hf_ratio_bicubic", "hf_ratio_l1", "hf_ratio_sr"]


def test_tiny_run_writes_every_metric_and_picture(tiny_run: Path) -> None:
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    for key in KEYS:
        assert isinstance(metrics[key], float), key
    assert set(metrics["per_image"]) == {"chelsea", "coffee", "flower"}
    for row in metrics["per_image"].values():
        assert set(KEYS) <= set(row)
    assert 20 < metrics["psnr_bicubic"] < 40 and 0 < metrics["ssim_bicubic"] < 1
    for name in ("chelsea", "coffee", "flower"):
        assert (tiny_run / f"comparison_{name}.png").stat().st_size > 1000
    assert (tiny_run / "checkpoints" / "last.pt").exists()
    assert (tiny_run / "checkpoints" / "pretrain.pt").exists()
    assert (tiny_run / "log_pretrain.csv").exists() and (tiny_run / "log.csv").exists()


def test_apply_writes_an_image_scale_times_larger(tiny_run: Path, tmp_path: Path) -> None:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (30, 41, 3), np.uint8)
                    ).save(tmp_path / "photo.png")
    result = invoke(["apply", str(tiny_run), str(tmp_path / "photo.png"),
                     str(tmp_path / "out.png"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out.png") as out:
        assert out.size == (41 * 4, 30 * 4) and out.mode == "RGB"


def test_apply_folder_skips_corrupt_and_keeps_tree(tiny_run: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "deep").mkdir(parents=True)
    Image.fromarray(np.zeros((9, 7), np.uint8), "L").save(src / "deep" / "gray.bmp")
    Image.fromarray(np.zeros((9, 7, 4), np.uint8), "RGBA").save(src / "rgba.png")
    (src / "broken.jpg").write_bytes(b"junk")
    result = invoke(["apply", str(tiny_run), str(src), str(tmp_path / "out"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / "deep" / "gray.png") as out:
        assert out.size == (28, 36)
    assert (tmp_path / "out" / "rgba.png").exists()
    assert "broken.jpg" in result.output  # the warning names the skipped file


def test_apply_never_replaces_files_without_force_nor_its_inputs(tiny_run: Path,
                                                                 tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(src / "a.png")
    original = (src / "a.png").read_bytes()
    out = tmp_path / "out"
    assert invoke(["apply", str(tiny_run), str(src), str(out), "--device", "cpu"]).exit_code == 0
    (out / "a.png").write_bytes(b"mine")

    cases = [
        ([str(src), str(out)], "already exists"),               # second run into the folder
        ([str(src / "a.png"), str(out / "a.png")], "already exists"),   # file onto a file
        ([str(src), str(src), "--force"], "is an input image"),  # output folder = input folder
    ]
    for args, needle in cases:
        result = invoke(["apply", str(tiny_run), *args, "--device", "cpu"])
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output, result.output
    assert (out / "a.png").read_bytes() == b"mine"
    assert (src / "a.png").read_bytes() == original

    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(src / "a.jpg")  # a.png and a.jpg -> a.png
    result = invoke(["apply", str(tiny_run), str(src), str(tmp_path / "new"), "--device", "cpu"])
    assert result.exit_code == 2 and "rename one" in result.output, result.output
    assert not (tmp_path / "new").exists()

    (src / "a.jpg").unlink()
    result = invoke(["apply", str(tiny_run), str(src), str(out), "--force", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert (out / "a.png").read_bytes() != b"mine"


def test_bad_input_ends_with_one_line_and_exit_2(tiny_run: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["run", "superres", "--out", str(tmp_path / "a"), "--scale", "3", *TINY], "scale"),
        (["run", "superres", "--out", str(tmp_path / "b"), "--data", str(empty), *TINY],
         "no images"),
        (["run", "superres", "--out", str(tmp_path / "c"), "--data", str(tmp_path / "nope"),
          *TINY], "no such folder"),
        (["apply", str(tiny_run), str(empty), str(tmp_path / "o")], "no images"),
    ]
    for args, needle in cases:
        result = invoke(args)
        assert result.exit_code == 2, (args, result.output)
        lines = [l for l in result.output.splitlines() if l.startswith("error:")]
        assert len(lines) == 1 and needle in lines[0], result.output


def test_small_training_image_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(data / f"ok{i}.png")
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(data / "small.png")
    result = invoke(["run", "superres", "--out", str(tmp_path / "r"), "--data", str(data), *TINY])
    assert result.exit_code == 2
    assert "small.png" in result.output and "smaller than" in result.output


def test_resume_continues_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (60, 68, 3), np.uint8)).save(data / f"p{i}.png")
    common = [*TINY, "--data", str(data), "--lr-schedule", "constant"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert invoke(["run", "superres", "--out", str(straight), *common, "--steps", "4"]
                  ).exit_code == 0
    assert invoke(["run", "superres", "--out", str(split), *common, "--steps", "2"]
                  ).exit_code == 0
    pre_log = (split / "log_pretrain.csv").read_text()
    result = invoke(["run", "superres", "--resume", str(split), "--steps", "4", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (split / "log_pretrain.csv").read_text() == pre_log  # L1 phase not redone
    import torch

    a = torch.load(straight / "checkpoints" / "last.pt", weights_only=True)
    b = torch.load(split / "checkpoints" / "last.pt", weights_only=True)
    assert a["step"] == b["step"] == 4
    for key in a["generator"]:
        torch.testing.assert_close(a["generator"][key], b["generator"][key])
    assert json.loads((split / "metrics.json").read_text())["psnr_sr"] == \
        json.loads((straight / "metrics.json").read_text())["psnr_sr"]


def test_single_corrupt_input_is_one_error_line(tiny_run: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"junk")
    result = invoke(["apply", str(tiny_run), str(tmp_path / "broken.png"),
                     str(tmp_path / "out.png")])
    assert result.exit_code == 2
    assert [l for l in result.output.splitlines() if l.strip()] == [
        l for l in result.output.splitlines() if l.startswith("error:")]
    assert "broken.png" in result.output and not (tmp_path / "out.png").exists()


def test_held_out_images_sharing_a_name_get_one_comparison_each(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data, test = tmp_path / "data", tmp_path / "test"
    for folder in (data, test / "a", test / "b"):
        folder.mkdir(parents=True)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)).save(data / f"{i}.png")
    for name in ("a/x.png", "b/x.png", "x.png", "x.jpg"):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)).save(test / name)
    result = invoke(["run", "superres", "--out", str(tmp_path / "r"), "--data", str(data),
                     "--test-data", str(test), *TINY])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "comparison_a_x.png").is_file()
    assert (tmp_path / "r" / "comparison_b_x.png").is_file()
    assert (tmp_path / "r" / "comparison_x_png.png").is_file()
    assert (tmp_path / "r" / "comparison_x_jpg.png").is_file()


def test_resume_with_more_l1_steps_redoes_the_adversarial_phase(tiny_run: Path,
                                                                tmp_path: Path) -> None:
    import shutil

    import torch

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    result = invoke(["run", "superres", "--resume", str(run), "--pretrain-steps", "5",
                     "--quiet"])
    assert result.exit_code == 0, result.output
    after = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    pretrain = torch.load(run / "checkpoints" / "pretrain.pt", weights_only=True)
    assert pretrain["step"] == 5 and after["step"] == 2
    # fine-tuned again from the new L1 weights, not the stale adversarial checkpoint kept
    assert not torch.equal(before["generator"]["head.weight"], after["generator"]["head.weight"])
    rows = (run / "log.csv").read_text().strip().splitlines()[1:]
    assert [int(float(r.split(",")[0])) for r in rows] == [1, 2]
    assert (run / "checkpoints" / "adversarial_stale.pt").is_file()  # kept, not deleted


def test_adding_an_l1_phase_on_resume_redoes_the_adversarial_phase(tmp_path: Path) -> None:
    import torch

    run = tmp_path / "run"
    no_l1 = [a if a != "3" or TINY[i - 1] != "--pretrain-steps" else "0"
             for i, a in enumerate(TINY)]
    assert invoke(["run", "superres", "--out", str(run), *no_l1]).exit_code == 0
    before = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    result = invoke(["run", "superres", "--resume", str(run), "--pretrain-steps", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    after = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert not torch.equal(before["generator"]["head.weight"], after["generator"]["head.weight"])

"""`wgan audit` on hand-made samples, on a toy run, and its bad-input paths."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch



def write_csv(path: Path, points: torch.Tensor, groups: list[str]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x", "y", "group"])
        for (x, y), g in zip(points.tolist(), groups):
            w.writerow([f"{x:.5f}", f"{y:.5f}", g])
    return path


def blobs(counts: dict[str, int], seed: int) -> tuple[torch.Tensor, list[str]]:
    g = torch.Generator().manual_seed(seed)
    names = [name for name, n in counts.items() for _ in range(n)]
    centre = {"a": [0.0, 0.0], "b": [10.0, 0.0], "c": [0.0, 10.0]}
    pts = torch.tensor([centre[n] for n in names]) + torch.randn(len(names), 2, generator=g)
    return pts, names


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "real.csv", *blobs({"a": 150, "b": 150}, 0))


def test_balanced_samples_pass(wgan, tmp_path: Path, reference: Path) -> None:
    gen = write_csv(tmp_path / "gen.csv", *blobs({"a": 150, "b": 150}, 1))
    code, out, err = wgan("audit", "--samples", gen, "--reference", reference,
                          "--group-column", "group")
    assert code == 0, err
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["passed"] and report["discrepancy"] == pytest.approx(0.0)
    assert (tmp_path / "audit.png").exists() and "audit passed" in out


def test_samples_that_drop_a_group_fail_with_share_zero(wgan, tmp_path: Path,
                                                        reference: Path) -> None:
    gen = write_csv(tmp_path / "gen.csv", *blobs({"a": 200}, 1))
    code, out, _ = wgan("audit", "--samples", gen, "--reference", reference,
                        "--group-column", "group", "-o", tmp_path / "out")
    assert code == 1
    report = json.loads((tmp_path / "out" / "audit.json").read_text())
    b = {g["name"]: g for g in report["groups"]}["b"]
    assert b["share"] == 0.0 and b["coverage"] == 0.0
    # ||(1, 0) - (0.5, 0.5)||_2
    assert report["discrepancy"] == pytest.approx(math.sqrt(0.5))
    assert "under-served: group 'b'" in out


def test_discrepancy_against_target_proportions(wgan, tmp_path: Path, reference: Path) -> None:
    gen = write_csv(tmp_path / "gen.csv", *blobs({"a": 240, "b": 60}, 1))
    code, _, _ = wgan("audit", "--samples", gen, "--reference", reference, "--group-column",
                      "group", "--target-proportions", "a=0.7,b=0.3", "--max-discrepancy", "1")
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["discrepancy"] == pytest.approx(math.hypot(0.8 - 0.7, 0.2 - 0.3))
    assert code == 0


@pytest.mark.parametrize("rows, flags, message", [
    (None, ["--group-column", "grp"], "no group column 'grp'"),
    ("x,y,group\n" + "1,2,a\n" * 20 + "1,nan,b\n", [], "non-finite"),
    ("x,y,group\n" + "1,2,a\n" * 20 + "1,two,b\n", [], "is not numeric"),
    ("", [], "empty CSV"),
    ("x,y,group\n" + "".join(f"{i},{i},a\n" for i in range(20)) + "0,0,b\n" * 3, [],
     "group 'b' has 3 reference samples"),
    (None, ["--target-proportions", "a=0.5,b=0.6"], "sum to"),
    (None, ["--target-proportions", "a=0.5,z=0.5"], "unknown group 'z'"),
])
def test_bad_input_is_one_line_and_exit_2(wgan, tmp_path: Path, reference: Path, rows, flags,
                                          message) -> None:
    gen = write_csv(tmp_path / "gen.csv", *blobs({"a": 30, "b": 30}, 1))
    ref = reference
    if rows is not None:
        ref = tmp_path / "bad.csv"
        ref.write_text(rows)
    (tmp_path / "audit.json").write_text("earlier audit")
    args = ["audit", "--samples", gen, "--reference", ref]
    if "--group-column" not in flags:
        args += ["--group-column", "group"]
    code, _, err = wgan(*args, *flags)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "audit.json").read_text() == "earlier audit"  # nothing lost


def test_a_run_whose_plugin_has_no_audit_is_refused(wgan, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text('plugin = "superres"\n')
    code, _, err = wgan("audit", run)
    assert code == 2 and "offers no audit" in err


def test_toy_run_audits_its_modes(wgan, tmp_path: Path) -> None:
    run = tmp_path / "toy"
    code, _, err = wgan("run", "toy", "--out", run, "--quiet", "--device", "cpu", "--steps", "3",
                        "--batch-size", "32", "--hidden", "16", "--n-eval", "200",
                        "--dot-steps", "0")
    assert code == 0, err
    code, out, err = wgan("audit", run, "-n", "300", "--device", "cpu")
    assert code in (0, 1), err
    report = json.loads((run / "audit.json").read_text())
    assert [g["name"] for g in report["groups"]] == [f"mode {i}" for i in range(25)]
    assert report["assignment"] == "nearest mode"
    assert sum(g["share"] for g in report["groups"]) == pytest.approx(1.0)
    # Three steps of training cover few of 25 modes: the audit must say so.
    assert code == 1 and "under-served" in out


def test_the_reference_audited_against_itself_passes(wgan, tmp_path: Path) -> None:
    """A perfect generator of imbalanced data: the default target is the reference's own
    shares, so it passes; asking for parity fails it on discrepancy alone."""
    long_name = "a-group-with-a-rather-long-name"
    points, groups = blobs({"a": 240, "b": 60}, 0)
    groups = [long_name if g == "a" else g for g in groups]
    ref = write_csv(tmp_path / "real.csv", points, groups)
    code, out, err = wgan("audit", "--samples", ref, "--reference", ref, "--group-column",
                          "group")
    assert code == 0, err
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["target"]["shares"] == pytest.approx({long_name: 0.8, "b": 0.2})
    assert "reference" in report["target"]["source"]
    assert report["discrepancy"] == pytest.approx(0.0)
    assert "target shares from the reference's group shares" in out
    # Not cut off, and one coverage column when modes are unknown (kNN coverage).
    assert f"\n{long_name} " in out
    header = next(line for line in out.splitlines() if line.startswith("group "))
    assert header.split() == ["group", "share", "target", "kNN", "cov", "precision", "W1",
                              "n", "gen"]

    code, out, _ = wgan("audit", "--samples", ref, "--reference", ref, "--group-column",
                        "group", "--target-proportions", "uniform", "-o", tmp_path / "parity")
    assert code == 1
    report = json.loads((tmp_path / "parity" / "audit.json").read_text())
    assert report["target"]["source"].startswith("parity")
    assert report["discrepancy"] == pytest.approx(math.sqrt(2) * 0.3)  # 80/20 against 50/50
    assert "fairness discrepancy" in out and "under-served: group" not in out

"""The shared labelled datasets: published recipes, labels that match, user CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from wgan_core.datasets import (DigitsClassifier, digits, grid25, numbered, read_points_csv,
                                read_points_table, ring8)
from wgan_core.errors import DataError


def test_mixture_labels_are_the_modes_points_were_drawn_from() -> None:
    data = grid25()
    x, label = data.sample_labelled(4000, torch.Generator().manual_seed(0))
    assert torch.equal(data.nearest_mode(x), label)  # sigma 0.05 on a grid of spacing 2
    counts = torch.bincount(label, minlength=25).float()
    assert counts.min() > 0.5 * counts.mean()


def test_label_weights_set_the_label_proportions() -> None:
    data = ring8()
    weights = torch.tensor([9.0] + [1.0 / 7] * 7)  # mode 0: 90 %
    _, label = data.sample_labelled(20000, torch.Generator().manual_seed(1), weights)
    assert (label == 0).float().mean().item() == pytest.approx(0.9, abs=0.01)


def test_digits_are_64_pixel_vectors_with_ten_classes_and_a_good_classifier() -> None:
    data = digits()
    assert data.points.shape == (1797, 64) and data.n_labels == 10
    assert 0.0 <= data.points.min() and data.points.max() <= 1.0
    classify = DigitsClassifier()
    assert classify.held_out_accuracy > 0.9  # logistic regression on 8x8 digits: ~0.96
    x, y = data.sample_labelled(500, torch.Generator().manual_seed(0))
    assert (classify(x) == y).float().mean() > 0.9


def test_csv_with_a_label_column(tmp_path: Path) -> None:
    f = tmp_path / "pts.csv"
    f.write_text("x,group,y\n" + "".join(f"{i},{'b' if i % 3 else 'a'},{-i}\n"
                                         for i in range(12)))
    data = read_points_csv(f, label_column="group")
    assert data.dim == 2 and data.label_names == ["a", "b"]
    assert data.labels.tolist() == [0 if i % 3 == 0 else 1 for i in range(12)]
    with pytest.raises(DataError, match="no label column 'grp'"):
        read_points_csv(f, label_column="grp")


def test_table_keeps_text_columns_and_names_the_bad_cell(tmp_path: Path) -> None:
    f = tmp_path / "people.csv"
    rows = "".join(f"{i},{'fm'[i % 2]},{2 * i},{'10' if i < 6 else '9'}\n" for i in range(12))
    f.write_text("h,sex,w,label\n" + rows)
    table = read_points_table(f, {"sex": "group", "label": "label", "site": "client"},
                              optional=("site",))
    assert table.columns == ["h", "w"]
    assert table.points[:, 1].tolist() == [2.0 * i for i in range(12)]
    assert table.text["sex"][:3] == ["f", "m", "f"] and "site" not in table.text
    assert numbered(table.text["label"])[1] == ["9", "10"]  # natural order, not text order
    f.write_text(f.read_text().replace("7,m,14", "7,m,x"))
    with pytest.raises(DataError, match=r"people.csv:9: column 'w' is not numeric \('x'\)"):
        read_points_table(f, {"sex": "group", "label": "label"})
    f.write_text("h,sex\n1,f\n2\n")
    with pytest.raises(DataError, match="people.csv:3: 1 columns, expected 2"):
        read_points_table(f, {"sex": "group"}, min_rows=1)
    f.write_text("")
    with pytest.raises(DataError, match="empty CSV file"):
        read_points_table(f)

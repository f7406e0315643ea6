"""Group-wise metrics and weights (wgan_core.groups) against values known by construction."""

from __future__ import annotations

import math

import pytest
import torch

from wgan_core.errors import DataError
from wgan.audit import check_thresholds
from wgan_core.groups import (GroupedSamples, fairness_discrepancy, group_report, group_shares,
                              group_weights, parse_proportions)
from wgan_core.metrics import prdc, prdc_per_sample


def test_inverse_frequency_weights_give_every_group_the_same_total() -> None:
    groups = torch.tensor([0] * 90 + [1] * 10 + [2] * 40)
    w = group_weights(groups)
    totals = [float(w[groups == g].sum()) for g in range(3)]
    assert totals == pytest.approx([totals[0]] * 3, rel=1e-6)
    assert float(w.mean()) == pytest.approx(1.0)


def test_weighted_expectation_is_the_target_expectation() -> None:
    g = torch.Generator().manual_seed(0)
    groups = torch.cat([torch.zeros(900, dtype=torch.long), torch.ones(100, dtype=torch.long)])
    x = torch.randn(1000, generator=g) + 5.0 * groups  # group 1 sits at 5, group 0 at 0
    target = [0.3, 0.7]
    w = group_weights(groups, target)
    weighted = float((w * x).sum() / w.sum())
    # Exactly the mixture of the group means in target shares ...
    exact = 0.3 * float(x[groups == 0].mean()) + 0.7 * float(x[groups == 1].mean())
    assert weighted == pytest.approx(exact, rel=1e-5)
    # ... and what a set resampled in the target shares averages to.
    pick = torch.cat([torch.nonzero(groups == 0).squeeze(1)[torch.randint(0, 900, (30000,), generator=g)],
                      torch.nonzero(groups == 1).squeeze(1)[torch.randint(0, 100, (70000,), generator=g)]])
    assert weighted == pytest.approx(float(x[pick].mean()), abs=0.03)
    assert weighted > 3.0  # unweighted it would be about 0.5


def test_kamiran_calders_makes_group_and_label_independent() -> None:
    groups = torch.tensor([0] * 60 + [1] * 40)
    labels = torch.tensor([1] * 45 + [0] * 15 + [1] * 10 + [0] * 30)
    w = group_weights(groups, labels=labels).double()
    joint = torch.zeros(2, 2, dtype=torch.float64)
    for s in range(2):
        for y in range(2):
            joint[s, y] = w[(groups == s) & (labels == y)].sum() / w.sum()
    # w(s, y) = P(s) P(y) / P(s, y): the weighted joint is the product of the marginals,
    # and the group marginal is the data's own.
    assert torch.allclose(joint, joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True),
                          atol=1e-6)
    assert joint.sum(1).tolist() == pytest.approx([0.6, 0.4])


def test_shares_keep_empty_groups_and_discrepancy_matches_the_formula() -> None:
    assert group_shares(torch.tensor([0, 0, 2]), 3).tolist() == pytest.approx([2 / 3, 0, 1 / 3])
    assert fairness_discrepancy([0.9, 0.1]) == pytest.approx(math.sqrt(2) * 0.4)
    assert fairness_discrepancy([0.5, 0.2, 0.3], [0.2, 0.2, 0.6]) == pytest.approx(
        math.sqrt(0.3 ** 2 + 0.3 ** 2))


def test_target_proportions_are_checked() -> None:
    assert parse_proportions("b=0.25, a=0.75", ["a", "b"]).tolist() == [0.75, 0.25]
    assert parse_proportions("0.4,0.6", ["a", "b"]).tolist() == [0.4, 0.6]
    with pytest.raises(DataError, match="sum to"):
        parse_proportions("a=0.5,b=0.6", ["a", "b"])
    with pytest.raises(DataError, match="unknown group 'c'"):
        parse_proportions("a=0.5,c=0.5", ["a", "b"])


def test_per_sample_prdc_averages_to_the_prdc_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import prdc.prdc as package
    from sklearn.metrics import pairwise_distances

    # The package asks for 8 worker processes per distance matrix (seconds of start-up for
    # a test); the same distances computed in-process.
    monkeypatch.setattr(package, "compute_pairwise_distance",
                        lambda x, y=None: pairwise_distances(x, x if y is None else y))
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(400, 3, generator=g), torch.randn(300, 3, generator=g) * 1.3 + 0.3
    per = prdc_per_sample(real, fake, k=5, chunk=64)
    agg = prdc(real, fake, k=5)
    assert per["real_covered"].mean() == pytest.approx(agg["coverage"], abs=1e-9)
    assert per["fake_precise"].mean() == pytest.approx(agg["precision"], abs=1e-9)
    assert per["real_recalled"].mean() == pytest.approx(agg["recall"], abs=1e-9)
    assert per["fake_density"].mean() == pytest.approx(agg["density"], abs=1e-9)


def blobs(n_per: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points around (0, 0), (10, 0), ... one blob per group."""
    g = torch.Generator().manual_seed(seed)
    groups = torch.cat([torch.full((n,), i, dtype=torch.long) for i, n in enumerate(n_per)])
    centres = torch.tensor([[10.0 * i, 0.0] for i in range(len(n_per))])
    return centres[groups] + torch.randn(len(groups), 2, generator=g), groups


def test_report_gives_a_dropped_group_share_zero_and_fails_it() -> None:
    real, rg = blobs([200, 200], 0)
    fake, fg = blobs([300, 0], 1)
    report = group_report(GroupedSamples(real, rg, fake, fg, ["a", "b"], "test"), w1_samples=200)
    a, b = report["groups"]
    assert b["share"] == 0.0 and b["n_generated"] == 0 and b["knn_coverage"] == 0.0
    assert b["w1"] is None and a["knn_coverage"] > 0.8
    assert report["discrepancy"] == pytest.approx(math.sqrt(2) * 0.5)
    failures = check_thresholds(report)
    assert any("'b'" in f for f in failures) and not any("'a'" in f for f in failures)


def test_report_of_matching_samples_passes() -> None:
    real, rg = blobs([200, 200], 0)
    fake, fg = blobs([200, 200], 1)
    report = group_report(GroupedSamples(real, rg, fake, fg, ["a", "b"], "test"), w1_samples=200)
    assert report["discrepancy"] == pytest.approx(0.0)
    assert all(g["knn_coverage"] > 0.8 and g["w1"] < 0.5 for g in report["groups"])
    assert check_thresholds(report) == []


def test_mode_coverage_per_group() -> None:
    modes = torch.tensor([[0.0, 0.0], [5.0, 0.0], [10.0, 0.0]])
    mode_groups = torch.tensor([0, 0, 1])
    g = torch.Generator().manual_seed(0)
    real_modes = torch.randint(0, 3, (300,), generator=g)
    real = modes[real_modes] + 0.1 * torch.randn(300, 2, generator=g)
    fake = modes[torch.zeros(100, dtype=torch.long)] + 0.1 * torch.randn(100, 2, generator=g)
    report = group_report(GroupedSamples(real, mode_groups[real_modes], fake,
                                         torch.zeros(100, dtype=torch.long), ["a", "b"], "t",
                                         modes=modes, mode_groups=mode_groups, mode_std=0.1),
                          w1_samples=100)
    a, b = report["groups"]
    assert (a["modes_covered"], a["modes_total"], a["coverage"]) == (1, 2, 0.5)
    assert (b["modes_covered"], b["coverage"]) == (0, 0.0)


def test_a_group_with_fewer_samples_than_k_is_refused() -> None:
    real, rg = blobs([200, 4], 0)
    fake, fg = blobs([100, 100], 1)
    with pytest.raises(DataError, match="group 'b' has 4 reference samples"):
        group_report(GroupedSamples(real, rg, fake, fg, ["a", "b"], "test"), k=5)

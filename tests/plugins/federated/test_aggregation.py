"""The server side without a runtime: Flower's strategies, screened, on hand-made replies."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wgan_plugins.federated.models import client_weight
from wgan_plugins.federated.server import make_strategy, reply_problem
from wgan_plugins.federated.config import FederatedConfig

EXPECTED = {"generator.w": (2, 3), "generator.b": (3,)}


def reply(node: int, w: float, n: int, weighting: str, value: float | None = None,
          keys: dict[str, tuple[int, ...]] | None = None):  # type: ignore[no-untyped-def]
    """A train reply of client ``node`` with every array filled with ``w``."""
    from flwr.app import ArrayRecord, Message, MessageType, MetricRecord, RecordDict

    arrays = {k: torch.full(shape, w if value is None else value)
              for k, shape in (keys or EXPECTED).items()}
    content = RecordDict({
        "arrays": ArrayRecord(arrays),
        "metrics": MetricRecord({"weight": client_weight(n, weighting), "num-examples": n,
                                 "partition-id": node}),
    })
    msg = Message(content, dst_node_id=0, message_type=MessageType.TRAIN)
    msg.metadata.__dict__["_src_node_id"] = 100 + node
    return msg


def aggregate(weighting: str, replies, aggregator: str = "mean",  # type: ignore[no-untyped-def]
              sent: int | None = None):
    """Aggregate ``replies`` as one round in which ``sent`` messages (default: one per reply)
    went out; the strategy counts what it was sent before it aggregates, as in a real round."""
    config = FederatedConfig(weighting=weighting, aggregator=aggregator)
    strategy = make_strategy(config, 3, EXPECTED)
    strategy.stats.sent = len(replies) if sent is None else sent
    arrays, _ = strategy.aggregate_train(1, replies)
    return strategy, arrays


CLIENTS = [(1.0, 400), (2.0, 50), (5.0, 10)]  # (value of every weight, samples)


@pytest.mark.parametrize("weighting", ["samples", "uniform", "sqrt"])
def test_weighted_average_is_the_weighting(task_identity, weighting: str) -> None:
    replies = [reply(i, w, n, weighting) for i, (w, n) in enumerate(CLIENTS)]
    _, arrays = aggregate(weighting, replies)
    weights = np.array([{"samples": n, "uniform": 1.0, "sqrt": math.sqrt(n)}[weighting]
                        for _, n in CLIENTS])
    want = float((weights * np.array([w for w, _ in CLIENTS])).sum() / weights.sum())
    for key in EXPECTED:
        np.testing.assert_allclose(arrays[key].numpy(), want, rtol=1e-6)
    if weighting == "samples":  # sum n_i w_i / sum n_i
        assert want == pytest.approx((400 * 1 + 50 * 2 + 10 * 5) / 460)
    if weighting == "uniform":  # the plain mean
        assert want == pytest.approx(8 / 3)


def test_a_nan_reply_is_dropped_and_named(task_identity) -> None:
    logged: list[str] = []
    config = FederatedConfig(weighting="samples")
    strategy = make_strategy(config, 3, EXPECTED, log_fn=logged.append)
    strategy.stats.sent = 3
    replies = [reply(0, 1.0, 400, "samples"), reply(1, 2.0, 50, "samples"),
               reply(2, 0.0, 10, "samples", value=float("nan"))]
    arrays, _ = strategy.aggregate_train(1, replies)
    want = (400 * 1 + 50 * 2) / 450  # the aggregate of the other two
    np.testing.assert_allclose(arrays["generator.w"].numpy(), want, rtol=1e-6)
    assert strategy.stats.rejected == 1 and strategy.stats.replied == [0, 1]
    assert any("client 2" in line and "non-finite" in line for line in logged)


def test_wrong_keys_and_shapes_are_rejected(task_identity) -> None:
    good = reply(0, 1.0, 10, "uniform")
    wrong_keys = reply(1, 1.0, 10, "uniform", keys={"critic.w": (2, 3), "generator.b": (3,)})
    wrong_shape = reply(2, 1.0, 10, "uniform", keys={"generator.w": (3, 2), "generator.b": (3,)})
    strategy, arrays = aggregate("uniform", [good, wrong_keys, wrong_shape])
    assert strategy.stats.rejected == 2 and strategy.stats.replied == [0]
    np.testing.assert_allclose(arrays["generator.w"].numpy(), 1.0)
    assert "wrong keys" in reply_problem(reply(1, 1.0, 1, "uniform", keys={"x": (1,)}).content,
                                         EXPECTED)


def test_no_valid_reply_keeps_the_model_and_counts_failures(task_identity) -> None:
    from flwr.app import Error, Message, MessageType

    crashed = Message(Error(code=0, reason="boom"), reply_to=Message(
        reply(0, 1.0, 1, "uniform").content, dst_node_id=7, message_type=MessageType.TRAIN))
    # Three messages went out: one came back as an error, one with inf weights, one never.
    strategy, arrays = aggregate("uniform", [crashed, reply(1, 0.0, 5, "uniform",
                                                               value=float("inf"))], sent=3)
    assert arrays is None  # Strategy.start then keeps the previous global arrays
    assert strategy.stats.failures == 2  # the error reply and the missing one
    assert strategy.stats.rejected == 1 and strategy.stats.replied == []


def krum_pick(values: list[float], f: int) -> float:
    """Krum's choice (Blanchard et al. 2017): the reply whose summed squared distance to its
    n - f - 2 nearest other replies is smallest (every array of a reply holds one value, so
    distances are proportional to squared differences of the values)."""
    k = len(values) - f - 2
    scores = [sum(sorted((v - u) ** 2 for j, u in enumerate(values) if j != i)[:k])
              for i, v in enumerate(values)]
    best = int(np.argmin(scores))
    assert sorted(scores)[1] - scores[best] >= 1.0  # one clear winner, no tie to break
    return values[best]


# Krum with f = 1 scores each reply by its 2 nearest neighbours: 1 -> 1 + 2.25, 2 -> 0.25 + 1,
# 2.5 -> 0.25 + 2.25, 4 -> 2.25 + 4, 100 -> 96^2 + 97.5^2. It must pick 2.0.
ROBUST_VALUES = [1.0, 2.0, 2.5, 4.0, 100.0]


@pytest.mark.parametrize("aggregator", ["median", "trimmed-mean", "krum"])
def test_robust_aggregators_are_flowers(task_identity, aggregator: str) -> None:
    replies = [reply(i, v, 10, "uniform") for i, v in enumerate(ROBUST_VALUES)]
    strategy, arrays = aggregate("uniform", replies, aggregator)
    assert type(strategy).__mro__[2].__name__ == {"median": "FedMedian",
                                                   "trimmed-mean": "FedTrimmedAvg",
                                                   "krum": "Krum"}[aggregator]
    config = FederatedConfig()
    assert config.krum_malicious == 1 and config.trim_beta == 0.2  # what the values below assume
    want = {"median": 2.5,  # the middle of five
            "trimmed-mean": (2.0 + 2.5 + 4.0) / 3,  # int(0.2 * 5) = 1 cut from each tail
            "krum": krum_pick(ROBUST_VALUES, f=1)}[aggregator]
    if aggregator == "krum":
        assert want == 2.0
    for key in EXPECTED:
        np.testing.assert_allclose(arrays[key].numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("aggregator", ["mean", "median", "krum"])
def test_aggregate_does_not_depend_on_reply_order(task_identity, aggregator: str) -> None:
    """Nodes answer in any order; the aggregate (to the last bit) must not follow it, or a
    seeded run would not repeat."""
    from flwr.app import Array

    keys = {"generator.w": (64, 64)}
    rng = torch.Generator().manual_seed(0)
    values = [torch.randn(64, 64, generator=rng) for _ in range(5)]

    def replies():  # fresh each time: Flower's FedMedian pops the arrays it aggregates
        out = []
        for i, v in enumerate(values):
            msg = reply(i, 0.0, 10 + 7 * i, "samples", keys=keys)
            next(iter(msg.content.array_records.values()))["generator.w"] = Array(v.numpy())
            out.append(msg)
        return out

    config = FederatedConfig(weighting="samples", aggregator=aggregator)
    results = []
    for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1], [3, 4, 1, 0, 2]):
        strategy = make_strategy(config, 5, keys)
        strategy.stats.sent = 5
        fresh = replies()
        arrays, _ = strategy.aggregate_train(1, [fresh[i] for i in order])
        results.append(arrays["generator.w"].numpy())
        assert strategy.stats.replied == [0, 1, 2, 3, 4]
    assert all(np.array_equal(results[0], r) for r in results[1:])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_krum_and_median_drop_a_scaled_reply_the_mean_does_not(task_identity, seed: int
                                                                ) -> None:
    """Four honest clients reply weights near 1; a fifth (the plugin's ``--fault scaled``)
    replies its weights x 100. Krum (f = 1) and the coordinate-wise median stay inside the
    honest replies' range, element by element; the plain mean is pulled ~20x away."""
    from flwr.app import Array

    rng = torch.Generator().manual_seed(seed)
    clients = [{k: 1.0 + 0.1 * torch.randn(shape, generator=rng) for k, shape in EXPECTED.items()}
               for _ in range(4)]
    scale = FederatedConfig().fault_scale
    assert scale == 100.0
    outlier = {k: v * scale for k, v in clients[0].items()}  # a faulty client's scaled reply

    def replies():  # fresh each time: Flower's FedMedian pops the arrays it aggregates
        out = []
        for i, arrays in enumerate(clients + [outlier]):
            msg = reply(i, 0.0, 10, "uniform")
            record = next(iter(msg.content.array_records.values()))
            for key, value in arrays.items():
                record[key] = Array(value.numpy())
            out.append(msg)
        return out

    for key in EXPECTED:
        stacked = torch.stack([c[key] for c in clients])
        low, high = stacked.min(0).values.numpy(), stacked.max(0).values.numpy()
        for aggregator in ("krum", "median"):
            _, arrays = aggregate("uniform", replies(), aggregator)
            got = arrays[key].numpy()
            assert (got >= low).all() and (got <= high).all(), (aggregator, key)
        _, arrays = aggregate("uniform", replies(), "mean")
        # mean = (4 honest + 100 x one honest) / 5 ~ 21; honest values lie in [0.5, 1.5] (5
        # sigma), so the mean is at least (4 x 0.5 + 50) / 5 = 10.4 > 5 x 1.5.
        assert (arrays[key].numpy() > 5 * high).all(), key

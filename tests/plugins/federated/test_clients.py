"""The ClientApp's train function without a runtime: weights in, K steps, weights out; a
private critic stays in the node's Context.state; injected faults."""

from __future__ import annotations

import pytest
import torch

from wgan_plugins.federated.client import averaged_parts, client_train, prepared_critic
from wgan_plugins.federated.server import reply_problem
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.data import build_split, data_scale
from wgan_plugins.federated.models import build_models, flatten_parts

TINY = dict(clients=3, samples=300, hidden=8, depth=2, batch_size=16, n_critic=1,
            local_steps=1, drift_correction="none")


def train_message(config: FederatedConfig, round_: int = 1):  # type: ignore[no-untyped-def]
    from flwr.app import ArrayRecord, ConfigRecord, Message, MessageType, RecordDict

    split = build_split(config)
    scale = data_scale(split)
    torch.manual_seed(0)
    generator, _ = build_models(config, split.dim, split.n_clients)
    parts = {"generator": generator.state_dict(),
             "critic": prepared_critic(config, split.dim, scale).state_dict()}
    flat = flatten_parts({p: parts[p] for p in averaged_parts(config)})
    content = RecordDict({"arrays": ArrayRecord(flat), "config": ConfigRecord(
        {"round": round_, "scale": scale, "lr-g": 1e-3, "lr-c": 1e-3})})
    return Message(content, dst_node_id=1, message_type=MessageType.TRAIN), flat


def context(pid: int, n: int = 3):  # type: ignore[no-untyped-def]
    from flwr.app import Context, RecordDict

    return Context(run_id=1, node_id=10 + pid, node_config={"partition-id": pid,
                                                            "num-partitions": n},
                   state=RecordDict(), run_config={})


def test_private_critics_stay_on_their_clients(task_identity) -> None:
    config = FederatedConfig(algorithm="private-critics", **TINY)
    contexts = [context(c) for c in range(3)]
    critics = []
    for round_ in (1, 2):
        msg, flat = train_message(config, round_)
        for c, ctx in enumerate(contexts):
            out = client_train(msg, ctx, config)
            sent = out.content["arrays"]
            # No critic weight in any reply: only the generator travels.
            assert not any(k.startswith("critic.") for k in sent.keys())
            assert reply_problem(out.content, {k: tuple(v.shape) for k, v in flat.items()}) \
                is None
            assert "critic" in ctx.state
            if round_ == 2:
                critics.append(ctx.state["critic"].to_torch_state_dict())
    # After a round the clients' critics differ (each trained on its own data).
    keys = list(critics[0])
    for a in range(3):
        for b in range(a + 1, 3):
            assert any(not torch.equal(critics[a][k], critics[b][k]) for k in keys)


def test_fedgan_sends_both_networks_and_they_moved(task_identity) -> None:
    config = FederatedConfig(algorithm="fedgan", **TINY)
    msg, flat = train_message(config)
    out = client_train(msg, context(1), config)
    sent = out.content["arrays"].to_torch_state_dict()
    assert set(sent) == set(flat)
    assert any(not torch.equal(sent[k], flat[k]) for k in flat if k.startswith("critic."))
    metrics = out.content["metrics"]
    assert metrics["num-examples"] == len(build_split(config).client_points(1))
    assert metrics["weight"] == 1.0  # uniform


@pytest.mark.parametrize("fault", ["crash", "nan", "scaled"])
def test_injected_faults_hit_the_last_clients(task_identity, fault: str) -> None:
    config = FederatedConfig(faulty_clients=1, fault=fault, **TINY)
    msg, flat = train_message(config)
    expected = {k: tuple(v.shape) for k, v in flat.items()}
    healthy = client_train(msg, context(0), config)
    assert reply_problem(healthy.content, expected) is None
    if fault == "crash":
        with pytest.raises(RuntimeError, match="injected fault: client 2"):
            client_train(msg, context(2), config)
        return
    faulty = client_train(msg, context(2), config)
    problem = reply_problem(faulty.content, expected)
    if fault == "nan":
        assert problem is not None and "non-finite" in problem
    else:  # finite, so it passes the screen: a job for the robust aggregators
        assert problem is None
        big = faulty.content["arrays"]["generator.net.0.weight"].numpy()
        assert abs(big).max() > 10 * abs(flat["generator.net.0.weight"].numpy()).max()


@pytest.mark.parametrize("drift", ["none", "scaffold"])
def test_a_kept_trainer_trains_as_one_built_afresh(task_identity, monkeypatch, drift: str
                                                   ) -> None:
    """A client's trainer is kept between rounds in its process (TrainerCache); a node whose
    next round lands in another process rebuilds it from Context.state. Both must give the
    same weights, round after round."""
    from wgan_plugins.federated import client

    config = FederatedConfig(algorithm="fedgan", **{**TINY, "drift_correction": drift,
                                                     "local_steps": 2})
    replies = {}
    for keep in (True, False):
        ctx = context(1)
        for round_ in (1, 2, 3):
            if not keep:
                monkeypatch.setattr(client, "TRAINERS", client.TrainerCache())  # a new process
            msg, _ = train_message(config, round_)
            out = client_train(msg, ctx, config)
        replies[keep] = out.content["arrays"].to_torch_state_dict()
    assert replies[True].keys() == replies[False].keys()
    for key in replies[True]:
        assert torch.equal(replies[True][key], replies[False][key]), key


def test_a_trainer_is_not_reused_across_nodes_or_fresh_state(task_identity) -> None:
    from wgan_plugins.federated import client

    config = FederatedConfig(algorithm="fedgan", **TINY)
    ctx = context(0)
    client_train(train_message(config)[0], ctx, config)
    token = str(ctx.state[client.CACHE_STATE]["token"])
    key = (1, 10)
    assert client.TRAINERS.get(key, token) is not None
    assert client.TRAINERS.get(key, None) is None       # a node with no state: build afresh
    assert client.TRAINERS.get((1, 11), token) is None  # another node
    assert client.TRAINERS.get(key, "stale") is None    # the node trained elsewhere since


@pytest.mark.skipif(not __import__("wgan_core.precision", fromlist=["x"]).bf16_available("cpu"),
                    reason="torch cannot compute bfloat16 on this CPU")
def test_a_client_trains_at_the_runs_precision(task_identity) -> None:
    """--precision reaches the clients: their Trainer runs under bf16 autocast and replies
    with finite float32 weights."""
    import wgan_core.trainer as trainer_module

    config = FederatedConfig(**TINY, precision="bf16-mixed")
    message, sent = train_message(config)
    seen: list[str] = []
    original = trainer_module.Trainer._score

    def spy(self, x, cond):  # type: ignore[no-untyped-def]
        seen.append(self.precision.name)
        return original(self, x, cond)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(trainer_module.Trainer, "_score", spy)
        reply = client_train(message, context(0), config)
    assert seen and set(seen) == {"bf16-mixed"}
    assert reply_problem(reply.content, {k: tuple(v.shape) for k, v in sent.items()}) is None
    weights = next(iter(reply.content.array_records.values())).to_torch_state_dict()
    assert all(v.dtype == torch.float32 for v in weights.values())


def test_client_conditioned_generator_samples_its_mixture() -> None:
    """The latent is (noise, one-hot client): a client's own generator draws only its index;
    the global one draws indices in the mixture's shares (20 000 draws: each share within
    4.5 binomial standard deviations); the shares are not in the state dict."""
    from wgan_plugins.federated.models import ClientConditionedGenerator, mixture_weights

    g = ClientConditionedGenerator(3, 2, 4, hidden=8, depth=1)
    assert "client_weights" not in g.state_dict()
    onehot = g.set_client(2).sample_latent(50, torch.Generator().manual_seed(0))[:, 3:]
    assert torch.equal(onehot, torch.tensor([[0.0, 0.0, 1.0, 0.0]]).expand(50, 4))
    mixture = mixture_weights([10, 30, 0, 60], "samples")
    torch.testing.assert_close(mixture, torch.tensor([0.1, 0.3, 0.0, 0.6]))
    torch.testing.assert_close(mixture_weights([1, 4, 9, 16], "sqrt"),
                               torch.tensor([1.0, 2.0, 3.0, 4.0]) / 10)
    n = 20_000
    shares = g.set_mixture(mixture).sample_latent(
        n, torch.Generator().manual_seed(1))[:, 3:].mean(dim=0)
    sd = (mixture * (1 - mixture) / n).sqrt()
    assert ((shares - mixture).abs() <= 4.5 * sd + 1e-12).all(), shares
    with pytest.raises(ValueError, match="client weights"):
        g.set_mixture([1.0, -1.0, 0.0, 0.0])


def test_a_client_trains_the_generator_of_its_own_index(task_identity) -> None:
    """Without drift correction, a client's local steps change the first layer's input
    weights of its own client index and of the noise, never another client's: it trains
    only the generator of its index (the rest of the network is shared)."""
    config = FederatedConfig(algorithm="fedgan", client_conditioned=True, **TINY)
    msg, flat = train_message(config)
    key = "generator.net.0.weight"
    assert flat[key].shape[1] == config.latent_dim + 3
    sent = client_train(msg, context(1), config).content["arrays"].to_torch_state_dict()
    moved = (sent[key] != flat[key]).any(dim=0)
    noise = config.latent_dim
    assert moved[:noise].all() and moved[noise + 1]
    assert not moved[noise] and not moved[noise + 2]

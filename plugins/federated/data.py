"""Client data: a pooled labelled dataset split across clients with flwr-datasets'
partitioners, on an in-memory Hugging Face ``datasets.Dataset``.

The default split (``--partition modes``) is non-IID and imbalanced: client 0, the majority,
holds ``majority_share`` of all samples on a few modes; the other clients hold the remaining
modes, a few each, with few samples (README "Data" lists the exact split). The split is a pure
function of the config, so every process that needs it (the ServerApp, every ClientApp, in
simulation or deployment) rebuilds the same one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wgan_core.data import Batch
from wgan_core.datasets import LabelledPoints, builtin, numbered, read_points_table
from wgan_core.errors import DataError

from .config import FederatedConfig

#: A mode counts as held by a client when it makes up at least this share of its samples
#: (a Dirichlet split gives every client a sample or two of many modes).
HELD_SHARE = 0.01


@dataclass
class ClientSplit:
    """The pooled data and each client's part of it (points in data units)."""

    name: str
    dim: int
    points: Tensor  # [N, dim], all clients together
    labels: Tensor  # [N] mode / class label, -1 when the data has none
    owner: Tensor  # [N] the client holding each row
    n_clients: int
    majority: int  # the majority client (the largest one)
    modes: Tensor | None = None  # mixture centres, when the data is a mixture
    std: float = 0.0
    n_labels: int = 0
    label_names: list[str] = field(default_factory=list)

    def client_points(self, c: int) -> Tensor:
        return self.points[self.owner == c]

    def client_labels(self, c: int) -> Tensor:
        return self.labels[self.owner == c]

    @property
    def sizes(self) -> list[int]:
        return [int((self.owner == c).sum()) for c in range(self.n_clients)]

    @property
    def shares(self) -> list[float]:
        total = len(self.points)
        return [n / total for n in self.sizes]

    def held_labels(self, c: int) -> list[int]:
        """The labels that make up at least HELD_SHARE of client c's samples."""
        if self.n_labels == 0:
            return []
        lab = self.client_labels(c)
        counts = torch.bincount(lab, minlength=self.n_labels).double()
        return [int(i) for i in torch.nonzero(counts >= HELD_SHARE * max(len(lab), 1)).flatten()]

    @property
    def minority_labels(self) -> list[int]:
        """Labels no sample of which the majority client holds (held only by the others)."""
        if self.n_labels == 0:
            return []
        held = set(self.client_labels(self.majority).tolist())
        return [i for i in range(self.n_labels) if i not in held]

    def label_holder(self) -> list[int]:
        """For each label, the client holding most of its samples (-1 if none)."""
        out = []
        for i in range(self.n_labels):
            owners = self.owner[self.labels == i]
            out.append(int(torch.bincount(owners, minlength=self.n_clients).argmax())
                       if len(owners) else -1)
        return out


def majority_mode_count(n_labels: int) -> int:
    """How many modes the majority client holds under --partition modes: 28 % of them
    (grid25: 7, ring8: 2, digits: 3)."""
    return max(1, round(0.28 * n_labels))


def mode_assignment(n_labels: int, n_clients: int) -> list[list[int]]:
    """The labels each client holds under --partition modes. The majority (client 0) holds
    labels spread over the set (round(k * M / m) for k < m); the others hold the rest in
    order, dealt round-robin (client c gets rest[c-1], rest[c-1 + C-1], ...). With more
    minority clients than remaining labels, clients share labels (client c: rest[(c-1) % R])."""
    m = majority_mode_count(n_labels)
    major = sorted({round(k * n_labels / m) for k in range(m)})
    rest = [i for i in range(n_labels) if i not in major]
    others = n_clients - 1
    if others <= len(rest):
        return [major] + [rest[c::others] for c in range(others)]
    return [major] + [[rest[c % len(rest)]] for c in range(others)]


def _hf_dataset(labels: np.ndarray, owner: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """An in-memory ``datasets.Dataset`` of row ids and labels (the partitioners split rows;
    the points stay in a tensor)."""
    from datasets import Dataset

    columns = {"row": np.arange(len(labels)).tolist(), "label": labels.tolist()}
    if owner is not None:
        columns["owner"] = owner.tolist()
    return Dataset.from_dict(columns)


def _partition_rows(partitioner, dataset, n_clients: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The client of each row, from a flwr-datasets partitioner."""
    partitioner.dataset = dataset
    owner = np.full(len(dataset), -1, dtype=np.int64)
    for c in range(n_clients):
        rows = np.asarray(partitioner.load_partition(c)["row"], dtype=np.int64)
        owner[rows] = c
    return owner


def _modes_rows(source: LabelledPoints, config: FederatedConfig, rng: torch.Generator
                ) -> tuple[Tensor, Tensor, np.ndarray]:
    """Points, labels and the intended owner of every row for --partition modes."""
    c_count = config.clients
    if c_count < 2:
        raise DataError("--partition modes needs at least 2 clients (a majority and one "
                        "more); use --partition iid for one client")
    n_labels = source.n_labels
    assign = mode_assignment(n_labels, c_count)
    major = assign[0]
    minor = sorted({i for held in assign[1:] for i in held})
    holders: dict[int, list[int]] = {}
    for c, held in enumerate(assign):
        for i in held:
            holders.setdefault(i, []).append(c)
    share = config.majority_share
    if source.modes is not None:
        # A mixture: draw exactly as many points per mode as the split asks for.
        n_major = round(share * config.samples)
        per_mode = {i: n_major // len(major) for i in major}
        per_mode.update({i: (config.samples - n_major) // len(minor) for i in minor})
        pts, labs = [], []
        for i in range(n_labels):
            k = per_mode.get(i, 0)
            pts.append(source.modes[i] + source.std * torch.randn(k, source.dim, generator=rng))
            labs.append(torch.full((k,), i, dtype=torch.long))
        points, labels = torch.cat(pts), torch.cat(labs)
    else:
        # A finite set (digits): the majority keeps all rows of its classes; the minority
        # classes are subsampled so that the majority ends with ``share`` of all rows.
        assert source.points is not None and source.labels is not None
        keep = [torch.nonzero(source.labels == i).flatten() for i in range(n_labels)]
        n_major = sum(len(keep[i]) for i in major)
        n_minor = round(n_major * (1 - share) / share)
        per_class = max(1, n_minor // len(minor))
        rows = []
        for i in range(n_labels):
            idx = keep[i]
            if i in minor:
                idx = idx[torch.randperm(len(idx), generator=rng)[:per_class]]
            rows.append(idx)
        idx = torch.cat(rows)
        points, labels = source.points[idx], source.labels[idx]
    owner = np.full(len(labels), -1, dtype=np.int64)
    lab = labels.numpy()
    for i, hs in holders.items():
        rows_i = np.nonzero(lab == i)[0]
        for j, c in enumerate(hs):  # a shared mode's rows are dealt to its holders in turn
            owner[rows_i[j::len(hs)]] = c
    return points, labels, owner


def _load_source(config: FederatedConfig) -> tuple[LabelledPoints, np.ndarray | None]:
    """The pooled data, and the client column of a user's file (None otherwise)."""
    if config.data is None:
        return builtin(config.dataset), None
    table = read_points_table(Path(config.data), {"client": "client"}, optional=("client",))
    data = LabelledPoints(table.name, table.points.shape[1], points=table.points)
    if "client" not in table.text:
        return data, None
    clients = numbered(table.text["client"])[0].numpy()
    return data, clients


def _build_split(config: FederatedConfig) -> ClientSplit:
    from flwr_datasets.partitioner import (DirichletPartitioner, IidPartitioner,
                                           NaturalIdPartitioner, PathologicalPartitioner)

    source, client_column = _load_source(config)
    rng = torch.Generator().manual_seed(config.seed + 7919)
    n_clients = config.clients
    if client_column is not None:
        # The user's file says who holds what: Flower's natural-id partitioner.
        assert source.points is not None
        points = source.points
        labels = torch.full((len(points),), -1, dtype=torch.long)
        n_clients = int(client_column.max()) + 1
        ds = _hf_dataset(labels.numpy(), client_column)
        owner = _partition_rows(NaturalIdPartitioner(partition_by="owner"), ds, n_clients)
    else:
        if config.partition == "modes":
            if source.n_labels == 0:
                raise DataError(f"{config.data}: --partition modes needs labelled data; add a "
                                f"'client' column or use --partition iid")
            points, labels, intended = _modes_rows(source, config, rng)
            if len(points) < n_clients:
                raise DataError(f"{n_clients} clients but only {len(points)} samples; use "
                                f"fewer --clients or more --samples")
            ds = _hf_dataset(labels.numpy(), intended)
            # Partition i holds owner i: the pathological partitioner, one "class" (owner)
            # per partition, assigned deterministically.
            part = PathologicalPartitioner(num_partitions=n_clients, partition_by="owner",
                                           num_classes_per_partition=1,
                                           class_assignment_mode="first-deterministic",
                                           shuffle=False)
            owner = _partition_rows(part, ds, n_clients)
        else:
            if source.points is not None:
                points = source.points
                labels = (source.labels if source.labels is not None
                          else torch.full((len(points),), -1, dtype=torch.long))
            else:
                points, labels = source.sample_labelled(config.samples, rng)
            if len(points) < n_clients:
                raise DataError(f"{n_clients} clients but only {len(points)} samples; use "
                                f"fewer --clients or more --samples")
            ds = _hf_dataset(labels.numpy())
            if config.partition == "iid":
                part = IidPartitioner(num_partitions=n_clients)
            else:
                if source.n_labels == 0:
                    raise DataError(f"{config.data}: --partition dirichlet needs labelled "
                                    f"data; add a 'client' column or use --partition iid")
                part = DirichletPartitioner(num_partitions=n_clients, partition_by="label",
                                            alpha=config.alpha, min_partition_size=1,
                                            self_balancing=False, seed=config.seed)
            try:
                owner = _partition_rows(part, ds, n_clients)
            except ValueError as exc:
                raise DataError(f"--partition {config.partition}: {exc}".splitlines()[0]
                                ) from None
    owner_t = torch.as_tensor(owner)
    if (owner_t < 0).any():  # pragma: no cover - the partitioners cover every row
        raise DataError("the partition left some rows without a client")
    sizes = torch.bincount(owner_t, minlength=n_clients)
    empty = [c for c in range(n_clients) if sizes[c] == 0]
    if empty:
        raise DataError(f"client {empty[0]} would hold no data ({len(empty)} of {n_clients} "
                        f"clients empty); use fewer --clients or another --partition")
    return ClientSplit(
        name=source.name, dim=source.dim, points=points.float(), labels=labels.long(),
        owner=owner_t, n_clients=n_clients, majority=int(sizes.argmax()),
        modes=source.modes, std=source.std,
        n_labels=source.n_labels if client_column is None else 0,
        label_names=list(source.label_names))


def _split_key(config: FederatedConfig) -> tuple:
    return (config.data and str(config.data), config.dataset, config.partition, config.clients,
            config.alpha, config.majority_share, config.samples, config.seed)


_CACHE: dict[tuple, ClientSplit] = {}


def build_split(config: FederatedConfig) -> ClientSplit:
    """The client split of a config (cached per process: every ClientApp call asks)."""
    key = _split_key(config)
    if key not in _CACHE:
        if len(_CACHE) > 4:
            _CACHE.clear()
        _CACHE[key] = _build_split(config)
    return _CACHE[key]


def data_scale(split: ClientSplit) -> float:
    """1 / (standard deviation of the pooled data): the networks see normalised points."""
    std = float(split.points.std())
    return 1.0 / std if std > 0 and math.isfinite(std) else 1.0


class ClientSource:
    """A client's trainer data source: uniform minibatches of its own points, scaled."""

    def __init__(self, points: Tensor, scale: float) -> None:
        self.points = points * scale

    def __call__(self, batch_size: int, generator: torch.Generator) -> Batch:
        idx = torch.randint(0, len(self.points), (batch_size,), generator=generator)
        return Batch(real=self.points[idx])

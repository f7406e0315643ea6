"""Training on several processes: a small strategy object the Trainer holds (Lightning's idea).

``Strategy`` is one process and does nothing. ``TorchDistributed`` is ``torch.distributed``
as ``torchrun`` launches it (gloo on CPU, NCCL on CUDA, ``cuda:LOCAL_RANK``): each rank trains
on its shard of the global batch and gradients are averaged over ranks before every optimizer
step, so ``--batch-size`` stays the global batch and the result does not change with the
number of processes.

Why gradients are all-reduced here and not by DistributedDataParallel: DDP documents that it
does not support ``torch.autograd.grad`` on the wrapped module, and the gradient penalty's
double backward needs exactly that; StyleGAN2-ADA reduces gradients itself for the same
reason. Every rank draws the *global* batch from the same random stream and keeps its shard,
so the ranks see what one process would see, and the weights stay identical on every rank
(spectral normalization's power iteration and the generator's EMA depend only on them).

``strategy_from_environment()`` reads the variables torchrun sets for every process (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT): that is how ``torch.distributed`` is
configured, not an option of this project.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable

import torch
from torch import Tensor

from . import tensors as T
from .errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from .constraints import Constraint
    from .data import Batch
    from .spaces import MetricSpace
    from .tensors import Sample


class Strategy:
    """One process: rank 0 of 1. Every collective is the identity."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run folder (rank 0)."""
        return self.rank == 0

    def device(self, name: str) -> torch.device:
        """The device this process trains on, for the config's ``device`` name."""
        from .trainer import resolve_device

        return resolve_device(name)

    def shard(self, n: int) -> slice:
        """The rows of a global batch of ``n`` that this process trains on."""
        return slice(0, n)

    def critic_penalty(self, constraint: "Constraint", critic: torch.nn.Module, batch: "Batch",
                       fake: "Sample", rows: slice | None, space: "MetricSpace",
                       rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """The constraint's penalty on this process's rows of ``batch`` (``fake``: their
        generated samples), and the weight the real expectation divides by (None: the rows'
        own). One process: the constraint's penalty on the whole batch."""
        return constraint.penalty(critic, batch.real, fake, batch.cond, space, rng,
                                  groups=batch.group), None

    def all_reduce_gradients(self, params: Iterable[torch.nn.Parameter]) -> None:
        """Average the parameters' gradients over processes (in place)."""

    def all_reduce_mean(self, values: Tensor) -> Tensor:
        """The mean of ``values`` over processes."""
        return values

    def barrier(self) -> None:
        """Wait until every process gets here."""

    def broadcast_object(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every process (any picklable object)."""
        return obj

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class TorchDistributed(Strategy):
    """``torch.distributed`` on the process group ``torchrun`` prepares."""

    def __init__(self, device_name: str = "auto") -> None:
        import torch.distributed as dist

        self.dist = dist
        self.rank = int(os.environ["RANK"])
        self.world_size = int(os.environ["WORLD_SIZE"])
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = device_name in ("auto", "cuda") and torch.cuda.is_available()
        if device_name == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device 'cuda' requested but no CUDA device is available")
        self._device = torch.device(f"cuda:{self.local_rank}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(self._device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if cuda else "gloo")

    def device(self, name: str) -> torch.device:
        return self._device

    def shard(self, n: int) -> slice:
        if n % self.world_size:
            raise ConfigError(f"a batch of {n} does not divide by the {self.world_size} "
                              f"processes; choose a --batch-size that is a multiple of "
                              f"{self.world_size}")
        size = n // self.world_size
        return slice(self.rank * size, (self.rank + 1) * size)

    def critic_penalty(self, constraint: "Constraint", critic: torch.nn.Module, batch: "Batch",
                       fake: "Sample", rows: slice | None, space: "MetricSpace",
                       rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
        assert rows is not None
        # The penalty draws its points for the whole batch, as one process would (other
        # rows' fakes are never scored: zeros stand in for them), and scores this process's
        # rows; the real expectation divides by this process's share of the batch's weight.
        whole_fake = T.apply(torch.zeros_like, batch.real)
        for part, mine in zip(T.as_tuple(whole_fake), T.as_tuple(fake)):
            part[rows] = mine
        penalty = constraint.penalty(critic, batch.real, whole_fake, batch.cond, space, rng,
                                     groups=batch.group, shard=rows)
        total_weight = (None if batch.weight is None
                        else batch.weight.sum() / self.world_size)
        return penalty, total_weight

    def all_reduce_gradients(self, params: Iterable[torch.nn.Parameter]) -> None:
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        # One flat buffer, one collective (as DDP's buckets do), then back into place.
        flat = torch.cat([g.reshape(-1) for g in grads])
        self.dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def all_reduce_mean(self, values: Tensor) -> Tensor:
        out = values.detach().clone()
        self.dist.all_reduce(out)
        return out / self.world_size

    def barrier(self) -> None:
        self.dist.barrier()

    def broadcast_object(self, obj: Any) -> Any:
        box = [obj]
        self.dist.broadcast_object_list(box, src=0)
        return box[0]

    def __repr__(self) -> str:
        return f"TorchDistributed(rank={self.rank}, world_size={self.world_size})"


def strategy_from_environment(device_name: str = "auto") -> Strategy:
    """``TorchDistributed`` when this process was started by torchrun with more than one
    process, else the one-process ``Strategy``."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ:
        return TorchDistributed(device_name)
    return Strategy()

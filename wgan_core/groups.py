"""Groups of samples: fairness groups, federated clients and mixture modes alike.

A plugin whose samples fall into groups offers ``Plugin.audit(run_dir, n, seed, device) ->
GroupedSamples``: real reference samples and ``n`` generated ones, each with an integer
group, and how a generated sample got its group. The group-wise metrics of this module (and
``wgan audit``) take it from there, knowing no domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


@dataclass
class GroupedSamples:
    """Real and generated samples with a group each (integers indexing ``group_names``).

    ``assignment`` says how generated samples got their group ("nearest mode", "classifier,
    held-out accuracy 0.96", "generated column"); ``target`` is the share each group should
    have (None: uniform over groups). When the data has known modes, ``modes`` ([M, dim]),
    ``mode_groups`` ([M], the group of each mode) and ``mode_std`` allow per-group mode
    coverage; otherwise k-NN coverage on each group's real samples is used."""

    real: Tensor
    real_groups: Tensor
    fake: Tensor
    fake_groups: Tensor
    group_names: list[str]
    assignment: str
    target: Tensor | None = None
    modes: Tensor | None = None
    mode_groups: Tensor | None = None
    mode_std: float = 0.0

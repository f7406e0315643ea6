"""Plugin ``fairness``: WGANs on data with an under-represented group — reweighting of the real
expectation, a gradient penalty averaged over groups, and the group-wise audit."""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]

"""graphgen: the Wasserstein distance needs only a metric, so it works on graphs.

``--mode graphs`` learns a distribution over whole graphs; ``--mode nodes`` learns a
distribution over the nodes of one graph under its shortest-path metric.
"""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]

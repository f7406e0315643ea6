"""Plugin ``toy``: WGANs on 2-D mixtures (ring8, grid25) and the swiss roll, with PacGAN's
mode-coverage protocol, exact W1 and pictures of the critic's landscape."""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]

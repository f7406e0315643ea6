"""Image-to-image translation plugin: ``wgan run img2img`` and ``wgan apply``."""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]

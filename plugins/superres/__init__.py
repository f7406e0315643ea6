"""Super-resolution plugin: ``wgan run superres`` and ``wgan apply RUN_DIR INPUT OUTPUT``."""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]

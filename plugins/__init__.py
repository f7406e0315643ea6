"""Built-in plugins of wgan. Each sub-package exposes ``PLUGIN`` and is registered through the
``wgan.plugins`` entry-point group, exactly as a third-party plugin is."""

"""wgan_cli: the ``wgan`` command line (Click). It reaches plugins only through the registry."""

"""``python -m wgan_cli`` runs the same command line as ``wgan``."""

from .main import main

if __name__ == "__main__":
    main()

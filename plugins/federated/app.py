"""The Flower App of ``wgan run federated`` for Flower's deployment runtime (one SuperLink, N
SuperNodes): ``flower_app/pyproject.toml`` names ``server_app`` and ``client_app`` here.

Both are built when Flower asks for them (PEP 562's module ``__getattr__``), not at import.
The ServerApp writes the same run folder as ``wgan run federated``: it calls
``wgan_core.runs.execute`` with the plugin, its ``run`` replaced by one that serves the
deployment's grid (handed down in a closure, not through module state); the run config's
``out`` names the folder (on the ServerApp's machine) and ``resume`` continues one.
"""

from __future__ import annotations

import dataclasses
from logging import INFO
from pathlib import Path
from typing import Any

#: The two names Flower's App config refers to; built on first access by ``__getattr__``
#: (Flower's ``flwr run`` checks statically that a module lists the names it will ask for).
__all__ = ["client_app", "deployed_main", "server_app"]


def deployed_main(grid: Any, context: Any) -> None:
    """The deployed ServerApp's main."""
    from flwr.supercore import log

    from wgan_core.runs import execute

    from .config import options_from_run_config
    from .data import build_split
    from .plugin import PLUGIN, set_flower_env
    from .server import serve

    set_flower_env()
    run_config = dict(context.run_config)
    out = str(run_config.get("out", "") or "")
    resume = str(run_config.get("resume", "") or "")
    options = options_from_run_config(run_config)

    def run_on_grid(config: Any, run_context: Any) -> Any:
        return serve(grid, config, run_context, build_split(config))

    result = execute(dataclasses.replace(PLUGIN, run=run_on_grid), {} if resume else options,
                     out=Path(out) if out and not resume else None,
                     resume=Path(resume) if resume else None, progress=False)
    log(INFO, "wgan federated: run folder %s", result.run_dir)


def __getattr__(name: str) -> Any:
    if name == "server_app":
        from .server import make_server_app

        return make_server_app(deployed_main)
    if name == "client_app":
        from .client import make_client_app

        return make_client_app(None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

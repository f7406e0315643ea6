"""Commands of the federated plugin's own, offered by the CLI as ``wgan federated COMMAND``
(``Plugin.commands``): ``keys`` writes what a secure deployment needs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("keys")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--nodes", type=click.IntRange(min=1), required=True,
              help="Number of SuperNodes: one key pair each (node-0 … node-N-1).")
@click.option("--host", "hosts", multiple=True, metavar="NAME",
              help="A host name or IP address the SuperNodes reach the SuperLink by "
                   "(repeat it; 127.0.0.1 and localhost are always included).")
def keys_command(directory: Path, nodes: int, hosts: tuple[str, ...]) -> None:
    """Write a CA, the SuperLink's TLS certificate and one key pair per SuperNode into
    DIRECTORY (made if missing; existing files are never overwritten): ca.crt, ca.key,
    server.crt, server.key, node-K.key and node-K.pub. How to use them:
    plugins/federated/README.md, "Deployment"."""
    from .keys import write_keys  # cryptography only when keys are made

    for path in write_keys(directory, nodes, hosts):
        click.echo(str(path))
    click.echo(f"next: register each node-K.pub on the running SuperLink with "
               f"'flwr supernode register {directory}/node-K.pub CONNECTION'; keep ca.key "
               f"offline and give each machine only its own files", err=True)


def commands() -> list[click.Command]:
    """The plugin's commands (``Plugin.commands``)."""
    return [keys_command]

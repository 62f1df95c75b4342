"""The `alskg` command line: one module per command group, assembled into one click group."""

from __future__ import annotations

import click

from .. import __version__
from . import build, evidence, export, query, serve, store
from .options import AlskgGroup


@click.group(cls=AlskgGroup)
@click.version_option(__version__, prog_name="alskg")
def main() -> None:
    """alskg: the ALS therapies knowledge graph and its SPARQL endpoint."""


for _module in (build, query, serve, evidence, export, store):
    for _command in _module.COMMANDS:
        main.add_command(_command)

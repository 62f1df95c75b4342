"""What every `alskg` command shares: the error report, `--build-dir`, opening the build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..assembly.store import BuiltDataset
from ..errors import AlskgError

FORMAT_CHOICES = ("table", "json", "xml", "csv", "tsv", "ttl", "turtle", "nt", "nquads", "trig",
                  "jsonld", "rdfxml")


def report(error: AlskgError) -> None:
    """Print one of the project's errors (`error: ...`) and exit with its code."""
    label = f"{error.label}: " if error.label else ""
    click.echo(f"error: {label}{error}", err=True)
    sys.exit(error.exit_code)


def report_os_error(error: OSError) -> None:
    """Print a file-system failure no step turned into a project error (a full disk, a folder
    that cannot be written) as one line naming the file and the cause; exit 2."""
    reason = error.strerror or str(error)
    where = f"{error.filename}: " if error.filename else ""
    click.echo(f"error: {where}{reason}", err=True)
    sys.exit(2)


class AlskgCommand(click.Command):
    """A command that reports AlskgError (and any OSError) as one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning the project's errors into messages."""
        try:
            return super().invoke(ctx)
        except AlskgError as exc:
            report(exc)
        except OSError as exc:
            report_os_error(exc)


class AlskgGroup(click.Group):
    """The `alskg` group: its commands report the project's errors the same way."""

    command_class = AlskgCommand

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning the project's errors into messages."""
        try:
            return super().invoke(ctx)
        except AlskgError as exc:
            report(exc)
        except OSError as exc:
            report_os_error(exc)


build_dir_option = click.option(
    "--build-dir", type=click.Path(path_type=Path), default=None,
    help="Folder of builds (default: $ALSKG_BUILD_DIR or ./.alskg).")


def ensure_build(build_dir: Path | None) -> BuiltDataset:
    """Open the current build, building it first when there is none (saying so on stderr)."""
    from ..assembly.pipeline import ensure_build as open_or_build

    return open_or_build(build_dir, notify=lambda message: click.echo(message, err=True))

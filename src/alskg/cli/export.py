"""`alskg export`: write the deterministic dumps of the current build, with SHA256SUMS."""

from __future__ import annotations

from pathlib import Path

import click

from ..publishing.dumps import CHECKSUM_FILE, FORMAT_KEYS, Exported
from .options import AlskgCommand, build_dir_option, ensure_build


@click.command("export", cls=AlskgCommand)
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMAT_KEYS),
              help="Format to write (repeatable; default: all): ttl, nt (gzip), nq, trig, "
                   "jsonld, owl (ontology as .ttl and .owl), kgx (nodes/edges.tsv), sssom.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write into (created if missing).")
@build_dir_option
def export_command(formats: tuple[str, ...], out: Path, build_dir: Path | None) -> None:
    """Write the dumps of the current build, byte-identical for the same build, with SHA256SUMS."""
    from ..publishing.dumps import export

    built = ensure_build(build_dir)

    def report(item: Exported) -> None:
        click.echo(f"  {item.size:>10,} B  {item.sha256[:16]}  {item.path.name}")

    click.echo(f"exporting build {built.path.name} to {out}")
    written = export(built, out, formats or FORMAT_KEYS, progress=report)
    click.echo(f"  {len(written)} file(s); checksums in {out / CHECKSUM_FILE} "
               f"(check with: cd {out} && sha256sum -c {CHECKSUM_FILE})")


COMMANDS = [export_command]

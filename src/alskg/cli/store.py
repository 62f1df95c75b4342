"""Scale-out commands: `alskg publish` (push the build into a SPARQL store) and `alskg import`."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from ..assembly.store import default_root
from .options import AlskgCommand, build_dir_option, ensure_build


@click.command("publish", cls=AlskgCommand)
@click.option("--store", envvar="ALSKG_STORE", required=True,
              help="Query endpoint of the store: sparql+http://host:port/sparql "
                   "(default $ALSKG_STORE).")
@click.option("--update-url", default=None,
              help="SPARQL Update endpoint (default: the store URL). Writes with "
                   "DROP SILENT GRAPH + INSERT DATA in chunks.")
@click.option("--gsp-url", default=None,
              help="Graph Store Protocol endpoint; writes each graph with PUT (then POST for "
                   "further chunks) instead of SPARQL Update.")
@click.option("--auth", envvar="ALSKG_STORE_AUTH", default=None,
              help="user:password for the store (basic or digest, as the store asks; "
                   "default $ALSKG_STORE_AUTH).")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds allowed per request.")
@build_dir_option
def publish_command(store: str, update_url: str | None, gsp_url: str | None, auth: str | None,
                    timeout: float, build_dir: Path | None) -> None:
    """Push each named graph of the current build into a SPARQL store, then verify counts.

    Then serve from it with `alskg serve --store sparql+http://… --engine remote`.
    Virtuoso: its /sparql accepts updates after GRANT SPARQL_UPDATE TO "SPARQL"; or use
    --update-url …/sparql-auth or --gsp-url …/sparql-graph-crud-auth with --auth dba:….
    """
    from ..publishing.push import Publisher

    if update_url and gsp_url:
        raise click.UsageError("give --update-url or --gsp-url, not both")
    built = ensure_build(build_dir)
    try:
        publisher = Publisher(store, update_url=update_url, gsp_url=gsp_url, auth=auth,
                              timeout=timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    target = publisher.gsp_url or publisher.update_url
    click.echo(f"publishing build {built.content_hash[:12]} to {target} ({publisher.method})")
    report = publisher.publish(built.dataset_file, progress=click.echo)
    for item in report.graphs:
        if not item.ok:
            click.echo(f"error: {item.graph}: the store holds {item.found} triples, the build "
                       f"{item.expected}", err=True)
    if not report.ok:
        sys.exit(1)
    total = sum(g.expected for g in report.graphs)
    click.echo(f"published {total} triples in {len(report.graphs)} graphs in "
               f"{report.seconds:.2f} s; counts verified")


@click.command("import", cls=AlskgCommand)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--graph", default=None,
              help="Target named graph for every file (default: <base>graph/import/<file name>).")
@click.option("--store-path", type=click.Path(path_type=Path), default=None,
              help="On-disk Oxigraph store (default: <build root>/store).")
@click.option("--format", "fmt", default=None,
              help="nt, nq, ttl, trig, n3, rdfxml or jsonld (default: from the file name).")
@click.option("--with-build/--without-build", default=True,
              help="Also copy the current build's graphs into the store, so it can be served "
                   "on its own (default on).")
@click.option("--base", default=None, help="The graph's IRI base (default https://w3id.org/alskg/).")
@build_dir_option
def import_command(files: tuple[Path, ...], graph: str | None, store_path: Path | None,
                   fmt: str | None, with_build: bool, base: str | None,
                   build_dir: Path | None) -> None:
    """Stream N-Triples, N-Quads, Turtle (gzip too) into named graphs of an on-disk store.

    Each file goes into its own named graph, replacing it. Malformed input stops the import
    with file:line and leaves the store as it was. With no FILES, only the build's graphs are
    refreshed.
    """
    from ..curation.namespaces import DEFAULT_BASE
    from ..publishing.importer import Progress, import_files

    base = base or os.environ.get("ALSKG_BASE") or DEFAULT_BASE
    root = (build_dir or default_root()).resolve()
    target = store_path or root / "store"
    built = ensure_build(build_dir) if with_build else None
    if not files and built is None:
        raise click.UsageError("nothing to do: give FILES, or keep --with-build")
    progress = Progress()
    if not progress.enabled:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = import_files(list(files), target, graph=graph, base=base, fmt=fmt, built=built,
                          progress=progress, on_wait=lambda holder: click.echo(
                              f"waiting for the import running in process {holder} into "
                              f"{target} to finish…", err=True))
    for item in report.files:
        rate = item.triples / item.seconds if item.seconds else 0.0
        click.echo(f"{item.triples:>11,} triples  {item.path} -> <{item.graph}>  "
                   f"({item.seconds:.2f} s, {rate:,.0f} triples/s)")
    if report.build_hash and built is not None:
        click.echo(f"build {report.build_hash[:12]} graphs copied into the store")
    click.echo(f"store {report.store_path} -> {report.version.name}: "
               f"{sum(report.graphs.values()):,} triples in {len(report.graphs)} graphs "
               f"({report.seconds:.2f} s)")


COMMANDS = [publish_command, import_command]

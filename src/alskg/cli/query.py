"""`alskg query`, `alskg queries` and `alskg explain`: ask the build from the terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from .options import FORMAT_CHOICES, AlskgCommand, build_dir_option, ensure_build


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """Parse `key=value` pairs from --param options."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        values[key.strip()] = value
    return values


def read_query_file(path: Path) -> str:
    """Read a query file as UTF-8 text; a missing, unreadable or binary file is an InputError
    naming the file (one line, exit 2), never a traceback."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"--file {path}: {exc.strerror or exc}") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"--file {path}: a binary file, not SPARQL text (NUL byte at offset "
                         f"{nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"--file {path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                         f"offset {exc.start})") from None


@click.command("query", cls=AlskgCommand)
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.Path(path_type=Path),
              help="Read the query from a file (UTF-8 text).")
@click.option("--name", "-n", help="Run a named query from queries/.")
@click.option("--param", "-p", "params", multiple=True, help="key=value for a named query.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table",
              show_default=True)
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph",
              show_default=True)
@click.option("--inference/--no-inference", default=True,
              help="Include the inferred graph in the default graph (default on).")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds for the query and the writing of its answer (exit 3 past it).")
@build_dir_option
def query_command(sparql: str | None, query_file: Path | None, name: str | None,
                  params: tuple[str, ...], fmt: str, engine: str, inference: bool,
                  timeout: float, build_dir: Path | None) -> None:
    """Run SPARQL (text, --file or a named query) against the build; prefixes are pre-declared."""
    from ..formats import media as formats
    from ..formats.text_table import render_table
    from ..query.catalog import find_query
    from ..query.engines import DatasetSpec, open_engine
    from ..query.resolve import resolve

    sources = [x for x in (sparql, query_file, name) if x]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of: SPARQL text, --file or --name")
    named = None
    if name:
        named = find_query(name)
        if named is None:
            raise click.UsageError(f"no named query {name!r}; see `alskg queries`")
        text = named.text
    elif query_file:
        text = read_query_file(query_file)
    else:
        assert sparql is not None
        text = sparql
    built = ensure_build(build_dir)
    runner = open_engine(engine, built.dataset_file)
    deadline = time.monotonic() + timeout  # the limit covers writing the answer too
    bindings: dict[str, Any] = {}
    if named is not None:
        spec = DatasetSpec(inference=inference)

        def rows(query: str) -> list[dict[str, Any]]:
            found = runner.run(query, spec, max_rows=1000, timeout=timeout)
            return [{v: t for v, t in zip(found.variables, row, strict=True) if t is not None}
                    for row in found.rows]

        bindings = resolve(named, parse_params(params), runner.prefixes, rows,
                           lambda query: bool(runner.run(query, spec, timeout=timeout).boolean))
    outcome = runner.run(text, DatasetSpec(inference=inference), bindings=bindings,
                         max_rows=1_000_000, timeout=timeout)
    if fmt == "table":
        click.echo(render_table(outcome, runner.prefixes))
        return
    chosen = formats.by_name(fmt, outcome.form)
    if chosen is None:
        kind = "SELECT/ASK" if outcome.form in ("SELECT", "ASK") else "graph"
        raise click.UsageError(f"format {fmt!r} does not fit a {kind} result")
    sys.stdout.buffer.write(formats.serialize(outcome, chosen, runner.prefixes, deadline))
    sys.stdout.flush()


@click.command("queries", cls=AlskgCommand)
def queries_command() -> None:
    """List the named queries with their summaries and parameters."""
    from ..query.catalog import load_catalog

    for query in load_catalog():
        params = ", ".join(f"{p.name}:{p.type}" for p in query.params)
        click.echo(f"{query.name:<34} {query.summary}" + (f"  [{params}]" if params else ""))


@click.command("explain", cls=AlskgCommand)
@click.argument("subject")
@click.argument("predicate")
@click.argument("obj", metavar="OBJECT")
@build_dir_option
def explain_command(subject: str, predicate: str, obj: str, build_dir: Path | None) -> None:
    """Print the derivation tree of an inferred triple (IRIs, CURIEs or prefixed names)."""
    from ..reasoning.lookup import explain_triple

    built = ensure_build(build_dir)
    text, found = explain_triple(built, subject, predicate, obj)
    click.echo(text)
    if not found:
        sys.exit(1)


COMMANDS = [query_command, queries_command, explain_command]

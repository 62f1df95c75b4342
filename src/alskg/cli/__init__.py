"""The `alskg` command line: build, validate, query, named queries, explain, serve and more."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..build.store import BuiltDataset, default_root, open_build
from ..errors import AlskgError, QuerySyntaxError

FORMAT_CHOICES = ("table", "json", "xml", "csv", "tsv", "ttl", "turtle", "nt", "nquads", "trig",
                  "jsonld", "rdfxml")


class AlskgGroup(click.Group):
    """A click group that reports AlskgError as a message and an exit code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning known errors into messages."""
        try:
            return super().invoke(ctx)
        except AlskgError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


build_dir_option = click.option(
    "--build-dir", type=click.Path(path_type=Path), default=None,
    help="Folder of builds (default: $ALSKG_BUILD_DIR or ./.alskg).")


@click.group(cls=AlskgGroup)
@click.version_option(__version__, prog_name="alskg")
def main() -> None:
    """alskg: the ALS therapies knowledge graph and its SPARQL endpoint."""


def ensure_build(build_dir: Path | None) -> BuiltDataset:
    """Open the current build, building it first when there is none."""
    from ..build.pipeline import BuildOptions, build

    root = build_dir or default_root()
    if os.path.lexists(root / "current"):
        return open_build(root)  # a corrupt build is an error naming the file, never rebuilt
    click.echo(f"no build in {root}; building first…", err=True)
    return build(BuildOptions(root=root))


@main.command("build")
@build_dir_option
@click.option("--reason/--no-reason", default=True, help="Materialise inferences (default on).")
@click.option("--reasoner", type=click.Choice(["owlrl", "rules"]), default="owlrl",
              show_default=True, help="OWL 2 RL via owlrl, or the compiled semi-naive rules.")
@click.option("--validate/--no-validate", default=True, help="Run SHACL and identifier checks.")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Curated Turtle folder (default: the project's data/).")
@click.option("--ontology-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder with als.ttl and shapes.ttl (default: the project's ontology/).")
def build_command(build_dir: Path | None, reason: bool, reasoner: str, validate: bool,
                  data_dir: Path | None, ontology_dir: Path | None) -> None:
    """Parse, validate and reason; write the dataset and its receipt atomically."""
    from ..build.pipeline import BuildOptions, build

    built = build(BuildOptions(root=build_dir or default_root(), ontology_dir=ontology_dir,
                               data_dir=data_dir, validate=validate, reason=reason,
                               reasoner=reasoner))
    receipt = built.receipt
    click.echo(f"built {built.path}")
    for graph, count in receipt["graphs"].items():
        click.echo(f"  {count:>7} triples  {graph}")
    click.echo(f"  content hash {receipt['content_hash']}")
    if receipt["reasoning"].get("mode") != "none":
        reasoning = receipt["reasoning"]
        click.echo(f"  reasoning ({reasoning['mode']}): {reasoning['inferred_triples']} inferred "
                   f"in {reasoning['seconds']} s; noise filtered {reasoning['noise_filtered']}")
    click.echo(f"  {receipt['seconds']} s")


@main.command("validate")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None)
@click.option("--ontology-dir", type=click.Path(path_type=Path, file_okay=False), default=None)
def validate_command(data_dir: Path | None, ontology_dir: Path | None) -> None:
    """Report every SHACL and identifier problem (file, node, rule); exit 1 if any."""
    from ..curation.sources import load_sources
    from ..curation.validate import validate_sources

    problems = validate_sources(load_sources(ontology_dir, data_dir))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("valid: no problems")


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """Parse `key=value` pairs from --param options."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        values[key.strip()] = value
    return values


@main.command("query")
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the query from a file.")
@click.option("--name", "-n", help="Run a named query from queries/.")
@click.option("--param", "-p", "params", multiple=True, help="key=value for a named query.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table",
              show_default=True)
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph",
              show_default=True)
@click.option("--inference/--no-inference", default=True,
              help="Include the inferred graph in the default graph (default on).")
@click.option("--timeout", type=float, default=60.0, show_default=True)
@build_dir_option
def query_command(sparql: str | None, query_file: Path | None, name: str | None,
                  params: tuple[str, ...], fmt: str, engine: str, inference: bool,
                  timeout: float, build_dir: Path | None) -> None:
    """Run SPARQL (text, --file or a named query) against the build; prefixes are pre-declared."""
    from ..formats import media as formats
    from ..formats.text_table import render_table
    from ..query.catalog import ParameterError, find_query
    from ..query.engines.base import DatasetSpec, QueryTimeout, UnsafeQuery, open_engine

    sources = [x for x in (sparql, query_file, name) if x]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of: SPARQL text, --file or --name")
    bindings: dict[str, Any] = {}
    if name:
        named = find_query(name)
        if named is None:
            raise click.UsageError(f"no named query {name!r}; see `alskg queries`")
        text = named.text
        try:
            bindings = named.bindings(parse_params(params))
        except ParameterError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    elif query_file:
        text = query_file.read_text(encoding="utf-8")
    else:
        assert sparql is not None
        text = sparql
    built = ensure_build(build_dir)
    runner = open_engine(engine, built.dataset_file)
    try:
        outcome = runner.run(text, DatasetSpec(inference=inference), bindings=bindings,
                             max_rows=1_000_000, timeout=timeout)
    except QuerySyntaxError as exc:
        click.echo(f"error: malformed query: {exc}", err=True)
        sys.exit(2)
    except UnsafeQuery as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except QueryTimeout:
        click.echo(f"error: query stopped after {timeout:g} s", err=True)
        sys.exit(3)
    if fmt == "table":
        click.echo(render_table(outcome, runner.prefixes))
        return
    chosen = formats.by_name(fmt, outcome.form)
    if chosen is None:
        kind = "SELECT/ASK" if outcome.form in ("SELECT", "ASK") else "graph"
        raise click.UsageError(f"format {fmt!r} does not fit a {kind} result")
    sys.stdout.buffer.write(formats.serialize(outcome, chosen, runner.prefixes))
    sys.stdout.flush()


@main.command("queries")
def queries_command() -> None:
    """List the named queries with their summaries and parameters."""
    from ..query.catalog import load_catalog

    for query in load_catalog():
        params = ", ".join(f"{p.name}:{p.type}" for p in query.params)
        click.echo(f"{query.name:<34} {query.summary}" + (f"  [{params}]" if params else ""))


@main.command("explain")
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


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="HTTP server processes (gunicorn).")
@click.option("--threads", default=8, show_default=True, type=int,
              help="Request threads per server process.")
@click.option("--query-workers", default=2, show_default=True, type=int,
              help="Killable query processes per server process.")
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib", "remote"]), default=None,
              help="Query engine (default oxigraph; remote needs --store).")
@click.option("--store", default=None, help="sparql+http://host:port/sparql of a SPARQL store.")
@click.option("--store-path", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Serve the on-disk Oxigraph store filled by `alskg import` (read-only).")
@click.option("--timeout", type=float, default=None, help="Query time limit in seconds (10).")
@click.option("--get", "get_path", default=None,
              help="Answer one GET request in-process and print it (no socket).")
@build_dir_option
def serve_command(host: str, port: int, workers: int, threads: int, query_workers: int,
                  engine: str | None, store: str | None, store_path: Path | None,
                  timeout: float | None, get_path: str | None, build_dir: Path | None) -> None:
    """Serve the SPARQL endpoint and pages with gunicorn (building first if needed)."""
    from ..web.serve import run_server

    if store is None:
        ensure_build(build_dir)
    overrides: dict[str, Any] = {"ALSKG_QUERY_WORKERS": query_workers}
    if build_dir is not None:
        overrides["ALSKG_BUILD_ROOT"] = str(build_dir.resolve())
    if engine or store:
        overrides["ALSKG_ENGINE"] = engine or "remote"
    if store:
        overrides["ALSKG_STORE"] = store
    if store_path:
        overrides["ALSKG_STORE_PATH"] = str(store_path.resolve())
    if timeout is not None:
        overrides["ALSKG_QUERY_TIMEOUT"] = timeout
    if get_path:
        from ..web import create_app

        app = create_app({**overrides, "ALSKG_EXECUTOR": "inline"})
        response = app.test_client().get(get_path)
        click.echo(response.get_data(as_text=True))
        sys.exit(0 if response.status_code < 400 else 1)
    run_server(overrides, host=host, port=port, workers=workers, threads=threads)


def register_commands() -> None:
    """Attach the commands that live in their own modules (evidence, export, publish, import)."""
    from . import evidence as cli_extra
    from . import export as cli_export
    from . import store as cli_scale

    for module in (cli_extra, cli_export, cli_scale):
        for command in module.COMMANDS:
            main.add_command(command)


register_commands()

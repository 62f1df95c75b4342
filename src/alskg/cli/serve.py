"""`alskg serve`: the SPARQL endpoint and pages under a real server, or one request in-process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .options import AlskgCommand, build_dir_option, ensure_build


@click.command("serve", cls=AlskgCommand)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--server", "http_server", type=click.Choice(["granian", "gunicorn"]),
              default="granian", show_default=True,
              help="HTTP server: granian (Rust, faster) or gunicorn (gthread).")
@click.option("--workers", default=1, show_default=True, type=int,
              help="HTTP server processes.")
@click.option("--threads", default=8, show_default=True, type=int,
              help="Request threads per server process (request bodies are read apart, "
                   "without a thread).")
@click.option("--query-workers", default=2, show_default=True, type=int,
              help="Killable query processes per server process.")
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib", "remote"]), default=None,
              help="Query engine (default oxigraph; remote needs --store).")
@click.option("--store", default=None, help="sparql+http://host:port/sparql of a SPARQL store.")
@click.option("--store-path", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Serve the on-disk Oxigraph store filled by `alskg import` (read-only).")
@click.option("--timeout", type=float, default=None, help="Query time limit in seconds (10).")
@click.option("--max-query-memory", type=click.IntRange(min=0), default=None, metavar="MIB",
              help="Memory one query may take, in MiB (1024): a query worker's address space "
                   "is capped at its loaded size plus this; a query past it gets 503 naming "
                   "the limit and its worker is replaced. 0: no cap.")
@click.option("--body-timeout", type=float, default=None, metavar="SECONDS",
              help="Time a client has to send its headers (at most 60 s), and again its "
                   "request body (10); past it: 408 and the connection closed (granian).")
@click.option("--max-slow-uploads", type=click.IntRange(min=1), default=None, metavar="N",
              help="Slow request bodies (still arriving after min(1 s, a quarter of "
                   "--body-timeout)) waited for at once per server process (64); more: 503 "
                   "with Retry-After at once (granian).")
@click.option("--get", "get_path", default=None,
              help="Answer one GET request in-process and print it (no socket).")
@build_dir_option
def serve_command(host: str, port: int, http_server: str, workers: int, threads: int,
                  query_workers: int, engine: str | None, store: str | None,
                  store_path: Path | None, timeout: float | None,
                  max_query_memory: int | None, body_timeout: float | None,
                  max_slow_uploads: int | None, get_path: str | None,
                  build_dir: Path | None) -> None:
    """Serve the SPARQL endpoint and pages with granian or gunicorn (building first if needed).

    Every process serves the build `current` named at start (and the store version, with
    --store-path), checked against its checksums first; a damaged one, or a port in use, stops
    the command with one line (exit 2). `kill -HUP <pid>` switches every process to the newest
    build at once, without a failed request (granian); a build that fails its checks is refused
    and the old one kept."""
    from ..server.serve import run_server

    if store is None:
        ensure_build(build_dir)
    overrides: dict[str, Any] = {"ALSKG_QUERY_WORKERS": query_workers}
    if build_dir is not None:
        overrides["ALSKG_BUILD_DIR"] = str(build_dir.resolve())
    if engine or store:
        overrides["ALSKG_ENGINE"] = engine or "remote"
    if store:
        overrides["ALSKG_STORE"] = store
    if store_path:
        overrides["ALSKG_STORE_PATH"] = str(store_path.resolve())
    if timeout is not None:
        overrides["ALSKG_QUERY_TIMEOUT"] = timeout
    if max_query_memory is not None:
        overrides["ALSKG_MAX_QUERY_MEMORY"] = max_query_memory
    if body_timeout is not None:
        overrides["ALSKG_BODY_TIMEOUT"] = body_timeout
    if max_slow_uploads is not None:
        overrides["ALSKG_MAX_SLOW_UPLOADS"] = max_slow_uploads
    if get_path:
        from ..web import create_app

        app = create_app({**overrides, "ALSKG_EXECUTOR": "inline"})
        response = app.test_client().get(get_path)
        click.echo(response.get_data(as_text=True))
        sys.exit(0 if response.status_code < 400 else 1)
    run_server(overrides, host=host, port=port, workers=workers, threads=threads,
               server=http_server)


COMMANDS = [serve_command]

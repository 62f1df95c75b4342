"""`alskg evidence`: the evidence matrix (interventions × aspects → status) in the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .options import AlskgCommand, build_dir_option, ensure_build


@click.command("evidence", cls=AlskgCommand)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="An aligned table, or the same JSON as /evidence.json.")
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph",
              show_default=True)
@click.option("--inference/--no-inference", default=True,
              help="Include statuses derived by reasoning (graph/inferred); default on.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Show what held on this date (claims valid then, approvals in force then).")
@build_dir_option
def evidence_command(fmt: str, engine: str, inference: bool, as_of: str | None,
                     build_dir: Path | None) -> None:
    """Print the evidence matrix: interventions × aspects → status (asserted vs inferred)."""
    from ..assembly.store import default_root
    from ..config import settings
    from ..query.evidence import EvidenceError, compute_matrix, render_text
    from ..query.evidence_asof import AsOfError
    from ..query.service import Service

    root = (build_dir or default_root()).resolve()
    ensure_build(root)
    service = Service(settings({"ALSKG_BUILD_DIR": str(root),
                                "ALSKG_EXECUTOR": "inline", "ALSKG_ENGINE": engine,
                                "ALSKG_QUERY_TIMEOUT": 60.0}))
    try:
        matrix = compute_matrix(service, inference, as_of)
    except AsOfError as exc:
        click.echo(f"error: --as-of: {exc.message}", err=True)
        sys.exit(2)
    except EvidenceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        service.close()
    if fmt == "json":
        click.echo(json.dumps(matrix.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(matrix))


COMMANDS: list[click.Command] = [evidence_command]

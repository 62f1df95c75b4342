"""`alskg build` and `alskg validate`: make a build from the curated sources, or only check them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import AlskgCommand, build_dir_option

DATA_DIR_HELP = ("Folder of curated data: Turtle files and the YAML curation records "
                 "(default: the project's data/).")

@click.command("build", cls=AlskgCommand)
@build_dir_option
@click.option("--reason/--no-reason", default=True, help="Materialise inferences (default on).")
@click.option("--reasoner", type=click.Choice(["rules", "owlrl"]), default="rules",
              show_default=True, help="The compiled semi-naive rules (fast), or OWL 2 RL via "
              "owlrl (the reference; both give the same graph, checked in the tests).")
@click.option("--validate/--no-validate", default=True, help="Run SHACL and identifier checks.")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=DATA_DIR_HELP)
@click.option("--ontology-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder with als.ttl, shapes.ttl and imports/*.ttl (default: ontology/).")
def build_command(build_dir: Path | None, reason: bool, reasoner: str, validate: bool,
                  data_dir: Path | None, ontology_dir: Path | None) -> None:
    """Parse, validate and reason; write the dataset and its receipt atomically."""
    from ..assembly.pipeline import BuildOptions, build
    from ..assembly.store import default_root

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


@click.command("validate", cls=AlskgCommand)
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=DATA_DIR_HELP)
@click.option("--ontology-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder with als.ttl, shapes.ttl and imports/*.ttl (default: ontology/).")
def validate_command(data_dir: Path | None, ontology_dir: Path | None) -> None:
    """Report every problem in the curated sources (file, line or node, rule); exit 1 if any."""
    from ..assembly.store import default_cache_dir
    from ..curation.sources import load_sources
    from ..curation.validate import validate_sources

    problems = validate_sources(load_sources(ontology_dir, data_dir),
                                cache_dir=default_cache_dir())
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("valid: no problems")


COMMANDS = [build_command, validate_command]

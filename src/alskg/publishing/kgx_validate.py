"""Run KGX's own validator (`kgx validate`, PyPI kgx 2.7) on the KGX export, fully offline.

As installed, kgx reaches the network twice: at import, `kgx.utils.kgx_utils` builds a
`bmt.Toolkit()`, whose defaults fetch the Biolink schema and predicate map from GitHub; and kgx's
config names remote JSON-LD contexts (biolink, monarch, obo) that `get_jsonld_context` downloads.
Every piece it needs ships in installed packages, so this shim, before kgx is imported:

- replaces `bmt.Toolkit` by `OfflineToolkit`, which reads the Biolink schema YAML of the
  `biolink-model` package (`biolink_model/schema/biolink_model.yaml`) and refuses any http(s)
  schema instead of fetching it. The predicate map (`predicate_mapping.yaml`) ships in no
  package; it serves only bmt's lookups by *mapped* predicate, which validation never calls, so
  the toolkit holds an empty one (a local YAML file may be passed as `predicate_map`);
- points kgx's JSON-LD contexts at local files: `biolink` at the biolink-model package's prefix
  map (`prefixmaps/biolink-model-prefix-map.json`), `monarch_context` and `obo_context` at
  `prefixcommons/registry/`.

No library does this (kgx has no offline switch), hence this hand-written shim. Needs the test
extra (`pip install -e '.[test]'`).
Use: `python -m alskg.publishing.kgx_validate nodes.tsv edges.tsv`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class OfflineError(RuntimeError):
    """Raised when kgx or bmt would fetch something from the network."""


def _package_dir(name: str) -> Path:
    import importlib

    module = importlib.import_module(name)
    return Path(next(iter(module.__path__)))  # biolink_model is a namespace package


def biolink_schema() -> Path:
    """Return the Biolink model YAML shipped in the biolink-model package."""
    return _package_dir("biolink_model") / "schema" / "biolink_model.yaml"


def jsonld_contexts() -> dict[str, str]:
    """Return kgx's JSON-LD context names mapped to the local files that replace them."""
    registry = _package_dir("prefixcommons") / "registry"
    prefix_map = _package_dir("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json"
    return {"biolink": str(prefix_map),
            "monarch_context": str(registry / "monarch_context.jsonld"),
            "obo_context": str(registry / "obo_context.jsonld")}


def _offline_toolkit_class() -> type:
    import bmt
    import yaml
    from linkml_runtime.utils.schemaview import SchemaView

    if getattr(bmt.Toolkit, "offline", False):
        return bmt.Toolkit

    class OfflineToolkit(bmt.Toolkit):
        """bmt.Toolkit reading the installed Biolink schema; never fetches."""

        offline = True

        def __init__(self, schema: Any = None, predicate_map: str | None = None) -> None:
            schema = schema or str(biolink_schema())
            if isinstance(schema, str) and schema.startswith(("http://", "https://")):
                raise OfflineError(f"refusing to fetch the Biolink schema from {schema}")
            self.view = SchemaView(schema)
            self.pmap: dict[str, Any] = {}
            if predicate_map is not None:
                if predicate_map.startswith(("http://", "https://")):
                    raise OfflineError(f"refusing to fetch the predicate map {predicate_map}")
                self.pmap = yaml.safe_load(Path(predicate_map).read_text(encoding="utf-8"))

    return OfflineToolkit


def install() -> None:
    """Make kgx and bmt work offline (idempotent); call before anything imports kgx."""
    import bmt
    import bmt.toolkit

    toolkit_class = _offline_toolkit_class()
    bmt.Toolkit = toolkit_class
    bmt.toolkit.Toolkit = toolkit_class
    import kgx.config
    import kgx.utils.kgx_utils as kgx_utils

    kgx.config.get_config()["jsonld-context"].update(jsonld_contexts())
    kgx.config.jsonld_context_map.clear()
    kgx_utils.Toolkit = toolkit_class
    if not isinstance(kgx_utils.tk, toolkit_class):  # kgx was imported before the shim
        kgx_utils.tk = toolkit_class()
        kgx_utils._default_toolkit = None
        kgx_utils._toolkit_versions.clear()


def validate(files: list[Path]) -> dict[str, Any]:
    """Run kgx's validation (`kgx.cli.cli_utils.validate`) on KGX TSV files; return its report.

    The report is kgx's own: `{level: {error_type: {message: [entities]}}}`, empty when valid.
    """
    install()
    import io
    from contextlib import redirect_stdout

    from kgx.cli.cli_utils import validate as kgx_validate

    with redirect_stdout(io.StringIO()):  # kgx logs progress to stdout
        errors = kgx_validate([str(f) for f in files], "tsv", None, None)
    return dict(errors)


def main(argv: list[str] | None = None) -> int:
    """Validate the given nodes.tsv/edges.tsv; print kgx's report as JSON; 1 if errors."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m alskg.publishing.kgx_validate nodes.tsv edges.tsv", file=sys.stderr)
        return 2
    report = validate([Path(a) for a in args])
    print(json.dumps(report, indent=2, sort_keys=True, default=str))
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())

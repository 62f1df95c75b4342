"""The named queries published as SHACL SPARQL executables (filled in by the catalog issue)."""

from __future__ import annotations

from rdflib import Graph


def examples_graph() -> Graph:
    """Return the named queries as sh:SPARQLExecutable resources."""
    return Graph()

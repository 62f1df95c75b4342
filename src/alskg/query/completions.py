"""The terms the query page's editor completes: this graph's classes, properties and labelled
resources, read from the build through the server's own engine (no outside vocabulary service).

Each term is `{"curie": "als:Disease", "label": "disease"}`: the prefixed name the editor inserts
(the server pre-declares every prefix, so it needs no PREFIX line), or `{"iri": ...}` when no
prefix fits (the editor then writes `<iri>`), with the term's `rdfs:label` (the smallest, so the
document is the same for the same build) when it has one. Terms come in IRI order; a class or a
property is never listed as a resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..formats.terms import compact_iri

LIMIT = 20_000  # terms per kind; a larger graph lists the first LIMIT (in IRI order), truncated

CLASSES = """SELECT ?iri (MIN(STR(?name)) AS ?label) WHERE {
  { ?iri a owl:Class } UNION { ?iri a rdfs:Class } UNION { [] a ?iri }
  FILTER isIRI(?iri)
  OPTIONAL { ?iri rdfs:label ?name }
} GROUP BY ?iri ORDER BY ?iri LIMIT %d"""

PROPERTIES = """SELECT ?iri (MIN(STR(?name)) AS ?label) WHERE {
  { [] ?iri [] } UNION { ?iri a rdf:Property } UNION { ?iri a owl:ObjectProperty }
  UNION { ?iri a owl:DatatypeProperty } UNION { ?iri a owl:AnnotationProperty }
  FILTER isIRI(?iri)
  OPTIONAL { ?iri rdfs:label ?name }
} GROUP BY ?iri ORDER BY ?iri LIMIT %d"""

RESOURCES = """SELECT ?iri (MIN(STR(?name)) AS ?label) WHERE {
  ?iri rdfs:label ?name
  FILTER isIRI(?iri)
} GROUP BY ?iri ORDER BY ?iri LIMIT %d"""


class RowSource(Protocol):
    """What the completions need of the server: its prefixes and a way to run a SELECT."""

    prefixes: dict[str, str]

    def rows(self, text: str, **options: Any) -> list[dict[str, Node]]:
        """Run a SELECT and return its rows as {variable: term}."""


def terms(rows: Iterable[dict[str, Node]], prefixes: dict[str, str],
          skip: frozenset[str] = frozenset()) -> list[dict[str, str]]:
    """Return the rows' IRIs (not those in `skip`) as completion terms, in row order."""
    found: list[dict[str, str]] = []
    for row in rows:
        iri = row.get("iri")
        if not isinstance(iri, URIRef) or str(iri) in skip:
            continue
        curie = compact_iri(str(iri), prefixes)
        term = {"curie": curie} if curie else {"iri": str(iri)}
        label = row.get("label")
        if isinstance(label, Literal):
            term["label"] = str(label)
        found.append(term)
    return found


def completions(source: RowSource, limit: int = LIMIT) -> dict[str, Any]:
    """Return the completion document: classes, properties, resources and what was truncated."""
    fetched = {kind: source.rows(text % (limit + 1), max_rows=limit + 1)
               for kind, text in (("classes", CLASSES), ("properties", PROPERTIES),
                                  ("resources", RESOURCES))}
    truncated = sorted(kind for kind, rows in fetched.items() if len(rows) > limit)
    classes = terms(fetched["classes"][:limit], source.prefixes)
    properties = terms(fetched["properties"][:limit], source.prefixes)
    vocabulary = frozenset(str(row["iri"]) for kind in ("classes", "properties")
                           for row in fetched[kind][:limit])
    resources = terms(fetched["resources"][:limit], source.prefixes, vocabulary)
    return {"classes": classes, "properties": properties, "resources": resources,
            "truncated": truncated}

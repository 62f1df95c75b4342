"""The facts linked-data pages show, fetched with bound queries: no term is pasted into text.

Every query here is fixed text; the IRI a request names is bound to a variable (`?node`, ...)
through the query service, which checks each term first (formats.terms.checked). Oxigraph wants a
bound variable projected by SELECT, so each SELECT projects its bound variables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from ...curation.namespaces import GRAPH_NAMES, graph_iri
from ...query.engines import DatasetSpec
from ...query.service import Service

MAX_FACTS = 5000
KNOWN = "ASK { GRAPH ?g { { ?node ?p ?o } UNION { ?s ?p ?node } } }"
DESCRIBE = """SELECT ?node ?explanations ?inferred ?keep_inferred ?g ?s ?p ?o WHERE {
  { GRAPH ?g { ?node ?p ?o } BIND(?node AS ?s) }
  UNION { GRAPH ?g { ?s ?p ?node } FILTER(?g != ?explanations) BIND(?node AS ?o) }
  UNION { GRAPH ?g { ?node ?q ?s . FILTER(isBlank(?s)) ?s ?p ?o } }
  FILTER(?keep_inferred || ?g != ?inferred)
}"""
GRAPH_TRIPLES = "SELECT ?graph ?s ?p ?o WHERE { GRAPH ?graph { ?s ?p ?o } }"
GRAPH_FILLED = "ASK { GRAPH ?graph { ?s ?p ?o } }"
LABELS = """SELECT ?x ?rank ?label WHERE {
  VALUES (?rank ?kind) { (1 rdfs:label) (2 skos:prefLabel) (3 dcterms:title) }
  ?x ?kind ?label FILTER(isIRI(?x))
}"""
CLAIMS = """SELECT ?node ?claim ?intervention ?condition ?aspect ?status ?date ?statement
  (GROUP_CONCAT(DISTINCT STR(?support); separator=" ") AS ?supports)
  (GROUP_CONCAT(DISTINCT STR(?eco); separator=" ") AS ?ecos)
WHERE {
  { ?claim als:aboutIntervention ?node } UNION { ?claim als:aboutCondition ?node }
  UNION { ?claim als:supportedByStudy|als:supportedByPublication ?node }
  UNION { ?claim a als:Claim FILTER(?claim = ?node) }
  ?claim a als:Claim ; als:aspect ?aspect ; als:status ?status .
  OPTIONAL { ?claim als:aboutIntervention ?intervention }
  OPTIONAL { ?claim als:aboutCondition ?condition }
  OPTIONAL { ?claim dcterms:date ?date }
  OPTIONAL { ?claim als:sourceStatement ?statement }
  OPTIONAL { ?claim als:supportedByStudy|als:supportedByPublication ?support }
  OPTIONAL { ?claim als:evidenceType ?eco }
} GROUP BY ?node ?claim ?intervention ?condition ?aspect ?status ?date ?statement
ORDER BY ?intervention ?aspect ?claim"""
VERSION_IRI = "ASK { GRAPH ?g { ?o owl:versionIRI ?node } }"


@dataclass(frozen=True)
class Quad:
    """A triple with the short name of the graph that holds it."""

    s: Node
    p: Node
    o: Node
    graph: str


def graph_name(svc: Service, iri: Node) -> str:
    """Return the short name of a graph IRI (asserted, inferred, ...) or the IRI itself."""
    for name in GRAPH_NAMES:
        if str(iri) == graph_iri(name, svc.base):
            return name
    return str(iri)


def known(svc: Service, iri: str) -> bool:
    """Tell whether an IRI occurs (as subject or object) in any graph of the build."""
    return svc.ask(KNOWN, bindings={"node": URIRef(iri)})


def is_version_iri(svc: Service, iri: str) -> bool:
    """Tell whether an IRI is the ontology's owl:versionIRI."""
    return svc.ask(VERSION_IRI, bindings={"node": URIRef(iri)})


def describe_quads(svc: Service, iri: str, *, inference: bool = True) -> list[Quad]:
    """Return the triples about an IRI: outgoing (with one level of blank nodes) and incoming
    (the explanations graph's bookkeeping excluded), each with its graph."""
    bindings = {"node": URIRef(iri),
                "explanations": URIRef(graph_iri("explanations", svc.base)),
                "inferred": URIRef(graph_iri("inferred", svc.base)),
                "keep_inferred": Literal(inference)}
    rows = svc.rows(DESCRIBE, bindings=bindings, max_rows=MAX_FACTS)
    return [Quad(r["s"], r["p"], r["o"], graph_name(svc, r["g"])) for r in rows]


def graph_quads(svc: Service, name: str) -> list[Quad]:
    """Return every triple of one named graph."""
    rows = svc.rows(GRAPH_TRIPLES, bindings={"graph": URIRef(graph_iri(name, svc.base))},
                    max_rows=10_000_000)
    return [Quad(r["s"], r["p"], r["o"], name) for r in rows]


def graph_filled(svc: Service, name: str) -> bool:
    """Tell whether the named graph `<base>graph/<name>` holds any triple."""
    return svc.ask(GRAPH_FILLED, bindings={"graph": URIRef(graph_iri(name, svc.base))})


def graph_of(svc: Service, name: str) -> Graph:
    """Return one named graph as an rdflib Graph."""
    graph = Graph()
    for quad in graph_quads(svc, name):
        graph.add((quad.s, quad.p, quad.o))
    return graph


def labels_for(svc: Service, terms: Iterable[Node]) -> dict[str, str]:
    """Return {IRI: label} for the IRIs among `terms` (rdfs:label, else skos:prefLabel, title).

    One fixed query reads every label of the default graph (cached like any answer), so no IRI
    is pasted into a VALUES list."""
    wanted = {str(t) for t in terms if isinstance(t, URIRef)}
    if not wanted:
        return {}
    best: dict[str, tuple[int, str]] = {}
    for row in svc.rows(LABELS, max_rows=10_000_000):
        iri = str(row["x"])
        if iri in wanted:  # rdfs:label first, then skos:prefLabel, then dcterms:title
            choice = (int(str(row["rank"])), str(row["label"]))
            best[iri] = min(best.get(iri, choice), choice)
    return {iri: label for iri, (_, label) in best.items()}


def claim_rows(svc: Service, iri: str) -> list[dict[str, Any]]:
    """Return the claims about, or supported by, a resource (or the claim itself) as rows."""
    return svc.rows(CLAIMS, bindings={"node": URIRef(iri)}, spec=DatasetSpec(inference=False))

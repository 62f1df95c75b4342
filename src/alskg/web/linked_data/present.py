"""How linked-data pages show terms and resources: links, labels, kinds, facts grouped by graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from ...formats.rdf import Names, turtle_term
from ...formats.terms import compact_iri
from ...publishing.sssom import external_id
from ...query.service import Service
from .facts import Quad, claim_rows, labels_for

LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
TEXT_PREDICATES = (DCTERMS.description, SKOS.definition, RDFS.comment)
GRAPH_ORDER = ("asserted", "inferred", "ontology", "meta", "explanations")
GRAPH_HEADINGS = {
    "asserted": "Asserted facts (graph/asserted)",
    "inferred": "Inferred facts (graph/inferred)",
    "ontology": "Vocabulary (graph/ontology)",
    "meta": "Dataset description (graph/meta)",
    "explanations": "Explanations (graph/explanations)",
}


def local_href(svc: Service, iri: str) -> str | None:
    """Return this server's URL path for an IRI under the base, else None."""
    if iri.startswith(svc.base):
        return request.script_root + "/" + iri[len(svc.base):]
    return None


def compact(svc: Service, iri: str) -> str:
    """Return a prefixed name for an IRI when a known prefix fits, else the IRI."""
    return compact_iri(iri, svc.prefixes) or iri


def view(svc: Service, term: Node, labels: dict[str, str]) -> dict[str, Any]:
    """Return how a term is shown: text, link, tooltip and kind (local, external, literal)."""
    if isinstance(term, URIRef):
        iri = str(term)
        ext = external_id(iri)
        if ext is not None:
            return {"text": ext.curie, "href": iri, "title": f"{ext.registry}: {iri}",
                    "kind": "external", "label": labels.get(iri, "")}
        href = local_href(svc, iri)
        return {"text": labels.get(iri) or compact(svc, iri), "href": href or iri,
                "title": iri, "kind": "local" if href else "iri", "curie": compact(svc, iri),
                "label": labels.get(iri, "")}
    if isinstance(term, Literal):
        hint = f"@{term.language}" if term.language else (
            compact(svc, str(term.datatype)) if term.datatype else "")
        return {"text": str(term), "href": "", "title": hint, "kind": "literal", "hint": hint}
    return {"text": f"_:{term}", "href": "", "title": "blank node", "kind": "bnode"}


def explain_href(s: Node, p: Node, o: Node) -> str:
    """Return the /explain link for a triple (terms in N-Triples syntax); '' for blank nodes."""
    if any(isinstance(t, BNode) for t in (s, p, o)):
        return ""
    plain = Names({})
    return url_for("explain.explain_page") + "?" + urlencode(
        {"s": turtle_term(s, plain), "p": turtle_term(p, plain), "o": turtle_term(o, plain)})


@dataclass
class Section:
    """One graph's facts about the resource, outgoing and incoming."""

    name: str
    heading: str
    outgoing: list[dict[str, Any]] = field(default_factory=list)
    incoming: list[dict[str, Any]] = field(default_factory=list)


def first_text(quads: list[Quad], subject: Node, predicates: Iterable[URIRef]) -> str:
    """Return the first literal of the first predicate that has one (sorted, deterministic)."""
    for predicate in predicates:
        values = sorted(str(q.o) for q in quads if q.s == subject and q.p == predicate
                        and isinstance(q.o, Literal))
        if values:
            return values[0]
    return ""


def claims_of(svc: Service, iri: str) -> list[dict[str, Any]]:
    """Return the claims about, or supported by, a resource, as the page shows them."""
    rows = claim_rows(svc, iri)
    terms: list[Node] = []
    for row in rows:
        terms.extend(v for k, v in row.items() if isinstance(v, URIRef))
        terms.extend(URIRef(x) for x in str(row.get("supports", "")).split())
    labels = labels_for(svc, terms)

    def shown(row: dict[str, Any], name: str) -> dict[str, Any] | None:
        return view(svc, row[name], labels) if name in row else None

    return [{
        "claim": view(svc, row["claim"], labels),
        "intervention": shown(row, "intervention"), "condition": shown(row, "condition"),
        "aspect": view(svc, row["aspect"], labels), "status": view(svc, row["status"], labels),
        "status_key": str(row["status"]).rsplit("/", 1)[-1],
        "date": str(row.get("date", "")), "statement": str(row.get("statement", "")),
        "supports": [view(svc, URIRef(x), labels)
                     for x in sorted(str(row.get("supports", "")).split())],
        "evidence": [view(svc, URIRef(x), labels)
                     for x in sorted(str(row.get("ecos", "")).split())],
    } for row in rows]


def page_model(svc: Service, iri: str, quads: list[Quad]) -> dict[str, Any]:
    """Collect what the HTML page of a resource shows."""
    node = URIRef(iri)
    labels = labels_for(svc, [t for q in quads for t in (q.s, q.p, q.o)])
    label = first_text(quads, node, LABEL_PREDICATES) or iri.rstrip("/").rsplit("/", 1)[-1]
    types = sorted({(q.o, q.graph) for q in quads if q.s == node and q.p == RDF.type},
                   key=lambda item: (str(item[0]), item[1]))
    mappings = []
    for predicate, kind in ((SKOS.exactMatch, "exact"), (SKOS.closeMatch, "close")):
        for value in sorted({q.o for q in quads if q.s == node and q.p == predicate}, key=str):
            mappings.append({**view(svc, value, labels), "match": kind})
    sections: dict[str, Section] = {}
    for quad in sorted(quads, key=lambda q: (str(q.p), str(q.o), str(q.s))):
        section = sections.setdefault(quad.graph, Section(
            quad.graph, GRAPH_HEADINGS.get(quad.graph, quad.graph)))
        fact = {"predicate": view(svc, quad.p, labels),
                "explain": explain_href(quad.s, quad.p, quad.o)
                if quad.graph == "inferred" else ""}
        if quad.s == node:
            section.outgoing.append({**fact, "value": view(svc, quad.o, labels)})
        elif quad.o == node:
            section.incoming.append({**fact, "value": view(svc, quad.s, labels)})
        else:
            section.outgoing.append({**fact, "value": view(svc, quad.o, labels),
                                     "via": view(svc, quad.s, labels)})
    order = {name: i for i, name in enumerate(GRAPH_ORDER)}
    return {
        "iri": iri, "label": label,
        "types": [{"graph": g, **view(svc, t, labels)} for t, g in types],
        "description": first_text(quads, node, TEXT_PREDICATES),
        "alt_labels": sorted({str(q.o) for q in quads if q.s == node and q.p == SKOS.altLabel}),
        "mappings": mappings,
        "sections": sorted(sections.values(), key=lambda s: order.get(s.name, 99)),
    }

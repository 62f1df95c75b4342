"""Vocabulary constants, canonical N-Triples lines and the IRIs of explanation nodes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from ..curation.namespaces import ALS, DEFAULT_BASE, graph_iri

Triple = tuple[Node, Node, Node]

BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL))
XSD_NAMESPACE = str(XSD)

EXPLANATIONS_GRAPH = URIRef(graph_iri("explanations"))
ASSERTED_GRAPH = URIRef(graph_iri("asserted"))
ONTOLOGY_GRAPH = URIRef(graph_iri("ontology"))

DERIVATION_BASE = DEFAULT_BASE + "id/derivation/"
STATEMENT_BASE = DEFAULT_BASE + "id/statement/"

# Terms of the explanation graph (documented in docs/data-model.md, "Added by reasoning").
DERIVATION = ALS.Derivation
DERIVED_TRIPLE = ALS.derivedTriple
RULE = ALS.rule
ROUND = ALS.round
PREMISE = ALS.premise
VIA = ALS.via
ASSERTED_IN = ALS.assertedIn

# Predicates and types whose triples make up the schema (TBox) the rules are compiled from.
SCHEMA_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        RDFS.domain,
        RDFS.range,
        OWL.inverseOf,
        OWL.propertyChainAxiom,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.onProperty,
        RDF.first,
        RDF.rest,
    }
)
SCHEMA_TYPES = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        OWL.Restriction,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        RDF.Property,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
    }
)
# OWL constructs the compiled rules do not implement; owlrl mode still handles them.
UNSUPPORTED_PREDICATES = frozenset(
    {
        OWL.hasKey,
        OWL.maxCardinality,
        OWL.maxQualifiedCardinality,
        OWL.oneOf,
        OWL.complementOf,
    }
)


def nt_term(term: Node) -> str:
    """Return the canonical N-Triples form of one term."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = (
            str(term)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    raise TypeError(f"not an RDF term: {term!r}")


def nt_line(triple: Triple, labels: Mapping[Node, str] | None = None) -> str:
    """Return the N-Triples line of a triple (no newline), blank nodes relabelled by `labels`."""
    if labels:
        triple = tuple(  # type: ignore[assignment]
            BNode(labels[t]) if isinstance(t, BNode) and t in labels else t for t in triple
        )
    s, p, o = triple
    return f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ."


def triple_digest(triple: Triple, labels: Mapping[Node, str] | None = None) -> str:
    """Return the SHA-1 hex digest of a triple's N-Triples line (blank nodes per `labels`)."""
    return hashlib.sha1(nt_line(triple, labels).encode("utf-8")).hexdigest()


def canonical_bnode_labels(triples: Iterable[Triple]) -> dict[Node, str]:
    """Give each blank node a label that depends only on the triples around it.

    Parsers label blank nodes at random; explanation IRIs hash triples, so the ontology's class
    expressions (restrictions, intersections, lists) need labels that survive re-parsing. A
    label hashes what the node points to (recursively) and what points to it (recursively up
    to named nodes). Blank nodes with identical surroundings share a label.
    """
    out_edges: dict[Node, list[tuple[Node, Node]]] = {}
    in_edges: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in triples:
        if isinstance(s, BNode):
            out_edges.setdefault(s, []).append((p, o))
        if isinstance(o, BNode):
            in_edges.setdefault(o, []).append((s, p))

    def walk(node: Node, seen: frozenset[Node], outward: bool) -> str:
        if not isinstance(node, BNode):
            return nt_term(node)
        if node in seen:
            return "[cycle]" if outward else "(cycle)"
        inner = seen | {node}
        if outward:
            parts = sorted(f"{nt_term(p)} {walk(o, inner, True)}" for p, o in
                           out_edges.get(node, ()))
            return "[" + "; ".join(parts) + "]"
        parts = sorted(f"{walk(s, inner, False)} {nt_term(p)}" for s, p in
                       in_edges.get(node, ()))
        return "(" + "; ".join(parts) + ")"

    labels: dict[Node, str] = {}
    for node in set(out_edges) | set(in_edges):
        text = walk(node, frozenset(), True) + " " + walk(node, frozenset(), False)
        labels[node] = "c" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
    return labels


def derivation_iri(triple: Triple) -> URIRef:
    """Return the IRI of the node explaining how `triple` was derived."""
    return URIRef(DERIVATION_BASE + triple_digest(triple))


def statement_iri(triple: Triple) -> URIRef:
    """Return the IRI of the rdf:Statement node standing for `triple`."""
    return URIRef(STATEMENT_BASE + triple_digest(triple))


def sort_key(term: Node, labels: Mapping[Node, str] | None = None) -> tuple[int, str, str]:
    """Return a total, type-aware sort key for terms (blank nodes by canonical label first)."""
    if isinstance(term, URIRef):
        return (0, str(term), "")
    if isinstance(term, BNode):
        return (1, labels.get(term, "") if labels else "", str(term))
    return (2, nt_term(term), "")


def is_builtin(term: Node) -> bool:
    """Tell whether a term is in the rdf:, rdfs: or owl: namespace."""
    return isinstance(term, URIRef) and str(term).startswith(BUILTIN_NAMESPACES)


def is_xsd(term: Node) -> bool:
    """Tell whether a term is in the xsd: namespace."""
    return isinstance(term, URIRef) and str(term).startswith(XSD_NAMESPACE)

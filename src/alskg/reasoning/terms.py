"""Vocabulary constants, canonical N-Triples lines and the IRIs of explanation nodes."""

from __future__ import annotations

import hashlib

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from ..namespaces import ALS, DEFAULT_BASE, graph_iri

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
SCHEMA_PREDICATES = frozenset({
    RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty,
    RDFS.domain, RDFS.range, OWL.inverseOf, OWL.propertyChainAxiom, OWL.intersectionOf,
    OWL.unionOf, OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.onProperty,
    RDF.first, RDF.rest,
})
SCHEMA_TYPES = frozenset({
    OWL.Class, RDFS.Class, OWL.Restriction, OWL.ObjectProperty, OWL.DatatypeProperty,
    RDF.Property, OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
})
# OWL constructs the compiled rules do not implement; owlrl mode still handles them.
UNSUPPORTED_PREDICATES = frozenset({
    OWL.hasKey, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.oneOf, OWL.complementOf,
})


def nt_term(term: Node) -> str:
    """Return the canonical N-Triples form of one term."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = (str(term).replace("\\", "\\\\").replace('"', '\\"')
                .replace("\n", "\\n").replace("\r", "\\r"))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    raise TypeError(f"not an RDF term: {term!r}")


def nt_line(triple: Triple) -> str:
    """Return the canonical N-Triples line of a triple (no trailing newline)."""
    s, p, o = triple
    return f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ."


def triple_digest(triple: Triple) -> str:
    """Return the SHA-1 hex digest of a triple's canonical N-Triples line."""
    return hashlib.sha1(nt_line(triple).encode("utf-8")).hexdigest()


def derivation_iri(triple: Triple) -> URIRef:
    """Return the IRI of the node explaining how `triple` was derived."""
    return URIRef(DERIVATION_BASE + triple_digest(triple))


def statement_iri(triple: Triple) -> URIRef:
    """Return the IRI of the rdf:Statement node standing for `triple`."""
    return URIRef(STATEMENT_BASE + triple_digest(triple))


def sort_key(term: Node) -> tuple[int, str]:
    """Return a total, type-aware sort key for terms (IRIs, blank nodes, literals)."""
    if isinstance(term, URIRef):
        return (0, str(term))
    if isinstance(term, BNode):
        return (1, str(term))
    return (2, nt_term(term))


def is_builtin(term: Node) -> bool:
    """Tell whether a term is in the rdf:, rdfs: or owl: namespace."""
    return isinstance(term, URIRef) and str(term).startswith(BUILTIN_NAMESPACES)


def is_xsd(term: Node) -> bool:
    """Tell whether a term is in the xsd: namespace."""
    return isinstance(term, URIRef) and str(term).startswith(XSD_NAMESPACE)

"""Oxigraph conversion for the domain rules: rdflib terms to Turtle lines, Oxigraph terms back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .terms import Triple, nt_term

BNODE_IRI_PREFIX = "urn:x-alskg-bnode:"


def turtle_term(term: Node) -> str:
    """Return a term as Turtle for loading into Oxigraph (blank nodes as stable IRIs)."""
    if isinstance(term, BNode):
        return f"<{BNODE_IRI_PREFIX}{term}>"
    return nt_term(term)


_XSD_STRING = str(XSD.string)


def from_oxigraph(term: object) -> Node:
    """Convert an Oxigraph term back to rdflib (xsd:string literals become plain literals)."""
    if isinstance(term, ox.NamedNode):
        value = term.value
        if value.startswith(BNODE_IRI_PREFIX):
            return BNode(value[len(BNODE_IRI_PREFIX) :])
        return URIRef(value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unexpected Oxigraph term {term!r}")


def load_store(lines: Iterable[str]) -> ox.Store:
    """Return an in-memory Oxigraph store loaded from Turtle triple lines."""
    store = ox.Store()
    data = "\n".join(lines).encode("utf-8")
    if data:
        store.load(data, format=ox.RdfFormat.TURTLE)
    return store


def triple_lines(triples: Iterable[Triple]) -> Iterator[str]:
    """Yield Turtle lines for rdflib triples."""
    for s, p, o in triples:
        yield f"{turtle_term(s)} {turtle_term(p)} {turtle_term(o)} ."

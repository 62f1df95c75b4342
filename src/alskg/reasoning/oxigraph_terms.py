"""Oxigraph conversion for the domain rules: rdflib terms to N-Triples text, Oxigraph terms back."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .terms import nt_term

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

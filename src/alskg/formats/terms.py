"""RDF terms, one set of rules: pyoxigraph ⇄ rdflib, SPARQL JSON → terms, checking, compaction.

Every conversion in the program goes through here, so a term reads the same whichever engine or
page produced it: an `xsd:string` literal is a plain literal (RDF 1.1 makes them one), language
tags stay, other datatypes are kept lexically (never normalised). `checked` is the one gate for a
term taken from a request: an IRI must parse as an IRI (Oxigraph's parser, RFC 3987), a literal
must have a valid language tag and datatype IRI; anything else is refused with BadTerm before any
query runs. Such a term is then bound to a query variable, never pasted into query text.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..errors import BadTerm

LANG_STRING = str(RDF.langString)
STRING = str(XSD.string)
RDF_TYPE = str(RDF.type)


def from_oxigraph(term: Any) -> Node | None:
    """Convert a pyoxigraph term to the equivalent rdflib term (None stays None)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.language, term.datatype.value)
    return Literal(str(term))


def to_oxigraph(term: Node) -> Any:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def literal(value: str, language: str | None = None, datatype: str | None = None) -> Literal:
    """Return an rdflib literal by the common rule (xsd:string is plain, lexical form kept)."""
    if language:
        return Literal(value, lang=language)
    if datatype and datatype not in (STRING, LANG_STRING):
        return Literal(value, datatype=URIRef(datatype), normalize=False)
    return Literal(value)


def from_sparql_json(value: dict[str, Any]) -> Node:
    """Convert one SPARQL 1.1 JSON results term to an rdflib term; ValueError if unknown."""
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        return literal(text, value.get("xml:lang") or value.get("lang"), value.get("datatype"))
    if kind == "triple":
        raise ValueError("RDF-star terms in results are not supported")
    raise ValueError(f"unknown term type {kind!r} in SPARQL JSON results")


def checked(term: Node) -> Node:
    """Return the term if a query may bind it (a valid IRI or literal), else raise BadTerm."""
    try:
        if isinstance(term, URIRef):
            ox.NamedNode(str(term))
        elif isinstance(term, Literal):
            to_oxigraph(term)
        else:
            raise BadTerm("a blank node cannot name a resource")
    except ValueError as exc:
        raise BadTerm(f"{str(term)[:200]!r} is not a valid IRI or literal ({exc})") from None
    return term


def checked_iri(text: str) -> URIRef:
    """Return text as an IRI term when it is a valid IRI, else raise BadTerm."""
    try:
        ox.NamedNode(text)  # checked before rdflib sees it (rdflib only warns)
    except ValueError as exc:
        raise BadTerm(f"{text[:200]!r} is not a valid IRI ({exc})") from None
    return URIRef(text)


def parse_term(text: str, prefixes: dict[str, str]) -> Node:
    """Read `<iri>`, `"literal"` (with `@lang` or `^^<dt>`), `a`, a prefixed name or an IRI.

    The term is checked (see `checked`); a string that names no term raises BadTerm."""
    text = text.strip()
    if not text:
        raise BadTerm("an empty string names no term")
    if text.startswith('"'):
        try:
            parsed = ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES)
            term = from_oxigraph(next(iter(parsed)).object)
        except (SyntaxError, ValueError, StopIteration) as exc:
            raise BadTerm(f"{text[:200]!r} is not a literal in N-Triples syntax ({exc})") from None
        assert term is not None
        return checked(term)
    if text.startswith("<") and text.endswith(">"):
        return checked_iri(text[1:-1])
    if text == "a":
        return URIRef(RDF_TYPE)
    prefix, sep, local = text.partition(":")
    if sep and prefix in prefixes:
        return checked_iri(prefixes[prefix] + local)
    return checked_iri(text)


def compact_iri(iri: str, prefixes: dict[str, str]) -> str | None:
    """Return `prefix:local` with the longest fitting namespace, or None when none fits."""
    best = ""
    best_prefix = ""
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, best_prefix = namespace, prefix
    local = iri[len(best):]
    if best and local and all(c.isalnum() or c in "-_." for c in local):
        return f"{best_prefix}:{local}"
    return None


def display_text(term: Node | None, prefixes: dict[str, str]) -> str:
    """Return a short display form: a prefixed name or `<iri>`, the lexical form of literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return compact_iri(str(term), prefixes) or f"<{term}>"
    if isinstance(term, Literal):
        return str(term)
    return f"_:{term}"


def sparql_text(term: Node) -> str:
    """Return a checked term in SPARQL / N-Triples syntax (full IRI, escaped literal).

    Only for engines whose store takes no bindings (the remote engine's SEP-0007 substitution);
    everything else binds terms to variables."""
    checked(term)
    if isinstance(term, URIRef):
        return f"<{term}>"
    return term.n3()

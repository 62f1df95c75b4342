"""Result formats: media types offered per query form, and serializers for each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.plugins.serializers.nt import _quoteLiteral
from rdflib.query import Result
from rdflib.term import Node

from ..errors import NotRepresentable
from ..query.engines.base import QueryOutcome
from .rdf import answer_prefixes, write_rdf


@dataclass(frozen=True)
class Format:
    """A serialization: its short name (the `format=` value), media type and rdflib plugin."""

    key: str
    media_type: str
    plugin: str
    suffix: str


SOLUTION_FORMATS = (
    Format("json", "application/sparql-results+json", "json", "json"),
    Format("xml", "application/sparql-results+xml", "xml", "srx"),
    Format("csv", "text/csv", "csv", "csv"),
    Format("tsv", "text/tab-separated-values", "tsv", "tsv"),
)
GRAPH_FORMATS = (
    Format("turtle", "text/turtle", "turtle", "ttl"),
    Format("nt", "application/n-triples", "nt11", "nt"),
    Format("nquads", "application/n-quads", "nquads", "nq"),
    Format("trig", "application/trig", "trig", "trig"),
    Format("jsonld", "application/ld+json", "json-ld", "jsonld"),
    Format("rdfxml", "application/rdf+xml", "xml", "rdf"),
)
# Other names clients use for the same formats (media types and `format=` spellings), from
# SPARQLWrapper (Wrapper.py: its format names and Accept lists), rdflib's SPARQLStore
# (util.FORMAT_MIMETYPE_MAP) and YASGUI (Accept headers only). "json" and "xml" name the results
# format for SELECT/ASK and JSON-LD / RDF/XML for CONSTRUCT/DESCRIBE (as SPARQLWrapper means them).
ALIASES = {
    "application/json": "json", "application/sparql-results+xml": "xml",
    "application/xml": "xml", "text/xml": "xml", "srj": "json", "srx": "xml",
    "text/javascript": "json", "application/javascript": "json",
    "sparql-results+json": "json", "sparql-results+xml": "xml",
    "text/plain": "nt", "ttl": "turtle", "text/n3": "turtle", "n3": "turtle",
    "application/x-turtle": "turtle", "application/turtle": "turtle", "text/rdf+n3": "turtle",
    "application/n3": "turtle", "nq": "nquads", "ntriples": "nt", "n-triples": "nt",
    "nt11": "nt", "n-quads": "nquads", "json-ld": "jsonld", "application/x-json+ld": "jsonld",
    "xml-rdf": "rdfxml", "rdf": "rdfxml", "owl": "rdfxml", "rdf+xml": "rdfxml",
    "rdf/xml": "rdfxml",
}
# Names that mean one format for solutions and another for graphs.
_GRAPH_READING = {"xml": "rdfxml", "json": "jsonld"}
_BY_KEY = {f.key: f for f in SOLUTION_FORMATS + GRAPH_FORMATS}


def offered(form: str) -> tuple[Format, ...]:
    """Return the formats offered for a query form, the default first."""
    return SOLUTION_FORMATS if form in ("SELECT", "ASK") else GRAPH_FORMATS


def by_name(name: str, form: str) -> Format | None:
    """Resolve a `format=` value or media type to a format valid for the query form."""
    name = name.split(";")[0].strip().lower()
    choices = offered(form)
    for fmt in choices:
        if name in (fmt.key, fmt.media_type, fmt.suffix):
            return fmt
    alias = ALIASES.get(name, name)
    if form not in ("SELECT", "ASK"):
        alias = _GRAPH_READING.get(alias, alias)
    if alias in ("nt", "turtle") and form in ("SELECT", "ASK"):
        return None
    resolved = _BY_KEY.get(alias)
    return resolved if resolved in choices else None


def media_types(form: str) -> list[str]:
    """Return every media type accepted for a form (canonical ones first, then aliases)."""
    return list(_media_types("SELECT" if form in ("SELECT", "ASK") else "CONSTRUCT"))


@lru_cache(maxsize=4)
def _media_types(form: str) -> tuple[str, ...]:
    canonical = [f.media_type for f in offered(form)]
    extra = [m for m in ALIASES if "/" in m and by_name(m, form) and m not in canonical]
    return tuple(canonical + extra)


def serialize(outcome: QueryOutcome, fmt: Format, prefixes: dict[str, str],
              deadline: float | None = None) -> bytes:
    """Serialize an engine outcome in the chosen format (QueryTimeout past the deadline)."""
    if outcome.form in ("SELECT", "ASK"):
        body = _serialize_solutions(outcome, fmt)
        if outcome.truncated and fmt.key == "json":
            body = flag_truncated_json(body)
        return body
    return serialize_graph(outcome.triples, fmt, prefixes, deadline)


def flag_truncated_json(body: bytes) -> bytes:
    """Add `"truncated": true` to a SPARQL JSON document (first member; no re-parse)."""
    start = body.index(b"{")
    return body[:start + 1] + b'"truncated":true,' + body[start + 1:]


def serialize_graph(triples: Iterable[tuple[Node, Node, Node]], fmt: Format,
                    prefixes: dict[str, str], deadline: float | None = None) -> bytes:
    """Serialize triples in an RDF format with the program's one writer per syntax (and the
    prefix table the dereferenced documents use, under the caller's own prefixes)."""
    try:
        return write_rdf([(None, triples)], fmt.key, answer_prefixes(prefixes),
                         deadline=deadline)
    except NotRepresentable as exc:  # name the media types that can carry the answer
        others = ", ".join(f.media_type for f in GRAPH_FORMATS if f.key != fmt.key)
        raise NotRepresentable(f"{exc}; available: {others}") from None


def _serialize_solutions(outcome: QueryOutcome, fmt: Format) -> bytes:
    if fmt.key == "tsv":
        return _tsv(outcome)
    if outcome.form == "ASK" and fmt.key == "csv":
        return f"_askResult\r\n{'true' if outcome.boolean else 'false'}\r\n".encode()
    result = Result(outcome.form)
    if outcome.form == "ASK":
        result.askAnswer = bool(outcome.boolean)
    else:
        variables = [Variable(v) for v in outcome.variables]
        result.vars = variables
        result.bindings = [
            {var: value for var, value in zip(variables, row, strict=True)  # type: ignore[misc]
             if value is not None}
            for row in outcome.rows
        ]
    data = result.serialize(format=fmt.plugin, encoding="utf-8")
    assert data is not None
    return data


def tsv_term(term: Node | None) -> str:
    """Render one term for SPARQL TSV results (Turtle syntax, tabs and newlines escaped)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return _quoteLiteral(term).replace("\t", "\\t")
    return str(term)


def _tsv(outcome: QueryOutcome) -> bytes:
    if outcome.form == "ASK":
        return f"?_askResult\n{'true' if outcome.boolean else 'false'}\n".encode()
    lines = ["\t".join(f"?{v}" for v in outcome.variables)]
    lines.extend("\t".join(tsv_term(t) for t in row) for row in outcome.rows)
    return ("\n".join(lines) + "\n").encode("utf-8")

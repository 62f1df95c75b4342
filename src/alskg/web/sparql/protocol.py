"""SPARQL 1.1 Protocol request parsing: query text, dataset, inference flag, wanted format.

Framework-free: it reads a Werkzeug Request (Flask's request in the view, a plain one in the
fast lane) and negotiates with the app's Negotiator, so both paths follow these rules alone."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from pyoxigraph import NamedNode
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from ...formats import media as formats
from ...query.engines.base import DatasetSpec
from ...query.sparqltext import is_blank, query_form
from ..negotiation import Negotiator

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FALSE_WORDS = ("false", "0", "no", "off")
# Parameters clients name the wanted format with: `format` (Virtuoso, rdflib-endpoint), `output`
# (Joseki, Fuseki) and `results` (Rasqal); SPARQLWrapper sends all three, some values twice.
FORMAT_PARAMS = ("format", "output", "results")


class ProtocolError(Exception):
    """A request the protocol rejects, with its HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SparqlCall:
    """A parsed protocol request: the query (None for a bare GET) and its dataset."""

    query: str | None
    spec: DatasetSpec
    format_param: str | None
    format_values: tuple[str, ...] = ()


def parse_call(request: Request, max_chars: int) -> SparqlCall:
    """Read a protocol request (GET, form POST or direct POST) or raise ProtocolError."""
    params: MultiDict[str, str] = MultiDict(request.args)
    query: str | None = None
    if request.method == "POST":
        mime = request.mimetype
        if mime == FORM_TYPE:
            body = _decode(request.get_data(cache=True), request)
            params.update(MultiDict(parse_qsl(body, keep_blank_values=True)))
            if "query" not in params and "update" not in params:
                raise ProtocolError(400, "Missing 'query': a form POST carries query=<SPARQL> "
                                    "in its body")
        elif mime == QUERY_TYPE:
            query = _decode(request.get_data(cache=True), request)
            if is_blank(query):
                raise ProtocolError(400, "Empty query: the POST body holds no SPARQL text "
                                    "(only whitespace or comments)")
            if "query" in params:
                raise ProtocolError(400, "Give the query in the body or as ?query=, not both")
        elif mime == UPDATE_TYPE:
            raise ProtocolError(403, "SPARQL Update is not allowed: this endpoint is read-only")
        else:
            raise ProtocolError(415, f"Unsupported Content-Type {mime or '(none)'!r}: send "
                                f"{FORM_TYPE} or {QUERY_TYPE}")
    elif request.method not in ("GET", "HEAD"):
        raise ProtocolError(405, "Use GET or POST")
    queries = params.getlist("query")
    updates = params.getlist("update")
    if updates and (queries or query is not None):
        raise ProtocolError(400, "A request carries either 'query' or 'update', not both")
    if len(updates) > 1 or len(queries) > 1:
        raise ProtocolError(400, "Give exactly one query (or update) per request")
    if updates or params.getlist("using-graph-uri") or params.getlist("using-named-graph-uri"):
        if request.method == "GET":
            raise ProtocolError(400, "Updates are never sent with GET; and this endpoint is "
                                "read-only")
        raise ProtocolError(403, "SPARQL Update is not allowed: this endpoint is read-only")
    if queries:
        query = queries[0]
        if is_blank(query):
            raise ProtocolError(400, "Empty query: 'query' holds no SPARQL text (only "
                                "whitespace or comments)")
    if query is not None and len(query) > max_chars:
        raise ProtocolError(413, f"Query too long: {len(query)} characters, the limit is "
                            f"{max_chars}")
    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    for iri in default + named:  # graph names reach the engines as IRIs: refuse what is not one
        try:
            NamedNode(iri)
        except ValueError as exc:
            raise ProtocolError(400, f"Not an absolute IRI: {iri!r} ({exc})") from None
    inference = params.get("inference", "true").strip().lower() not in FALSE_WORDS
    spec = DatasetSpec(tuple(default) if default or named else None,
                       tuple(named) if default or named else None, inference)
    values = tuple(v for name in FORMAT_PARAMS for v in params.getlist(name) if v.strip())
    return SparqlCall(query, spec, values[0] if values else None, values)


def choose_format(call: SparqlCall, accept: str | None,
                  negotiator: Negotiator) -> formats.Format:
    """Pick the result format: `format=` first, else the Accept header (406 if none fits)."""
    form = query_form(call.query or "") or "SELECT"
    if call.format_param:
        fmt = next((f for f in (formats.by_name(v, form) for v in call.format_values) if f),
                   None)
        if fmt is None:
            names = ", ".join(f.key for f in formats.offered(form))
            raise ProtocolError(400, f"Unknown format {call.format_param!r} for a {form} "
                                f"query; use one of: {names}")
        return fmt
    return result_format(accept, form, negotiator)


def result_format(accept: str | None, form: str, negotiator: Negotiator) -> formats.Format:
    """Choose the format for a form from the Accept header (the app's one negotiation)."""
    offered = formats.media_types(form)
    best = negotiator.best(accept, offered, default=formats.offered(form)[0].media_type)
    if best is None:
        wanted = accept or ""
        raise ProtocolError(406, f"None of the requested media types ({wanted}) is available "
                            f"for a {form} query; available: {', '.join(offered)}")
    fmt = formats.by_name(best, form)
    assert fmt is not None
    return fmt


def _decode(data: bytes, request: Request) -> str:
    limit = getattr(request, "max_content_length", None)  # chunked bodies are cut, not refused
    if request.content_length is None and limit is not None and len(data) >= limit:
        raise ProtocolError(413, f"Request body too large: the limit is {limit} bytes")
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"Unsupported charset {charset!r}: send UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"Request body is not valid UTF-8: {exc}") from None

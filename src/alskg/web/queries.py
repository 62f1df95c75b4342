"""Named queries on the web: /queries, /queries/<name>[.json|.csv|.tsv|.ttl|…], /openapi.json,
/.well-known/sparql-examples.

One URL per named query (Datasette's idiom): HTML for people (a form, the SPARQL text and the
result table), and the data one suffix or one Accept header away, with `Link: rel=alternate`.
Parameters come from the query string and are bound as typed RDF terms by the engine.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for
from rdflib import Literal, URIRef
from rdflib.term import Node

from ..curation.namespaces import DEFAULT_BASE
from ..formats import media as formats
from ..formats.terms import display_text as compact
from ..query.catalog import NamedQuery, ParameterError, find_query
from ..query.engines import QueryOutcome
from ..query.examples import body_text, examples_graph, query_iri
from ..query.resolve import resolve, service_resolver, suggest_kind, suggestions_of
from ..query.service import Service, request_key
from ..query.sparqltext import query_form
from .http import (
    HTML,
    JSON,
    HttpError,
    answer,
    message_of,
    negotiate,
    not_acceptable,
    not_modified,
    service,
    status_of,
    to_http,
)
from .openapi import openapi_document

blueprint = Blueprint("catalog", __name__)

INPUT_TYPES = {"integer": "number", "date": "date"}


def json_error(status: int, message: str, **extra: Any) -> HttpError:
    """Return the API's error, always JSON: {"ok": false, "error": ..., "status": N}."""
    return HttpError(status, message, media=JSON, **extra)


def _json_response(document: Any) -> Response:
    return answer(json.dumps(document, ensure_ascii=False, indent=2) + "\n", JSON,
                  negotiated=True, max_age=None)


def catalog_entry(query: NamedQuery) -> dict[str, Any]:
    """Return one named query as a JSON-ready catalog entry."""
    form = query_form(query.text) or "SELECT"
    return {
        "name": query.name, "title": query.title, "summary": query.summary,
        "description": query.description, "tags": list(query.tags), "form": form,
        "url": url_for("catalog.named_query", name=query.name, _external=True),
        "iri": str(query_iri(query.name, service().base)),
        "formats": {f.key: url_for("catalog.named_query", name=f"{query.name}.{f.suffix}",
                                   _external=True) for f in formats.offered(form)},
        "params": [{"name": p.name, "type": p.type, "default": p.default, "example": p.example,
                    "description": p.description, "variable": p.variable} for p in query.params],
    }


@blueprint.get("/queries")
def index() -> Response:
    """List the named queries: HTML, or JSON at /queries.json or by Accept."""
    catalog = service().catalog
    tag = request.args.get("tag", "").strip()
    shown = [q for q in catalog if not tag or tag in q.tags]
    wanted = JSON if request.path.endswith(".json") else negotiate([HTML, JSON])
    if wanted is None:
        raise not_acceptable("the catalog", [HTML, JSON], media=JSON)
    if wanted == JSON:
        return _json_response({"ok": True, "tag": tag or None,
                               "queries": [catalog_entry(q) for q in shown]})
    tags = sorted({t for q in catalog for t in q.tags})
    html = render_template("queries.html", queries=shown, tags=tags, tag=tag,
                           forms={q.name: query_form(q.text) or "SELECT" for q in shown},
                           json_url=url_for("catalog.index_json"))
    return answer(html, HTML, negotiated=True, max_age=None,
                  alternates=[(url_for("catalog.index_json", _external=True), JSON)])


def _split_suffix(name: str) -> tuple[NamedQuery | None, str | None]:
    """Resolve `name` or `name.suffix` to (query, suffix)."""
    query = find_query(name, service().catalog)
    if query is not None:
        return query, None
    stem, dot, suffix = name.rpartition(".")
    if dot and stem:
        return find_query(stem, service().catalog), suffix.lower()
    return None, None


def _suffix_format(suffix: str, form: str) -> formats.Format | None:
    """Return the format a path suffix names for a query form (`.json` is JSON-LD for graphs)."""
    if suffix == "json" and form not in ("SELECT", "ASK"):
        suffix = "jsonld"
    for fmt in formats.offered(form):
        if suffix in (fmt.suffix, fmt.key):
            return fmt
    return None


def _format_link(name: str, fmt: formats.Format | None) -> str:
    """Return the absolute URL of a query in a format, keeping the current parameters."""
    target = name if fmt is None else f"{name}.{fmt.suffix}"
    url = url_for("catalog.named_query", name=target, _external=True)
    query_string = request.query_string.decode("latin-1")
    return url + ("?" + query_string if query_string else "")


def _link_header(name: str, form: str) -> str:
    links = [f'<{_format_link(name, None)}>; rel="alternate"; type="text/html"']
    links += [f'<{_format_link(name, f)}>; rel="alternate"; type="{f.media_type}"'
              for f in formats.offered(form)]
    return ", ".join(links)


@blueprint.get("/queries/<name>")
def named_query(name: str) -> Response:
    """Run a named query: HTML (form, SPARQL, table) or data by suffix or content negotiation."""
    query, suffix = _split_suffix(name)
    if query is None:
        raise json_error(404, f"No named query {name!r}; see /queries")
    form = query_form(query.text) or "SELECT"
    fmt: formats.Format | None = None
    if suffix is not None:
        fmt = _suffix_format(suffix, form)
        if fmt is None:
            suffixes = ", ".join(f".{f.suffix}" for f in formats.offered(form))
            raise json_error(406, f"Format .{suffix} is not available for a {form} query; "
                              f"use one of: {suffixes}")
    else:
        offered = [HTML, *formats.media_types(form)]
        best = negotiate(offered)
        if best is None:
            raise json_error(406, f"None of the requested media types "
                              f"({request.headers.get('Accept', '')}) is available; "
                              f"available: {', '.join(offered)}")
        if best != HTML:
            fmt = formats.by_name(best, form)
    svc = service()
    raw, problem = _raw_params()
    bindings: dict[str, Node] = {}
    error: ParameterError | None = None
    if problem is None:
        try:
            bindings = resolve(query, raw, svc.prefixes, *service_resolver(svc))
        except ParameterError as exc:
            error = exc
    if fmt is not None:
        if problem is not None:
            raise json_error(400, problem)
        if error is not None:
            raise json_error(400, str(error), parameter=error.name, expected=error.expected,
                             closest=suggestions_of(error))
        return _data_response(svc, query, form, fmt, bindings)
    return _html_response(svc, query, form, raw, bindings, error, problem)


def _raw_params() -> tuple[dict[str, str], str | None]:
    """Return the query-string parameters (one value each) or a problem message."""
    raw: dict[str, str] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            return {}, f"parameter {key!r} given {len(values)} times; give one value"
        raw[key] = values[0]
    return raw, None


def _data_response(svc: Service, query: NamedQuery, form: str, fmt: formats.Format,
                   bindings: dict[str, Node]) -> Response:
    query_request = svc.request(query.text, bindings=bindings, format_key=fmt.key)
    etag = svc.etag(request_key(query_request))
    cached = not_modified(etag, negotiated=False)
    if cached is not None:
        response = cached
    else:
        response = to_http(svc.run(query_request), etag, error_media=JSON)
        response.headers["Content-Disposition"] = \
            f'inline; filename="{query.name}.{fmt.suffix}"'
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _link_header(query.name, form)
    return response


def display(term: Node | None, svc: Service) -> dict[str, str]:
    """Return how a result term is shown: text, link target and a tooltip."""
    if term is None:
        return {"text": "", "href": "", "title": ""}
    if isinstance(term, URIRef):
        iri = str(term)
        href = iri
        for root in dict.fromkeys((svc.base, DEFAULT_BASE)):
            if iri.startswith(root):
                href = request.script_root + "/" + iri[len(root):]
                break
        return {"text": compact(term, svc.prefixes), "href": href, "title": iri}
    if isinstance(term, Literal):
        title = f"@{term.language}" if term.language else (
            compact(term.datatype, svc.prefixes) if term.datatype else "")
        return {"text": str(term), "href": "", "title": title}
    return {"text": f"_:{term}", "href": "", "title": "blank node"}


def result_table(outcome: QueryOutcome, svc: Service) -> dict[str, Any]:
    """Turn a query's terms into what the page shows: columns and rows, or a boolean."""
    if outcome.form == "ASK":
        return {"kind": "ask", "boolean": bool(outcome.boolean)}
    if outcome.form == "SELECT":
        return {"kind": "select", "columns": list(outcome.variables),
                "rows": [[display(t, svc) for t in row] for row in outcome.rows]}
    rows = [[display(t, svc) for t in triple] for triple in sorted(set(outcome.triples))]
    return {"kind": "graph", "columns": ["subject", "predicate", "object"], "rows": rows}


def _html_response(svc: Service, query: NamedQuery, form: str, raw: dict[str, str],
                   bindings: dict[str, Node], error: ParameterError | None,
                   problem: str | None) -> Response:
    status = 200
    message = problem or (str(error) if error else None)
    table: dict[str, Any] | None = None
    truncated = False
    etag = None
    if message:
        status = 400
    else:
        query_request = svc.request(query.text, bindings=bindings, format_key=None,
                                    as_terms=True)
        etag = svc.etag((*request_key(query_request), "html", request.query_string))
        cached = not_modified(etag)
        if cached is not None:
            return cached
        result = svc.run(query_request)
        if result.error is not None:
            status, message = status_of(result.error), message_of(result.error)
        else:
            assert result.outcome is not None
            table = result_table(result.outcome, svc)
            truncated = result.truncated
    params = [{
        "name": p.name, "type": p.type, "value": raw.get(p.name, ""), "default": p.default or "",
        "example": p.example or "", "description": p.description,
        "input_type": INPUT_TYPES.get(p.type, "text"), "variable": p.variable,
        "invalid": error is not None and error.name == p.name,
        "suggest": suggest_kind(p, svc.prefixes),
    } for p in query.params]
    examples = {p.name: p.example for p in query.params if p.example}
    alternates = [{"label": f.suffix.upper(), "key": f.key, "media_type": f.media_type,
                   "href": _format_link(query.name, f)} for f in formats.offered(form)]
    html = render_template(
        "named_query.html", query=query, form=form, params=params, table=table,
        sparql=body_text(query),
        truncated=truncated, error=message, alternates=alternates,
        max_rows=svc.settings["ALSKG_MAX_ROWS"],
        sparql_editor=url_for("sparql.sparql"),
        example_link=(url_for("catalog.named_query", name=query.name) + "?" + urlencode(examples)
                      if examples else None),
        iri=str(query_iri(query.name, svc.base)))
    return answer(html, HTML, status=status, etag=etag, negotiated=True,
                  headers={"Link": _link_header(query.name, form)})


@blueprint.get("/queries.json", endpoint="index_json")
def index_json() -> Response:
    """List the named queries as JSON."""
    return index()


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """Describe the API and every named query in OpenAPI 3.1."""
    document = openapi_document(service().catalog, request.url_root)
    return answer(json.dumps(document, ensure_ascii=False, indent=2) + "\n", JSON,
                  negotiated=True)


@blueprint.get("/.well-known/sparql-examples")
def sparql_examples() -> Response:
    """Serve the named queries as SHACL SPARQL executables (Turtle by default, negotiated)."""
    name = request.args.get("format")
    fmt = formats.by_name(name, "CONSTRUCT") if name else None
    if name and fmt is None:
        raise json_error(400, f"Unknown RDF format {name!r}; use one of: "
                          + ", ".join(f.key for f in formats.GRAPH_FORMATS))
    if fmt is None:
        best = negotiate(formats.media_types("CONSTRUCT"))
        if best is None:
            raise json_error(406, "The examples are available as: "
                              + ", ".join(formats.media_types("CONSTRUCT")))
        fmt = formats.by_name(best, "CONSTRUCT")
    assert fmt is not None
    svc = service()
    body = formats.serialize_graph(examples_graph(svc.catalog, base=svc.base), fmt, svc.prefixes)
    return answer(body, fmt.media_type, negotiated=True)

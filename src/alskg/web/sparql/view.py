"""The /sparql endpoint: protocol, content negotiation, caching, ETags, service description."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ...formats import media as formats
from ...query.executor import QueryResponse
from ...query.service import Service, request_key
from . import description as service_description
from .protocol import ProtocolError, choose_format, parse_call

blueprint = Blueprint("sparql", __name__)


def service() -> Service:
    """Return the Service held by the current app."""
    svc: Service = current_app.extensions["alskg"]
    return svc


def not_modified(etag: str) -> Response | None:
    """Return a 304 when the request's If-None-Match holds `etag`, else None."""
    if not (request.if_none_match and request.if_none_match.contains(etag)):
        return None
    response = Response(status=304)
    response.set_etag(etag)
    response.headers["Vary"] = "Accept"
    return response


def text_error(status: int, message: str) -> Response:
    """Return a plain-text error response."""
    return Response(message.rstrip("\n") + "\n", status=status,
                    content_type="text/plain; charset=utf-8")


@blueprint.route("/sparql", methods=["GET", "POST", "HEAD"])
@blueprint.route("/sparql/", methods=["GET", "POST", "HEAD"])
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request, or describe the service when there is no query."""
    svc = service()
    try:
        call = parse_call(request, svc.settings["ALSKG_MAX_QUERY_CHARS"])
        if call.query is None:
            return describe_service()
        fmt = choose_format(call, request)
    except ProtocolError as exc:
        return text_error(exc.status, exc.message)
    query_request = svc.request(call.query, spec=call.spec, format_key=fmt.key)
    etag = svc.etag(request_key(query_request))
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return to_http(svc.run(query_request), etag)


def to_http(result: QueryResponse, etag: str | None = None) -> Response:
    """Turn an executor response into an HTTP response with caching headers."""
    response = Response(result.body, status=result.status, content_type=result.content_type)
    response.headers["Vary"] = "Accept"
    if result.status == 200:
        if etag:
            response.set_etag(etag)
        response.headers["Cache-Control"] = "public, max-age=300"
        if result.truncated:
            response.headers["X-Result-Truncated"] = "true"
    return response


def describe_service() -> Response:
    """Serve the query page to browsers, else the service description (RDF, negotiated)."""
    html_wanted = request.accept_mimetypes.best_match(
        ["text/turtle", "text/html"] + formats.media_types("CONSTRUCT"))
    if html_wanted == "text/html" and request.args.get("format") is None:
        return query_page()
    fmt_name = request.args.get("format")
    fmt = formats.by_name(fmt_name, "CONSTRUCT") if fmt_name else None
    if fmt is None:
        best = request.accept_mimetypes.best_match(formats.media_types("CONSTRUCT"))
        if request.headers.get("Accept") and best is None:
            return text_error(406, "The service description is available as: "
                              + ", ".join(formats.media_types("CONSTRUCT")) + ", text/html")
        fmt = formats.by_name(best, "CONSTRUCT") if best else formats.GRAPH_FORMATS[0]
    assert fmt is not None
    svc = service()
    graph = service_description.describe(svc, url_for("sparql.sparql", _external=True))
    body = formats.serialize_graph(graph, fmt, service_description.SD_PREFIXES)
    response = Response(body, content_type=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


def query_page() -> Response:
    """Render the offline YASGUI query page with prefixes and the named queries as tabs."""
    svc = service()
    examples = [{"name": q.name, "title": q.title, "summary": q.summary, "query": q.text}
                for q in svc.catalog]
    links = [{"href": url_for("evidence.matrix"), "label": "Evidence matrix"},
             {"href": url_for("pages.downloads"), "label": "Downloads"},
             {"href": url_for("catalog.index"), "label": "Named queries"}]
    html = render_template("query.html", endpoint_url=url_for("sparql.sparql", _external=True),
                           prefixes=svc.prefixes, examples=examples, links=links,
                           build_version=svc.build.version)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response

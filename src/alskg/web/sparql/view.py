"""The /sparql endpoint: protocol, content negotiation, caching, ETags, service description."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from ...formats import media as formats
from ...query.service import request_key
from ..http import HTML, TEXT, HttpError, answer, negotiate, not_modified, service, to_http
from . import description as service_description
from .protocol import ProtocolError, choose_format, parse_call

blueprint = Blueprint("sparql", __name__)


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
    except ProtocolError as exc:  # the protocol's own texts, as plain text
        raise HttpError(exc.status, exc.message, media=TEXT) from None
    query_request = svc.request(call.query, spec=call.spec, format_key=fmt.key)
    etag = svc.etag(request_key(query_request))
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return to_http(svc.run(query_request), etag)


def describe_service() -> Response:
    """Serve the query page to browsers, else the service description (RDF, negotiated)."""
    html_wanted = negotiate(["text/turtle", HTML] + formats.media_types("CONSTRUCT"))
    if html_wanted == HTML and request.args.get("format") is None:
        return query_page()
    fmt_name = request.args.get("format")
    fmt = formats.by_name(fmt_name, "CONSTRUCT") if fmt_name else None
    if fmt is None:
        best = negotiate(formats.media_types("CONSTRUCT"))
        if best is None:
            raise HttpError(406, "The service description is available as: "
                            + ", ".join(formats.media_types("CONSTRUCT")) + ", text/html",
                            media=TEXT)
        fmt = formats.by_name(best, "CONSTRUCT")
    assert fmt is not None
    svc = service()
    graph = service_description.describe(svc, url_for("sparql.sparql", _external=True))
    body = formats.serialize_graph(graph, fmt, service_description.SD_PREFIXES)
    return answer(body, fmt.media_type, negotiated=True, max_age=None)


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
                           build_version=svc.build.package_version)
    return answer(html, HTML, negotiated=True, max_age=None)

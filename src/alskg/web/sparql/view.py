"""The /sparql endpoint: protocol, content negotiation, caching, ETags, service description; the
query page for browsers and the terms its editor completes (/sparql/completions)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ...formats import media as formats
from ...query.completions import completions as completion_terms
from ..http import (
    HTML,
    JSON,
    TEXT,
    HttpError,
    answer,
    negotiate,
    not_modified,
    service,
    to_response,
)
from . import description as service_description
from .editor import STARTING_QUERY, example_groups
from .endpoint import SparqlEndpoint

blueprint = Blueprint("sparql", __name__)


@blueprint.route("/sparql", methods=["GET", "POST", "HEAD"])
@blueprint.route("/sparql/", methods=["GET", "POST", "HEAD"])
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request, or describe the service when there is no query.

    Queries usually arrive by the fast lane (web.sparql.lane) before Flask; what reaches this
    view (HEAD, chunked bodies, ...) gets the same answer from the same SparqlEndpoint."""
    endpoint: SparqlEndpoint = current_app.extensions["alskg.sparql"]
    reply = endpoint.respond(request)
    if reply is None:
        return describe_service()
    return to_response(reply)


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
    """Render the offline YASGUI query page: a short starting query, the named queries in a
    picker grouped by topic, the pre-declared prefixes and where the editor's completions are."""
    svc = service()
    groups = example_groups(svc.catalog, lambda name: url_for("catalog.named_query", name=name))
    links = [{"href": url_for("evidence.matrix"), "label": "Evidence matrix"},
             {"href": url_for("pages.downloads"), "label": "Downloads"},
             {"href": url_for("catalog.index"), "label": "Named queries"}]
    html = render_template("query.html", endpoint_url=url_for("sparql.sparql", _external=True),
                           prefixes=svc.prefixes, starting_query=STARTING_QUERY,
                           example_groups=groups, links=links,
                           completions_url=url_for("sparql.completions"),
                           build_version=svc.build.package_version)
    return answer(html, HTML, negotiated=True, max_age=None)


@blueprint.get("/sparql/completions")
def completions() -> Response:
    """List this graph's classes, properties and labelled resources for the editor (JSON)."""
    svc = service()
    etag = svc.etag(("sparql-completions",))
    unchanged = not_modified(etag, negotiated=False)
    if unchanged is not None:
        return unchanged
    body = json.dumps(completion_terms(svc), ensure_ascii=False, separators=(",", ":"))
    return answer(body, JSON, etag=etag)

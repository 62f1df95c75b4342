"""The evidence matrix: interventions × aspects → status, as HTML and JSON at /evidence."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for

from ..query.evidence import INFERRED_MARK, EvidenceError, EvidenceMatrix, compute_matrix
from .http import HTML, JSON, HttpError, negotiate, not_acceptable, service
from .sparql.protocol import FALSE_WORDS

blueprint = Blueprint("evidence", __name__)


def _inference() -> bool:
    return request.args.get("inference", "true").strip().lower() not in FALSE_WORDS


def _href(path: str) -> str:
    """Return a site path under the app's mount point (external IRIs unchanged)."""
    return request.script_root + path if path.startswith("/") else path


@blueprint.get("/evidence")
def matrix() -> Response:
    """Show the evidence matrix: HTML for people, JSON by Accept."""
    wanted = negotiate([HTML, JSON])
    if wanted is None:
        raise not_acceptable("the evidence matrix", [HTML, JSON], media=JSON)
    return _respond(wanted)


@blueprint.get("/evidence.json")
def matrix_json() -> Response:
    """Return the evidence matrix as JSON."""
    return _respond(JSON)


def _respond(wanted: str) -> Response:
    svc = service()
    inference = _inference()
    etag = svc.etag(("evidence", inference, wanted))
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            evidence = compute_matrix(svc, inference)
        except EvidenceError as exc:
            raise HttpError(503, str(exc), media=JSON) from None
        response = _render(evidence, wanted, inference)
        response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(etag)
    response.headers["Vary"] = "Accept"
    json_url = url_for("evidence.matrix_json", _external=True)
    html_url = url_for("evidence.matrix", _external=True)
    if not inference:
        json_url += "?inference=false"
        html_url += "?inference=false"
    response.headers["Link"] = (f'<{html_url}>; rel="alternate"; type="text/html", '
                                f'<{json_url}>; rel="alternate"; type="application/json"')
    return response


def _render(evidence: EvidenceMatrix, wanted: str, inference: bool) -> Response:
    if wanted == JSON:
        body = json.dumps(evidence.to_json(), ensure_ascii=False, indent=2) + "\n"
        return Response(body, content_type="application/json; charset=utf-8")
    html = render_template(
        "evidence.html", matrix=evidence, href=_href, inferred_mark=INFERRED_MARK,
        inference=inference,
        json_url=url_for("evidence.matrix_json") + ("" if inference else "?inference=false"),
        toggle_url=url_for("evidence.matrix") + ("?inference=false" if inference else ""),
        claims_query=url_for("catalog.named_query", name="evidence-matrix-claims"),
        interventions_query=url_for("catalog.named_query",
                                    name="evidence-matrix-interventions"))
    return Response(html, content_type="text/html; charset=utf-8")

"""The evidence matrix: interventions × aspects → status, as HTML and JSON at /evidence;
the evidence timeline (alskg.timeline) as HTML and SVG at /evidence/timeline."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for

from ..query.evidence import (
    DISCREPANCY_MARK,
    INFERRED_MARK,
    EvidenceError,
    EvidenceMatrix,
    compute_matrix,
)
from ..query.evidence_asof import AsOfError
from ..query.evidence_groups import GROUPS
from ..query.evidence_model import EvidenceFilterError
from .http import HTML, JSON, HttpError, negotiate, not_acceptable, service
from .sparql.protocol import FALSE_WORDS
from .timeline import compute_timeline, render_svg

blueprint = Blueprint("evidence", __name__)


def _inference() -> bool:
    return request.args.get("inference", "true").strip().lower() not in FALSE_WORDS


def _href(path: str) -> str:
    """Return a site path under the app's mount point (external IRIs unchanged)."""
    return request.script_root + path if path.startswith("/") else path


@blueprint.get("/evidence")
def matrix() -> Response:
    """Show the evidence matrix: HTML for people, JSON by Accept."""
    return _respond(_negotiated([HTML, JSON], "the evidence matrix"))


@blueprint.get("/evidence.json")
def matrix_json() -> Response:
    """Return the evidence matrix as JSON."""
    return _respond(JSON)


def _negotiated(offered: list[str], what: str) -> str:
    """Return the media type the request accepts among `offered`, else raise the JSON 406."""
    wanted = negotiate(offered)
    if wanted is None:
        raise not_acceptable(what, offered, media=JSON)
    return wanted


def _query_string(inference: bool, as_of: str | None) -> str:
    """Return the query string that keeps the request's inference and as_of settings."""
    parts = ([] if inference else ["inference=false"]) + ([f"as_of={as_of}"] if as_of else [])
    return ("?" + "&".join(parts)) if parts else ""


def _respond(wanted: str) -> Response:
    svc = service()
    inference = _inference()
    as_of = request.args.get("as_of")
    filters = tuple(request.args.get(name) or "" for name in ("group", "modality", "aspect"))
    etag = svc.etag(("evidence", inference, wanted, as_of or "", *filters))
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            everything = compute_matrix(svc, inference, as_of)
            evidence = everything.filtered(*(request.args.get(name) or None
                                             for name in ("group", "modality", "aspect")))
        except (AsOfError, EvidenceFilterError) as exc:
            raise HttpError(400, f"Bad parameter {exc.parameter!r}: {exc.message}",
                            media=JSON) from None
        except EvidenceError as exc:
            raise HttpError(503, str(exc), media=JSON) from None
        response = _render(evidence, wanted, inference, everything.modalities())
        response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(etag)
    response.headers["Vary"] = "Accept"
    keep = _query_string(inference, as_of)
    json_url = url_for("evidence.matrix_json", _external=True) + keep
    html_url = url_for("evidence.matrix", _external=True) + keep
    response.headers["Link"] = (f'<{html_url}>; rel="alternate"; type="text/html", '
                                f'<{json_url}>; rel="alternate"; type="application/json"')
    return response


def _render(evidence: EvidenceMatrix, wanted: str, inference: bool,
            modalities: list[tuple[str, str]]) -> Response:
    if wanted == JSON:
        body = json.dumps(evidence.to_json(), ensure_ascii=False, indent=2) + "\n"
        return Response(body, content_type="application/json; charset=utf-8")
    html = render_template(
        "evidence.html", matrix=evidence, href=_href, inferred_mark=INFERRED_MARK,
        inference=inference, discrepancy_mark=DISCREPANCY_MARK,
        json_url=url_for("evidence.matrix_json") + _query_string(inference, evidence.as_of),
        toggle_url=url_for("evidence.matrix") + _query_string(not inference, evidence.as_of),
        timeline_url=url_for("evidence.timeline"),
        claims_query=url_for("catalog.named_query", name="evidence-matrix-claims"),
        group_choices=[(key, key) for key in GROUPS],
        modality_choices=modalities,
        unfiltered_url=url_for("evidence.matrix") + _query_string(inference, evidence.as_of),
        interventions_query=url_for("catalog.named_query",
                                    name="evidence-matrix-interventions"))
    return Response(html, content_type="text/html; charset=utf-8")


# --- the timeline picture (alskg.timeline) ----------------------------------------------------

SVG = "image/svg+xml"


@blueprint.get("/evidence/timeline")
def timeline() -> Response:
    """Show the evidence timeline: an HTML page with the SVG inline and a table of its marks."""
    return _timeline_response(_negotiated([HTML, SVG], "the evidence timeline"))


@blueprint.get("/evidence/timeline.svg")
def timeline_svg() -> Response:
    """Return the evidence timeline as an SVG image."""
    return _timeline_response(SVG)


def _timeline_response(wanted: str) -> Response:
    svc = service()
    as_of = request.args.get("as_of")
    filters = tuple(request.args.get(name) or "" for name in ("group", "modality"))
    etag = svc.etag(("evidence-timeline", wanted, as_of or "", request.script_root, *filters))
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            found = compute_timeline(svc, as_of)
            group, modality = (request.args.get(name) or None for name in ("group", "modality"))
            if group or modality:
                kept = compute_matrix(svc, True, as_of).filtered(group, modality)
                found = found.only({row.intervention.iri for row in kept.rows})
        except (AsOfError, EvidenceFilterError) as exc:
            raise HttpError(400, f"Bad parameter {exc.parameter!r}: {exc.message}",
                            media=JSON) from None
        except EvidenceError as exc:
            raise HttpError(503, str(exc), media=JSON) from None
        svg = render_svg(found, _href)
        if wanted == SVG:
            response = Response(svg, content_type="image/svg+xml; charset=utf-8")
        else:
            keep = _query_string(True, found.as_of)
            html = render_template(
                "timeline.html", timeline=found, svg=svg, href=_href,
                svg_url=url_for("evidence.timeline_svg") + keep,
                matrix_url=url_for("evidence.matrix") + keep,
                query_url=url_for("catalog.named_query", name="evidence-timeline"))
            response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(etag)
    response.headers["Vary"] = "Accept"
    keep = _query_string(True, as_of)
    html_url = url_for("evidence.timeline", _external=True) + keep
    svg_url = url_for("evidence.timeline_svg", _external=True) + keep
    response.headers["Link"] = (f'<{html_url}>; rel="alternate"; type="text/html", '
                                f'<{svg_url}>; rel="alternate"; type="image/svg+xml"')
    return response

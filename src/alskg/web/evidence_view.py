"""The evidence matrix: interventions × aspects → status, as HTML and JSON at /evidence."""

from __future__ import annotations

from flask import Blueprint, Response

blueprint = Blueprint("evidence", __name__)


@blueprint.get("/evidence")
def matrix() -> Response:
    """Show the evidence matrix."""
    return Response("evidence: not yet", content_type="text/plain")

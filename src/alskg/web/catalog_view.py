"""Named queries on the web: /queries, /queries/<name>[.json|.csv|.tsv|.ttl], /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response

blueprint = Blueprint("catalog", __name__)


@blueprint.get("/queries")
def index() -> Response:
    """List the named queries."""
    return Response("named queries: not yet", content_type="text/plain")

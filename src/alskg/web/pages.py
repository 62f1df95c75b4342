"""HTML pages for people: the home page and the downloads page."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, url_for

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home() -> Response:
    """Send people to the evidence matrix, the landing view."""
    return redirect(url_for("evidence.matrix"))  # type: ignore[return-value]


@blueprint.get("/downloads")
def downloads() -> Response:
    """List the dumps."""
    return Response("downloads: not yet", content_type="text/plain")

"""The Flask application factory: one Service per app, blueprints for each concern."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import settings
from ..query.service import Service
from .fastpath import CachedResponses


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: settings, then the build and executor (lazily), then the blueprints."""
    app = Flask(__name__)
    app.config.update(settings(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    service = Service(app.config)
    app.extensions["alskg"] = service
    atexit.register(service.close)

    from . import evidence as evidence_view
    from . import pages
    from . import queries as catalog_view
    from .linked_data import views as resources_view
    from .sparql import view as sparql_view

    for module in (sparql_view, pages, catalog_view, evidence_view, resources_view):
        app.register_blueprint(module.blueprint)

    @app.context_processor
    def footer_context() -> dict[str, Any]:
        return {"build_version": service.build.version,
                "content_hash": service.build.content_hash[:12]}

    @app.get("/health")
    def health() -> Response:
        """Report that the server is up, with the build it serves."""
        return jsonify(ok=True, version=service.build.version,
                       content_hash=service.build.content_hash, engine=service.engine_name)

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Link, X-Result-Truncated"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Accept, Content-Type")
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            message = f"Request body too large: the limit is {limit} bytes"
        if request.path.startswith("/sparql"):
            return Response(message + "\n", status=status,
                            content_type="text/plain; charset=utf-8")
        response = jsonify(ok=False, error=message, status=status)
        response.status_code = status
        return response

    app.wsgi_app = CachedResponses(  # type: ignore[method-assign]
        app.wsgi_app, app.config["ALSKG_CACHE_ENTRIES"], app.config["ALSKG_CACHE_ENTRY_BYTES"],
        app.config["ALSKG_CACHE_TOTAL_BYTES"] // 2)
    logging.getLogger("alskg").setLevel(logging.INFO)
    return app

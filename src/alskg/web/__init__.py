"""The Flask application factory: one Service per app, blueprints for each concern."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request

from ..config import settings
from ..query.service import Service
from . import browse, evidence, pages, queries, search
from .fastpath import CachedResponses
from .http import register_errors
from .linked_data import documents, explain
from .metrics import CountRequests, install
from .negotiation import Negotiator
from .reply import cors_headers
from .sparql import view as sparql
from .sparql.endpoint import SparqlEndpoint
from .sparql.lane import SparqlLane

BLUEPRINTS = (sparql.blueprint, pages.blueprint, queries.blueprint, evidence.blueprint,
              browse.blueprint, documents.blueprint, explain.blueprint, search.blueprint)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: settings, then the build and executor (lazily), then the blueprints."""
    app = Flask(__name__)
    app.config.update(settings(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    metrics = install(app)
    app.extensions["alskg.metrics"] = metrics
    service = Service(app.config, metrics)
    app.extensions["alskg"] = service
    negotiator = Negotiator()
    app.extensions["alskg.negotiator"] = negotiator
    endpoint = SparqlEndpoint(service, negotiator)
    app.extensions["alskg.sparql"] = endpoint
    atexit.register(service.close)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_errors(app)

    @app.context_processor
    def footer_context() -> dict[str, Any]:
        return {"build_version": service.build.package_version,
                "content_hash": service.build.content_hash[:12]}

    @app.get("/health")
    def health() -> tuple[Response, int]:
        """Report the build this process serves and whether its queries can be answered: 503
        with the reason when no query worker can start (a damaged file, no memory)."""
        state = service.status()
        body: dict[str, Any] = {
            "ok": state.error is None or state.ready > 0, "build": service.build.path.name,
            "content_hash": service.build.content_hash,
            "version": service.build.package_version, "engine": service.engine_name,
            "query_workers": state.ready}
        if state.error is not None:
            body["error"] = state.error
        return jsonify(body), 200 if body["ok"] else 503

    @app.after_request
    def cors(response: Response) -> Response:
        if request.endpoint == "metrics":   # private: no cross-origin reads by browsers
            return response
        for name, value in cors_headers(request.method,
                                        request.headers.get("Access-Control-Request-Headers")):
            response.headers[name] = value
        return response

    # outermost last: count requests > replay cached answers > the /sparql lane > Flask
    app.wsgi_app = SparqlLane(  # type: ignore[method-assign]
        app.wsgi_app, endpoint, app.config["MAX_CONTENT_LENGTH"], metrics.enabled)
    replay = CachedResponses(
        app.wsgi_app, app.config["ALSKG_CACHE_ENTRIES"], app.config["ALSKG_CACHE_ENTRY_BYTES"],
        app.config["ALSKG_CACHE_TOTAL_BYTES"] // 2, metrics)
    app.wsgi_app = replay  # type: ignore[method-assign]
    app.extensions["alskg.replay"] = replay  # server.front replays from it on its event loop
    if metrics.enabled:
        app.wsgi_app = CountRequests(app.wsgi_app, metrics)  # type: ignore[method-assign]
    logging.getLogger("alskg").setLevel(logging.INFO)
    return app

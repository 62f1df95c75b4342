"""A WSGI fast lane for SPARQL queries: /sparql answered before Flask's dispatch.

Flask's request context, URL matching, hooks and Response object cost more Python per request
than everything else on the uncached path except the query itself. This layer takes the requests
that carry a query (GET, and POST with a Content-Length within the body limit), answers them with
the same SparqlEndpoint the Flask view uses, and adds what the app adds after a view (CORS, the
URL rule for the metrics); everything else — HEAD, OPTIONS, bodies without a length or over the
limit, a bare GET (service description, query page), other paths — goes on to Flask unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request

from ..metrics import ROUTE_KEY
from ..reply import cors_headers, status_line, wsgi_headers
from .endpoint import SparqlEndpoint

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ROUTES = ("/sparql", "/sparql/")  # the view's URL rules, as the metrics name them
METHODS = ("GET", "POST")


class SparqlLane:
    """Answer /sparql queries without Flask; pass every other request to `app`."""

    def __init__(self, app: WSGIApp, endpoint: SparqlEndpoint, max_content_length: int | None,
                 note_route: bool) -> None:
        self.app = app
        self.endpoint = endpoint
        self.max_content_length = max_content_length
        self.note_route = note_route

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a query here, or hand the request to the app."""
        path = environ.get("PATH_INFO")
        method = environ.get("REQUEST_METHOD")
        if path not in ROUTES or method not in METHODS or (
                method == "POST" and not self._plain_body(environ)):
            return self.app(environ, start_response)
        request = Request(environ)
        request.max_content_length = self.max_content_length
        reply = self.endpoint.respond(request)
        if reply is None:  # no query: the view serves the description (a GET has no body)
            return self.app(environ, start_response)
        if self.note_route:
            environ[ROUTE_KEY] = path
        start_response(status_line(reply.status),
                       wsgi_headers(reply) + cors_headers(method, None))
        return [reply.body]

    def _plain_body(self, environ: dict[str, Any]) -> bool:
        """Tell whether a POST body has a length within the limit (else Werkzeug decides)."""
        length = environ.get("CONTENT_LENGTH", "")
        return length.isdigit() and (self.max_content_length is None
                                     or int(length) <= self.max_content_length)

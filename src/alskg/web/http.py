"""The one place that builds HTTP answers: negotiation, caching headers, errors by media type.

Every view picks its representation with `negotiate`, builds its answer with `answer` (Vary,
Content-Location, Link alternates, ETag, Cache-Control, the charset rule) and reports a failure by
raising HttpError (or letting an AlskgError through): one handler, registered on the app, turns
either into the error shape of the wanted media type — JSON `{"ok": false, "error": ..., "status":
N}`, an HTML page, or plain text (the SPARQL protocol's own texts are plain text). The statuses of
the project's error types are decided here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import (
    AlskgError,
    BadTerm,
    BuildUnusable,
    QueryCrashed,
    QuerySyntaxError,
    QueryTimeout,
    ServerBusy,
    StoreFailed,
    UnsafeQuery,
)
from ..query.executor import QueryResponse
from ..query.service import Service

HTML = "text/html"
JSON = "application/json"
TEXT = "text/plain"
ERROR_TYPES = (TEXT, JSON, HTML)  # plain text first: `Accept: */*` (curl) reads text
STATUS_OF: dict[type[AlskgError], int] = {
    QuerySyntaxError: 400, BadTerm: 400, UnsafeQuery: 403, StoreFailed: 502,
    QueryTimeout: 503, ServerBusy: 503, BuildUnusable: 503, QueryCrashed: 500,
}
UNCHARSETED = ("application/rdf+xml",)  # XML declares its own encoding
TEXTUAL = ("application/json", "application/ld+json", "application/n-triples",
           "application/n-quads", "application/trig", "application/sparql-results+json",
           "application/sparql-results+xml", "application/javascript")


class HttpError(Exception):
    """An answer that is not the resource: status, message and, optionally, a fixed media type."""

    def __init__(self, status: int, message: str, *, media: str | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.media = media
        self.headers = dict(headers or {})
        self.extra = extra


def service() -> Service:
    """Return the Service held by the current app."""
    found: Service = current_app.extensions["alskg"]
    return found


def negotiate(offered: Sequence[str], default: str | None = None) -> str | None:
    """Pick the best offered media type for the Accept header (q-values, wildcards).

    Without an Accept header the answer is `default` (else the first offered); None means
    nothing offered is acceptable."""
    if not request.headers.get("Accept"):
        return default or offered[0]
    return request.accept_mimetypes.best_match(offered)


def not_acceptable(what: str, offered: Iterable[str], *, media: str | None = None) -> HttpError:
    """Return the 406 error naming what is available."""
    return HttpError(406, f"Not acceptable: {what} is available as {', '.join(offered)}",
                     media=media, headers={"Vary": "Accept"})


def content_type(media_type: str) -> str:
    """Return a Content-Type: text and textual RDF/JSON types carry `charset=utf-8`."""
    if ";" in media_type or media_type in UNCHARSETED:
        return media_type
    if media_type.startswith("text/") or media_type in TEXTUAL:
        return media_type + "; charset=utf-8"
    return media_type


def answer(body: bytes | str, media_type: str, *, status: int = 200, etag: str | None = None,
           negotiated: bool = False, location: str | None = None,
           alternates: Iterable[tuple[str, str]] = (), max_age: int | None = 300,
           headers: Mapping[str, str] | None = None) -> Response:
    """Build a response: the body with its Content-Type and the shared headers.

    `alternates` are (URL, media type) pairs for `Link: rel="alternate"`; `location` is the
    Content-Location of a negotiated document; `max_age` None sends no Cache-Control."""
    response = Response(body, status=status, content_type=content_type(media_type))
    if negotiated:
        response.headers["Vary"] = "Accept"
    if location:
        response.headers["Content-Location"] = location
    links = [f'<{href}>; rel="alternate"; type="{kind}"' for href, kind in alternates]
    if links:
        response.headers["Link"] = ", ".join(links)
    if etag and status == 200:
        response.set_etag(etag)
    if max_age is not None and status == 200:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers.update(headers or {})
    return response


def not_modified(etag: str, negotiated: bool = True) -> Response | None:
    """Return 304 when the request's If-None-Match holds `etag`, else None."""
    if not (request.if_none_match and request.if_none_match.contains(etag)):
        return None
    response = Response(status=304)
    response.set_etag(etag)
    if negotiated:
        response.headers["Vary"] = "Accept"
    return response


def to_http(result: QueryResponse, etag: str | None = None, error_media: str = TEXT) -> Response:
    """Turn an executor response into an HTTP response; a failed query raises its HttpError."""
    if result.error is not None:
        failure = from_error(result.error, error_media)
        failure.headers["Vary"] = "Accept"
        raise failure
    headers = {"X-Result-Truncated": "true"} if result.truncated else {}
    return answer(result.body, result.content_type, etag=etag, negotiated=True, headers=headers)


def status_of(error: AlskgError) -> int:
    """Return the HTTP status of one of the project's errors (400 for a client's bad input)."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def message_of(error: AlskgError) -> str:
    """Return an error's message for HTTP, led by its kind where it has one."""
    return f"{error.label.capitalize()}: {error}" if error.label else str(error)


def from_error(error: AlskgError, media: str | None = None) -> HttpError:
    """Return the HttpError for one of the project's errors."""
    return HttpError(status_of(error), message_of(error), media=media)


def error_response(status: int, message: str, media: str | None = None,
                   headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """Return the one error shape for the wanted media type: JSON, HTML or plain text."""
    chosen = media or negotiate(ERROR_TYPES, default=TEXT) or TEXT
    if chosen == JSON:
        body = json.dumps({"ok": False, "error": message, "status": status, **extra},
                          ensure_ascii=False) + "\n"
    elif chosen == HTML:
        body = render_template("error.html", status=status, message=message)
    else:
        chosen, body = TEXT, message.rstrip("\n") + "\n"
    response = Response(body, status=status, content_type=content_type(chosen))
    response.headers.update(headers or {})
    return response


def register_errors(app: Flask) -> None:
    """Install the one error handler: HttpError, AlskgError and werkzeug's HTTP errors."""

    def http_error(error: HttpError) -> Response:
        return error_response(error.status, error.message, error.media, error.headers,
                              **error.extra)

    def project_error(error: AlskgError) -> Response:
        return error_response(status_of(error), message_of(error))

    def werkzeug_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            message = f"Request body too large: the limit is {limit} bytes"
        media = TEXT if request.path.startswith("/sparql") else None
        kept = {name: value for name, value in error.get_headers()
                if name in ("Allow", "WWW-Authenticate", "Retry-After")}
        return error_response(status, message, media, kept)

    app.register_error_handler(HttpError, http_error)
    app.register_error_handler(AlskgError, project_error)
    app.register_error_handler(HTTPException, werkzeug_error)

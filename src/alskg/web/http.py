"""The one place views build HTTP answers: negotiation, caching headers, errors by media type.

Every view picks its representation with `negotiate` (the app's memoized Negotiator), builds its
answer with `answer` (the header rules of web.reply: Vary, Content-Location, Link alternates,
ETag, Cache-Control, the charset rule) and reports a failure by raising HttpError (or letting an
AlskgError through): one handler, registered on the app, turns either into the error shape of the
wanted media type — JSON `{"ok": false, "error": ..., "status": N}`, an HTML page, or plain text
(the SPARQL protocol's own texts are plain text). The statuses of the project's error types are
decided in web.reply and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import AlskgError
from ..query.executor import QueryResponse
from ..query.service import Service
from .negotiation import Negotiator
from .reply import TEXT, Reply, answer_headers, content_type, message_of, status_of, text_error
from .reply import not_modified as not_modified_reply

__all__ = ["HTML", "JSON", "TEXT", "HttpError", "answer", "content_type", "error_response",
           "from_error", "message_of", "negotiate", "negotiator", "not_acceptable",
           "not_modified", "register_errors", "service", "status_of", "to_http", "to_response"]
HTML = "text/html"
JSON = "application/json"
ERROR_TYPES = (TEXT, JSON, HTML)  # plain text first: `Accept: */*` (curl) reads text


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


def negotiator() -> Negotiator:
    """Return the app's Negotiator (its memo of Accept headers)."""
    found: Negotiator = current_app.extensions["alskg.negotiator"]
    return found


def negotiate(offered: Sequence[str], default: str | None = None) -> str | None:
    """Pick the best offered media type for the Accept header (q-values, wildcards).

    Without an Accept header the answer is `default` (else the first offered); None means
    nothing offered is acceptable."""
    return negotiator().best(request.headers.get("Accept"), offered, default)


def not_acceptable(what: str, offered: Iterable[str], *, media: str | None = None) -> HttpError:
    """Return the 406 error naming what is available."""
    return HttpError(406, f"Not acceptable: {what} is available as {', '.join(offered)}",
                     media=media, headers={"Vary": "Accept"})


def answer(body: bytes | str, media_type: str, *, status: int = 200, etag: str | None = None,
           negotiated: bool = False, location: str | None = None,
           alternates: Iterable[tuple[str, str]] = (), max_age: int | None = 300,
           headers: Mapping[str, str] | None = None) -> Response:
    """Build a response: the body with its Content-Type and the shared headers.

    `alternates` are (URL, media type) pairs for `Link: rel="alternate"`; `location` is the
    Content-Location of a negotiated document; `max_age` None sends no Cache-Control."""
    return Response(body, status=status, headers=answer_headers(
        media_type, status=status, etag=etag, negotiated=negotiated, location=location,
        alternates=alternates, max_age=max_age, headers=headers))


def to_response(reply: Reply) -> Response:
    """Turn a Reply (web.reply) into a Flask Response (Werkzeug adds Content-Length)."""
    return Response(reply.body, status=reply.status, headers=reply.headers)


def not_modified(etag: str, negotiated: bool = True) -> Response | None:
    """Return 304 when the request's If-None-Match holds `etag`, else None."""
    if not request.if_none_match.contains(etag):
        return None
    return to_response(not_modified_reply(etag, negotiated))


def to_http(result: QueryResponse, etag: str | None = None, error_media: str = TEXT) -> Response:
    """Turn an executor response into an HTTP response; a failed query raises its HttpError."""
    if result.error is not None:
        failure = from_error(result.error, error_media)
        failure.headers["Vary"] = "Accept"
        raise failure
    headers = {"X-Result-Truncated": "true"} if result.truncated else {}
    return answer(result.body, result.content_type, etag=etag, negotiated=True, headers=headers)


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
        return to_response(text_error(status, message, headers))
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

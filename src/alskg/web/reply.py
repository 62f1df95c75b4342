"""HTTP answers as plain data (status, header list, body): the one set of header rules.

Framework-free on purpose: the Flask views turn a Reply into a Response (web.http) and the
/sparql fast lane (web.sparql.lane) writes it straight to WSGI, so both send the same bytes. Here:
the Content-Type charset rule, the headers of an answer (Vary, Content-Location, Link alternates,
ETag, Cache-Control), the plain-text error, the 304, CORS, and the HTTP status of each of the
project's error types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from werkzeug.http import HTTP_STATUS_CODES, quote_etag

from ..errors import (
    AlskgError,
    BadTerm,
    BuildUnusable,
    MemoryLimit,
    NotRepresentable,
    QueryCrashed,
    QuerySyntaxError,
    QueryTimeout,
    ServerBusy,
    StoreFailed,
    StoreTimeout,
    UnsafeQuery,
)

TEXT = "text/plain"
STATUS_OF: dict[type[AlskgError], int] = {
    QuerySyntaxError: 400, BadTerm: 400, UnsafeQuery: 403, NotRepresentable: 406,
    StoreFailed: 502, StoreTimeout: 504, QueryTimeout: 503, ServerBusy: 503, MemoryLimit: 503,
    BuildUnusable: 503, QueryCrashed: 500,
}
UNCHARSETED = ("application/rdf+xml",)  # XML declares its own encoding
TEXTUAL = ("application/json", "application/ld+json", "application/n-triples",
           "application/n-quads", "application/trig", "application/sparql-results+json",
           "application/sparql-results+xml", "application/javascript")
CORS_EXPOSED = "ETag, Link, X-Result-Truncated"
Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Reply:
    """A complete answer: status code, headers (without Content-Length) and body bytes."""

    status: int
    headers: Headers
    body: bytes = b""


def content_type(media_type: str) -> str:
    """Return a Content-Type: text and textual RDF/JSON types carry `charset=utf-8`."""
    if ";" in media_type or media_type in UNCHARSETED:
        return media_type
    if media_type.startswith("text/") or media_type in TEXTUAL:
        return media_type + "; charset=utf-8"
    return media_type


def answer_headers(media_type: str, *, status: int = 200, etag: str | None = None,
                   negotiated: bool = False, location: str | None = None,
                   alternates: Iterable[tuple[str, str]] = (), max_age: int | None = 300,
                   headers: Mapping[str, str] | None = None) -> Headers:
    """Return the headers of an answer (see web.http.answer); `headers` replace same-named ones."""
    found: Headers = [("Content-Type", content_type(media_type))]
    if negotiated:
        found.append(("Vary", "Accept"))
    if location:
        found.append(("Content-Location", location))
    links = [f'<{href}>; rel="alternate"; type="{kind}"' for href, kind in alternates]
    if links:
        found.append(("Link", ", ".join(links)))
    if etag and status == 200:
        found.append(("ETag", quote_etag(etag)))
    if max_age is not None and status == 200:
        found.append(("Cache-Control", f"public, max-age={max_age}"))
    return replaced(found, headers or {})


def replaced(headers: Headers, extra: Mapping[str, str]) -> Headers:
    """Return `headers` with each of `extra` set as Werkzeug's `Headers.update` sets it: in
    place of the first same-named header (dropping the others), else appended."""
    result = list(headers)
    for name, value in extra.items():
        lower = name.lower()
        places = [i for i, (key, _) in enumerate(result) if key.lower() == lower]
        if not places:
            result.append((name, value))
            continue
        result[places[0]] = (name, value)
        result = [item for i, item in enumerate(result) if i not in places[1:]]
    return result


def text_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """Return the plain-text error answer (the SPARQL protocol's own error shape)."""
    body = (message.rstrip("\n") + "\n").encode("utf-8")
    return Reply(status, replaced([("Content-Type", content_type(TEXT))], headers or {}), body)


def not_modified(etag: str, negotiated: bool = True) -> Reply:
    """Return the 304 answer for a request whose If-None-Match holds `etag`."""
    headers = [("ETag", quote_etag(etag))]
    if negotiated:
        headers.append(("Vary", "Accept"))
    return Reply(304, headers)


def cors_headers(method: str, requested_headers: str | None) -> Headers:
    """Return the CORS headers of a public answer (a preflight OPTIONS gets the allow list)."""
    headers = [("Access-Control-Allow-Origin", "*"),
               ("Access-Control-Expose-Headers", CORS_EXPOSED)]
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Accept, Content-Type"
                     if requested_headers is None else requested_headers),
                    ("Access-Control-Max-Age", "86400")]
    return headers


def status_line(status: int) -> str:
    """Return the WSGI status line for a code, spelled as Werkzeug spells it ("400 BAD REQUEST")."""
    return f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"


def wsgi_headers(reply: Reply) -> Headers:
    """Return a Reply's headers as Werkzeug sends them: Content-Length last, none on a 304."""
    if reply.status == 304:
        return list(reply.headers)
    return [*reply.headers, ("Content-Length", str(len(reply.body)))]


def status_of(error: AlskgError) -> int:
    """Return the HTTP status of one of the project's errors (400 for a client's bad input)."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def message_of(error: AlskgError) -> str:
    """Return an error's message for HTTP, led by its kind where it has one."""
    return f"{error.label.capitalize()}: {error}" if error.label else str(error)

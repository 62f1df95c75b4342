"""A WSGI layer that replays cached GET answers without entering Flask (the data never changes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..query.cache import ResponseCache
from .metrics import ROUTE_KEY, Metrics

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# Request headers that change an answer; anything else (cookies, user agent) does not.
KEY_HEADERS = ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_HOST", "SCRIPT_NAME",
               "wsgi.url_scheme", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO")


@dataclass(frozen=True)
class StoredResponse:
    """A complete 200 response: status line, headers, body, its ETag and the URL rule."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    route: str | None = None


class CachedResponses:
    """Serve repeated GET/HEAD requests from memory; only `Cache-Control: public` 200s are kept."""

    def __init__(self, app: WSGIApp, entries: int, max_bytes: int, total_bytes: int,
                 metrics: Metrics | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.metrics = metrics or Metrics(enabled=False)
        self.cache: ResponseCache[StoredResponse] = ResponseCache(entries, total_bytes)

    def lookup(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """Replay a cached GET/HEAD answer without running anything else (status, headers,
        body), or None; server.front calls it on its event loop, where nothing may block."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD") or environ.get("PATH_INFO") == "/health":
            return None
        stored = self.cache.get(tuple(environ.get(name) for name in KEY_HEADERS))
        if stored is None:  # the miss is counted when the app runs
            return None
        self.metrics.cache_lookup("response", True)
        environ[ROUTE_KEY] = stored.route
        answer: list[Any] = []
        body = self._replay(stored, environ, lambda status, headers, exc_info=None: answer.extend(
            (int(status.split(" ", 1)[0]), headers)), method == "HEAD")
        return answer[0], answer[1], b"".join(body)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer from the cache, or run the app and keep a cacheable answer."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD") or environ.get("PATH_INFO") == "/health":
            return self.app(environ, start_response)
        key = tuple(environ.get(name) for name in KEY_HEADERS)
        stored = self.cache.get(key)
        self.metrics.cache_lookup("response", stored is not None)
        if stored is not None:
            environ[ROUTE_KEY] = stored.route
            return self._replay(stored, environ, start_response, method == "HEAD")
        if method == "HEAD":
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if not self._cacheable(captured):
            return body
        chunks = list(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
        data = b"".join(chunks)
        headers = captured["headers"]
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        self.cache.put(key, StoredResponse(captured["status"], list(headers), data, etag,
                                           environ.get(ROUTE_KEY)))
        return [data]

    def _cacheable(self, captured: dict[str, Any]) -> bool:
        if not captured.get("status", "").startswith("200"):
            return False
        headers = {k.lower(): v for k, v in captured["headers"]}
        if "public" not in headers.get("cache-control", "") or "set-cookie" in headers:
            return False
        length = headers.get("content-length")
        return length is not None and length.isdigit() and int(length) <= self.max_bytes

    @staticmethod
    def _replay(stored: StoredResponse, environ: dict[str, Any], start_response: StartResponse,
                head: bool) -> Iterable[bytes]:
        wanted = environ.get("HTTP_IF_NONE_MATCH", "")
        if stored.etag and wanted and (wanted.strip() == "*" or stored.etag in
                                       [tag.strip() for tag in wanted.split(",")]):
            keep = ("etag", "vary", "cache-control", "access-control-allow-origin",
                    "access-control-expose-headers")
            start_response("304 NOT MODIFIED",
                           [(k, v) for k, v in stored.headers if k.lower() in keep])
            return [b""]
        start_response(stored.status, stored.headers)
        return [b""] if head else [stored.body]

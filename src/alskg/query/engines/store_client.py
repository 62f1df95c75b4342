"""HTTP to a remote SPARQL store: URLs, basic and digest authentication, timeouts, error answers.

Hand-written on urllib because the store client must speak digest authentication (Virtuoso's
default) with a deadline per request, and map a store's error answers onto the project's errors
(QuerySyntaxError, StoreTimeout, RemoteStoreError); no small, well-kept library does all three.

Each request has its own deadline (the query's): the answer is read in pieces and abandoned
(StoreTimeout, 504) once the deadline passes, so a store that hangs or trickles holds one
request thread for at most the query's time limit (plus one socket wait); nothing is shared
between requests, so parallel queries wait side by side, not in turn. An answer cut short
(a connection closed before its Content-Length, a broken chunk) is a RemoteStoreError (502).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from ...errors import AlskgError, QuerySyntaxError, StoreTimeout

DEFAULT_TIMEOUT = 60.0


class RemoteStoreError(AlskgError):
    """The remote store could not be reached or answered with an error we cannot map."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def store_url(url: str) -> str:
    """Return the HTTP URL of a store named `sparql+http(s)://…` (or already `http(s)://…`)."""
    url = url.strip()
    if url.startswith("sparql+"):
        url = url[len("sparql+"):]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"store URL must be sparql+http(s)://host[:port]/path, got {url!r}")
    return url


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """Split "user:password" (the password may contain colons); None or "" means no auth."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user:
        raise ValueError("credentials must be given as user:password")
    return user, password


@dataclass
class HttpAnswer:
    """A store's HTTP answer: status, headers (lower-cased names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class StoreClient:
    """HTTP to a store, with basic or digest authentication and timeouts as StoreTimeout.

    With credentials, the first request to a server is preceded by a body-less GET that learns
    which scheme it asks for: a store answering 401 before reading a large body (Virtuoso's
    digest endpoints do) would otherwise break the pipe mid-upload. A digest challenge is kept
    and reused (nonce count incremented) until the server calls it stale.
    """

    def __init__(self, auth: str | tuple[str, str] | None = None) -> None:
        self.credentials = parse_auth(auth) if isinstance(auth, str) or auth is None else auth
        self._opener = urllib.request.build_opener()
        self._schemes: dict[str, dict[str, str] | None] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float | None = None
                ) -> HttpAnswer:
        """Send one request; HTTP errors come back as answers, transport failures raise."""
        all_headers = {"User-Agent": "alskg-remote/1"}
        all_headers.update(headers or {})
        if not self.credentials:
            return self._send(method, url, data, all_headers, timeout)
        root = _root(url)
        if root not in self._schemes:
            probe = self._send("GET", root, None, {"User-Agent": "alskg-remote/1"}, timeout)
            self._learn(root, probe)
        for attempt in range(2):
            auth = self._authorization(root, method, url)
            if auth:
                all_headers["Authorization"] = auth
            answer = self._send(method, url, data, all_headers, timeout)
            if answer.status != 401 or attempt:
                return answer
            if not self._learn(root, answer):
                return answer
        return answer

    def _learn(self, root: str, answer: HttpAnswer) -> bool:
        """Remember the scheme a 401 asks for; return True when it is one we can answer."""
        with self._lock:
            if answer.status != 401:
                self._schemes[root] = None
                return False
            challenge = answer.headers.get("www-authenticate", "")
            if challenge.lower().startswith("digest"):
                self._schemes[root] = {"scheme": "digest", **_parse_challenge(challenge[6:])}
                self._counts[root] = 0
                return True
            if challenge.lower().startswith("basic"):
                self._schemes[root] = {"scheme": "basic"}
                return True
            self._schemes[root] = None
            return False

    def _authorization(self, root: str, method: str, url: str) -> str | None:
        assert self.credentials is not None
        user, password = self.credentials
        with self._lock:
            scheme = self._schemes.get(root)
            if scheme is None:
                return None
            if scheme["scheme"] == "basic":
                token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                return f"Basic {token}"
            self._counts[root] = self._counts.get(root, 0) + 1
            count = self._counts[root]
        parts = urllib.parse.urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        realm, nonce = scheme.get("realm", ""), scheme.get("nonce", "")
        qop = "auth" if "auth" in [q.strip() for q in scheme.get("qop", "").split(",")] else ""
        ha1 = _md5(f"{user}:{realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        cnonce = os.urandom(8).hex()
        nc = f"{count:08x}"
        if qop:
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
                  f'response="{response}"', 'algorithm="MD5"']
        if "opaque" in scheme:
            fields.append(f'opaque="{scheme["opaque"]}"')
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        return "Digest " + ", ".join(fields)

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
              timeout: float | None) -> HttpAnswer:
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        limit = timeout if timeout is not None else DEFAULT_TIMEOUT
        deadline = time.monotonic() + limit
        try:
            with self._opener.open(req, timeout=limit) as response:
                body = _read_body(response, deadline, limit)
                return HttpAnswer(response.status, _lower(response.headers.items()), body)
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read()
            except (OSError, TimeoutError, http.client.HTTPException):
                body = b""
            return HttpAnswer(exc.code, _lower(exc.headers.items() if exc.headers else []), body)
        except TimeoutError:
            raise StoreTimeout(f"the store at {url} did not answer within {limit:.3g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise StoreTimeout(f"the store at {url} did not answer within {limit:.3g} s"
                                   ) from None
            raise RemoteStoreError(f"cannot reach the store at {url}: {exc.reason}") from None
        except http.client.HTTPException as exc:  # a broken or cut-short answer
            raise RemoteStoreError(f"the store at {url} sent a broken answer "
                                   f"({type(exc).__name__}: {exc})") from None
        except (ConnectionError, OSError) as exc:
            raise RemoteStoreError(f"cannot reach the store at {url}: {exc}") from None


def _read_body(response: http.client.HTTPResponse, deadline: float, limit: float) -> bytes:
    """Read an answer in pieces until its end, StoreTimeout past the deadline; a body shorter
    than its Content-Length is a RemoteStoreError (http.client reads it as a quiet end)."""
    chunks: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            raise StoreTimeout(f"the store's answer did not arrive within {limit:.3g} s")
        chunk = response.read1(65_536)
        if not chunk:
            break
        chunks.append(chunk)
    if response.length:  # bytes its Content-Length promised and never came
        raise RemoteStoreError(f"the store's answer was cut short: {response.length} of its "
                               "bytes never came")
    return b"".join(chunks)


def _root(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _parse_challenge(text: str) -> dict[str, str]:
    """Parse the key=value pairs of a WWW-Authenticate challenge (quoted or not)."""
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in re.finditer(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', text)}


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def raise_for_answer(answer: HttpAnswer) -> None:
    """Turn a store's error answer into QuerySyntaxError, StoreTimeout or RemoteStoreError."""
    message = answer.body.decode("utf-8", "replace").strip()[:2000]
    lowered = message.lower()
    if answer.status == 400 or "sp030" in lowered or "syntax error" in lowered:
        raise QuerySyntaxError(message or f"the store rejected the query (HTTP {answer.status})")
    if answer.status in (503, 504) and ("timeout" in lowered or "time limit" in lowered
                                        or "s1t00" in lowered):
        raise StoreTimeout(message)
    if "s1t00" in lowered or "estimated execution time" in lowered:
        raise StoreTimeout(message)
    raise RemoteStoreError(f"the store answered HTTP {answer.status}: {message}",
                           answer.status)

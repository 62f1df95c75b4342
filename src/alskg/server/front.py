"""The front of each HTTP worker: request bodies read with a deadline, then the app in a thread.

granian runs this as an RSGI app (its native asynchronous interface). A request body is read
on the worker's event loop, never by a request thread, under three bounds: its size (413 from
the Content-Length, or as soon as a chunked body passes the limit), a deadline for the whole
body (408, `--body-timeout`), and how many *slow* bodies are waited for at once: a body still
arriving after a short grace (a quarter of the deadline, at most 1 s; a query's body comes with
its headers) takes one of `--max-slow-uploads` places, and finds none: 503 with Retry-After at
once. Each of these answers closes the connection. A body cut short (the client closed early, a
chunk longer than its size line, a connection half-closed) is a 400, never run. Only a complete
request reaches the WSGI app, in a pool of `--threads` threads, with the body in memory: slow
clients hold a coroutine each, and the threads stay free for queries.

Why hand-written: granian's WSGI interface hands the body stream to the request thread, which
blocks in it for as long as the client takes (granian has a header deadline only: issue #728,
"no slow body read timeout", closed as won't fix), and no library adapts an RSGI server to a
WSGI app with a buffered body. What is written here is the environ (as granian's WSGI interface
builds it; a path that is not UTF-8 reaches the app with U+FFFD in it, as RSGI decodes it), the
bounded body read, and the answer back (files are sent by granian itself).

The front also switches builds (server.serving): each request is answered by the app of the
generation the master made active; the old app closes once its last request is done.
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werkzeug.wsgi import FileWrapper

from ..web.metrics import ROUTE_KEY
from .request_log import RequestLog, write_line
from .serving import Generation, RunFolder

log = logging.getLogger("alskg.serve")
ERROR_TYPE = ("content-type", "text/plain; charset=utf-8")
# The request headers the response cache's key and its 304 read (web.fastpath.KEY_HEADERS).
REPLAY_HEADERS = (("accept", "HTTP_ACCEPT"), ("host", "HTTP_HOST"),
                  ("x-forwarded-host", "HTTP_X_FORWARDED_HOST"),
                  ("x-forwarded-proto", "HTTP_X_FORWARDED_PROTO"),
                  ("if-none-match", "HTTP_IF_NONE_MATCH"))
BASE_ENVIRON: dict[str, Any] = {
    "GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": "", "SERVER_SOFTWARE": "alskg (granian)",
    "wsgi.errors": sys.stderr, "wsgi.input_terminated": True, "wsgi.multiprocess": True,
    "wsgi.multithread": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
}


class Refusal(Exception):
    """A request the front answers itself: status, message, and whether to close."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
                 ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = [ERROR_TYPE, ("connection", "close"), *headers]
        self.body = (message + "\n").encode("utf-8")


class SentFile(FileWrapper):
    """`wsgi.file_wrapper`: a file the front hands to granian to send (no copy through Python)."""


class Served:
    """One generation's app in this worker and how many of its requests are running."""

    def __init__(self, generation: Generation, app: Any) -> None:
        self.generation = generation
        self.app: Any = app
        self.wsgi: Any = RequestLog(app)
        self.replay: Any = app.extensions["alskg.replay"].lookup
        self.metrics = app.extensions["alskg.metrics"]
        self.running = 0
        self.retired = False

    def close(self) -> None:
        """Stop its query workers, give back its leases, and let the collector have the app
        (make_app froze it out of the collector's reach)."""
        self.app.extensions["alskg"].close()
        self.app = self.wsgi = self.replay = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()


class Front:
    """The RSGI app of one HTTP worker process (see the module's docstring)."""

    def __init__(self, make_app: Callable[[dict[str, Any]], Any], overrides: dict[str, Any],
                 run: RunFolder, threads: int) -> None:
        self.make_app = make_app
        self.overrides = overrides
        self.run = run
        self.max_body = int(overrides.get("MAX_CONTENT_LENGTH", 1_048_576))
        self.body_timeout = float(overrides.get("ALSKG_BODY_TIMEOUT", 10.0))
        self.grace = min(1.0, self.body_timeout / 4)
        self.max_slow = int(overrides.get("ALSKG_MAX_SLOW_UPLOADS", 64))
        self.slow = 0  # slow bodies waited for now (the event loop's thread only)
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="alskg-request")
        self.prepared: dict[int, Served] = {}
        active, upcoming = run.read()
        self.current = self._prepare(active)
        if upcoming is not None:  # started during a reload: ready for both, as the others
            self._prepare_and_answer(upcoming)
        run.register()
        threading.Thread(target=self._watch, name="alskg-build-watch", daemon=True).start()

    # -- builds ------------------------------------------------------------------------------
    def _prepare(self, generation: Generation) -> Served:
        """Create the app of a generation and wait until its query workers answer."""
        app = self.make_app({**self.overrides, **generation.settings()})
        service = app.extensions["alskg"]
        service.executor  # noqa: B018 - start the query workers now, not on the first query
        return Served(generation, app)

    def _prepare_and_answer(self, generation: Generation) -> None:
        try:
            served = self._prepare(generation)
        except Exception as exc:  # noqa: BLE001 - the master is told, and keeps the old build
            self.run.answer(generation.number, f"{type(exc).__name__}: {exc}")
            return
        status = served.app.extensions["alskg"].status()
        if status.error is not None and not status.ready:
            served.close()
            self.run.answer(generation.number, status.error)
            return
        self.prepared[generation.number] = served
        self.run.answer(generation.number, None)

    def _watch(self) -> None:
        """Prepare each generation the master names next (polling the run folder), and close
        one the master dropped (a refused reload)."""
        seen = self.current.generation.number
        while True:
            time.sleep(0.1)
            try:
                active, upcoming = self.run.read()
            except (OSError, ValueError):
                continue
            named = {active.number} | ({upcoming.number} if upcoming is not None else set())
            for number in [n for n in list(self.prepared) if n not in named]:
                dropped = self.prepared.pop(number, None)
                if dropped is not None:
                    dropped.close()
            if upcoming is not None and upcoming.number > seen:
                seen = upcoming.number
                self._prepare_and_answer(upcoming)

    def _served(self) -> Served:
        """Return the app to answer a request with: the active generation's (switching to it
        if the master just made it active)."""
        number = self.run.active()
        current = self.current
        if number != current.generation.number and number in self.prepared:
            self.current = self.prepared.pop(number)
            current.retired = True
            if current.running == 0:
                threading.Thread(target=current.close, daemon=True).start()
            return self.current
        return current

    def _done(self, served: Served) -> None:
        served.running -= 1
        if served.retired and served.running == 0:
            threading.Thread(target=served.close, daemon=True).start()

    # -- requests ----------------------------------------------------------------------------
    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        """Answer one request (see the module's docstring)."""
        started = time.perf_counter()
        if scope.method in ("GET", "HEAD") and self._replayed(scope, proto, started):
            return
        environ = self._environ(scope)
        try:
            body = await self._body(environ, proto)
        except Refusal as refusal:
            proto.response_bytes(refusal.status, refusal.headers, refusal.body)
            write_line(environ, refusal.status, started)
            return
        environ["wsgi.input"] = io.BytesIO(body)
        served = self._served()
        served.running += 1
        try:
            status, headers, result = await asyncio.get_running_loop().run_in_executor(
                self.pool, call_app, served.wsgi, environ)
        except Exception:  # the app's own handler answers its errors; this is a last resort
            log.exception("request failed outside the app's error handler")
            status, headers, result = 500, [ERROR_TYPE], b"Internal server error\n"
        finally:
            self._done(served)
        if isinstance(result, str):
            proto.response_file(status, headers, result)
        else:
            proto.response_bytes(status, headers, result)

    def _replayed(self, scope: Any, proto: Any, started: float) -> bool:
        """Answer a GET/HEAD the app has answered before from its cache, on the event loop
        (no thread); the environ holds only what the cache key and a 304 read."""
        headers = scope.headers
        if "content-length" in headers or "transfer-encoding" in headers:
            return False
        environ = {"REQUEST_METHOD": scope.method, "SCRIPT_NAME": "",
                   "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
                   "QUERY_STRING": scope.query_string, "wsgi.url_scheme": scope.scheme,
                   "REMOTE_ADDR": scope.client.rpartition(":")[0],
                   "SERVER_PROTOCOL": f"HTTP/{scope.http_version}"}
        for name, key in REPLAY_HEADERS:
            value = headers.get(name)
            if value is not None:
                environ[key] = value
        served = self._served()
        replayed = served.replay(environ)
        if replayed is None:
            return False
        status, answer_headers, data = replayed
        proto.response_bytes(status, answer_headers, data)
        served.metrics.request_done(str(environ.get(ROUTE_KEY)), scope.method, status,
                                    time.perf_counter() - started)
        write_line(environ, status, started)
        return True

    def _environ(self, scope: Any) -> dict[str, Any]:
        host, _, port = scope.server.rpartition(":")
        environ = dict(BASE_ENVIRON)
        environ.update({
            "SERVER_NAME": host, "SERVER_PORT": port, "REQUEST_METHOD": scope.method,
            "REMOTE_ADDR": scope.client.rpartition(":")[0],
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.query_string, "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "wsgi.url_scheme": scope.scheme, "wsgi.file_wrapper": SentFile})
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    async def _body(self, environ: dict[str, Any], proto: Any) -> bytes:
        """Read the whole body within the bounds, or raise the Refusal to answer."""
        length = environ.get("CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length in (None, "", "0"):
            return b""
        if length is not None and not chunked:
            if not length.isdigit():
                raise Refusal(400, f"Bad Content-Length {length!r}")
            if int(length) > self.max_body:
                raise Refusal(413, f"Request body too large: {length} bytes, the limit is "
                              f"{self.max_body}")
        body = await self._within_bounds(self._read(proto, chunked))
        if length is not None and not chunked and len(body) != int(length):
            raise Refusal(400, f"Request body cut short: {len(body)} of {length} bytes")
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return body

    async def _within_bounds(self, reading: Any) -> bytes:
        """Await a body read: at once if it ends within the grace, else in one of the slow
        places until the deadline (Refusal 503 without a place, 408 past the deadline)."""
        task = asyncio.ensure_future(reading)
        done, _ = await asyncio.wait({task}, timeout=self.grace)
        if done:
            return task.result()
        if self.slow >= self.max_slow:
            task.cancel()
            raise Refusal(503, f"Too many slow request bodies arriving at once (the limit is "
                          f"{self.max_slow}); retry", (("retry-after", "1"),))
        self.slow += 1
        try:
            return await asyncio.wait_for(task, self.body_timeout - self.grace)
        except TimeoutError:
            raise Refusal(408, f"Request body not received within {self.body_timeout:g} s"
                          ) from None
        finally:
            self.slow -= 1

    async def _read(self, proto: Any, chunked: bool) -> bytes:
        if not chunked:  # granian reads it whole and raises if the body breaks off
            try:
                return bytes(await proto())
            except Exception as exc:  # noqa: BLE001 - RSGIProtocolClosed and its kin
                raise Refusal(400, "Request body cut short: the connection broke off before "
                              "its end") from exc
        chunks: list[bytes] = []
        size = 0
        ended = False
        async for chunk in proto:  # granian ends a broken chunked body with an empty frame
            if ended:  # before its own final one: a frame after an empty one means it broke
                raise Refusal(400, "Request body cut short or malformed (a broken chunk)")
            if not chunk:
                ended = True
                continue
            size += len(chunk)
            if size > self.max_body:
                raise Refusal(413, f"Request body too large: the limit is {self.max_body} "
                              "bytes")
            chunks.append(bytes(chunk))
        return b"".join(chunks)


def call_app(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], Any]:
    """Run the WSGI app in a request thread; return status, headers and the body's bytes (or
    the path of a file for granian to send)."""
    captured: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = int(status.split(" ", 1)[0]), headers
        return written.append

    result = app(environ, start_response)
    try:
        path = getattr(getattr(result, "file", None), "name", None)
        if isinstance(result, SentFile) and isinstance(path, str) and os.path.isfile(path) \
                and environ["REQUEST_METHOD"] != "HEAD":
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            return captured["status"], headers, path
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(written)

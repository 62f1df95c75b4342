"""Issue 20, items 1 and 2: slow and broken request bodies against a live server (granian).

* 1: many connections send their headers and part of a POST body, then nothing. Each gets 503
  at once (past `--max-slow-uploads`) or 408 at `--body-timeout`, and its connection is closed;
  meanwhile GET, form-POST and direct-POST queries and /health are answered within 2 s, right.
  The fast run holds 40 slow uploads against 4 request threads and 16 slow places (2 s body
  deadline); `-m slow` holds 150 against the default 8 threads and 64 places (3 s).
* 2: a body cut short is never run: fewer bytes than its Content-Length then a half-close, a
  chunk longer than its size line, a chunked body half-closed before its last chunk, a form POST
  whose body breaks off while the query sits in the URL. Each is 400 "cut short" and the
  connection is closed; a whole chunked body is answered.

The sockets are raw (the faults are below what an HTTP client library lets one send); answers
are parsed with http.client.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import LiveServer, report
from faults import bindings, call, fresh, query

LABEL_QUERY = ("SELECT ?l WHERE { <https://w3id.org/alskg/id/disease/als> "
               "<http://www.w3.org/2000/01/rdf-schema#label> ?l }")


@dataclass
class Raw:
    """What came back on a raw connection: status (0: none), body, closed after it, seconds."""

    status: int
    body: bytes
    closed: bool
    seconds: float


def exchange(port: int, payload: bytes, *, half_close: bool = False, wait: float = 30,
             hold: threading.Event | None = None, see_close: bool = True) -> Raw:
    """Send raw bytes (then half-close if asked), read one answer, and (if asked) see whether
    the server closes the connection after it."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        if hold is not None:
            hold.set()
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        except (OSError, http.client.HTTPException):
            return Raw(0, b"", True, time.monotonic() - started)
        seconds = time.monotonic() - started
        if not see_close:
            return Raw(response.status, body, False, seconds)
        sock.settimeout(2)
        try:
            closed = sock.recv(1) == b""
        except OSError:
            closed = False
        return Raw(response.status, body, closed, seconds)
    finally:
        sock.close()


def slow_upload(port: int, results: list[Raw], started: threading.Event) -> None:
    """Headers and 20 of 500 promised body bytes, then silence until the server answers."""
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            b"application/sparql-query\r\nContent-Length: 500\r\n\r\nSELECT * WHERE { ?s")
    results.append(exchange(port, head, hold=started))


def normal_queries(server: LiveServer) -> list[tuple[str, float, list[dict[str, str]]]]:
    """One query by GET, form POST and direct POST; return (channel, seconds, rows)."""
    text = fresh(LABEL_QUERY)
    answers = {
        "get": query(server.url, text, timeout=10),
        "form": call(server.url + "/sparql", "POST", urllib.parse.urlencode(
            {"query": text}).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                        "Accept": "application/sparql-results+json"}, 10),
        "direct": call(server.url + "/sparql", "POST", text.encode(),
                       {"Content-Type": "application/sparql-query",
                        "Accept": "application/sparql-results+json"}, 10),
    }
    return [(channel, answer.seconds, bindings(answer)) for channel, answer in answers.items()]


def flood(server: LiveServer, count: int, body_timeout: float) -> str:
    """Hold `count` slow uploads open and check that normal queries keep being answered;
    return the figures."""
    results: list[Raw] = []
    threads = []
    for _ in range(count):
        started = threading.Event()
        thread = threading.Thread(target=slow_upload, args=(server.port, results, started))
        thread.start()
        started.wait(10)
        threads.append(thread)
    checked_until = time.monotonic() + body_timeout
    rounds = 0
    latencies: list[float] = []
    while time.monotonic() < checked_until:  # while the uploads hang
        for channel, seconds, rows in normal_queries(server):
            assert seconds < 2.0, f"{channel} took {seconds:.2f} s during the flood"
            assert rows == [{"l": "amyotrophic lateral sclerosis"}], (channel, rows)
            latencies.append(seconds)
        alive = call(server.url + "/health", timeout=2)
        assert alive.status == 200
        latencies.append(alive.seconds)
        rounds += 1
    for thread in threads:
        thread.join(body_timeout + 10)
    assert rounds >= 2 and len(results) == count
    statuses = sorted({r.status for r in results})
    assert set(statuses) <= {408, 503}, statuses
    for result in results:
        assert result.closed, "a refused upload's connection stayed open"
        if result.status == 408:
            assert b"not received within" in result.body
            assert result.seconds < body_timeout + 1.5, result.seconds
        else:
            assert b"Too many slow request bodies" in result.body
            assert result.seconds < 2.0, result.seconds
    refused = [r.seconds for r in results if r.status == 503]
    timed_out = [r.seconds for r in results if r.status == 408]
    median = sorted(latencies)[len(latencies) // 2]
    return (f"{count} slow uploads: {len(refused)} refused (503, max {max(refused, default=0):.2f}"
            f" s), {len(timed_out)} timed out (408, max {max(timed_out, default=0):.2f} s), all "
            f"closed; {len(latencies)} queries and /health meanwhile: max "
            f"{max(latencies):.3f} s, median {median * 1000:.1f} ms")


@pytest.fixture(scope="module")
def server(build_root: Path) -> Iterator[LiveServer]:
    """A live server with 4 request threads, a 2 s body deadline and 16 slow places."""
    live = LiveServer(build_root, "--threads", "4", "--body-timeout", "2",
                      "--max-slow-uploads", "16", "--timeout", "5")
    yield live
    live.stop()


def test_slow_uploads_leave_queries_answered(server: LiveServer,
                                            pytestconfig: pytest.Config) -> None:
    report(pytestconfig, flood(server, 40, 2.0))


@pytest.mark.slow
def test_150_slow_uploads_leave_queries_answered(build_root: Path,
                                                pytestconfig: pytest.Config) -> None:
    live = LiveServer(build_root, "--body-timeout", "3", "--timeout", "5")
    try:
        report(pytestconfig, flood(live, 150, 3.0))
    finally:
        live.stop()


def head(content: str, length: str | None = None, path: str = "/sparql") -> bytes:
    """A POST request head (chunked unless a Content-Length is given)."""
    framing = f"Content-Length: {length}" if length else "Transfer-Encoding: chunked"
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content}\r\n"
            f"Accept: application/sparql-results+json\r\n{framing}\r\n\r\n").encode()


QUERY_TYPE = "application/sparql-query"
FORM_TYPE = "application/x-www-form-urlencoded"
CUT_SHORT = {
    "fewer-bytes-then-half-close": (head(QUERY_TYPE, "100") + b"ASK {}", True),
    "chunk-longer-than-its-size": (head(QUERY_TYPE) + b"3\r\nASK {}\r\n0\r\n\r\n", False),
    "chunked-half-closed-early": (head(QUERY_TYPE) + b"6\r\nASK {}\r\n", True),
    "form-with-query-in-url": (head(FORM_TYPE, "40", "/sparql?query=ASK%7B%7D")
                               + b"default-graph-uri=", True),
}


@pytest.mark.parametrize("case", sorted(CUT_SHORT))
def test_a_body_cut_short_is_never_run(server: LiveServer, case: str) -> None:
    payload, half_close = CUT_SHORT[case]
    answer = exchange(server.port, payload, half_close=half_close)
    assert answer.status == 400, (case, answer)
    assert b"cut short" in answer.body, answer.body
    assert answer.closed


def test_a_whole_chunked_body_is_answered(server: LiveServer) -> None:
    answer = exchange(server.port, head(QUERY_TYPE) + b"6\r\nASK {}\r\n0\r\n\r\n",
                      see_close=False)
    assert answer.status == 200 and answer.body == b'{"head":{},"boolean":true}', answer

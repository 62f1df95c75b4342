"""Issue 20, item 8: behind a remote store, every store fault is a 502 or 504 with a message.

A live `alskg serve --store …` (granian, the remote engine) answers from a stub store on
127.0.0.1 that can be switched to fail as a real one does: hang without answering, close the
connection with no answer, cut its answer short (fewer bytes than its Content-Length), answer
500, or answer garbage. Four queries sent together to a hung store each end at the time limit
(side by side, not 2, 4, 6, 8 s in turn: there is no lock), /health answers meanwhile, and once
the store is well again the answers are right.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer
from faults import bindings, call, fresh, query

TIMEOUT = 2.0
ROWS = {"head": {"vars": ["s"]},
        "results": {"bindings": [{"s": {"type": "uri", "value": "urn:x:1"}},
                                 {"s": {"type": "uri", "value": "urn:x:2"}}]}}


class StubStore(ThreadingHTTPServer):
    """A SPARQL store on 127.0.0.1 whose `mode` says how it answers (or fails to)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = "ok"
        self.release = threading.Event()  # ends the hung answers at teardown

    @property
    def url(self) -> str:
        """The store's query URL."""
        return f"sparql+http://127.0.0.1:{self.server_port}/sparql"


class Handler(BaseHTTPRequestHandler):
    """Answer a form POST according to the store's mode."""

    server: StubStore

    def log_message(self, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:
        """Read the query, then answer, hang, cut short or break as the mode says."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        text = urllib.parse.parse_qs(body.decode())["query"][0]
        mode = self.server.mode
        if mode == "hang":
            self.server.release.wait(30)
            return
        if mode == "close":
            self.close_connection = True
            return
        if mode == "error":
            self.reply(500, "text/plain", b"store exploded: out of buffers")
            return
        if mode == "garbage":
            self.reply(200, "application/sparql-results+json", b"{not json")
            return
        document: dict[str, Any] = {"boolean": True} if "ASK" in text else ROWS
        data = json.dumps(document).encode()
        if mode == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(data) + 500))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.reply(200, "application/sparql-results+json", data)

    def reply(self, status: int, media: str, data: bytes) -> None:
        """Send a complete answer."""
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def store() -> Iterator[StubStore]:
    """The stub store, serving in a thread."""
    stub = StubStore()
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.release.set()
    stub.shutdown()
    stub.server_close()


@pytest.fixture(scope="module")
def server(build_root: Path, store: StubStore) -> Iterator[LiveServer]:
    """`alskg serve --store` over the stub (remote engine, 2 s limit)."""
    live = LiveServer(build_root, "--store", store.url, "--timeout", str(TIMEOUT))
    yield live
    live.stop()


def test_a_hung_store_holds_each_query_to_the_limit_side_by_side(server: LiveServer,
                                                                 store: StubStore) -> None:
    store.mode = "hang"
    try:
        with ThreadPoolExecutor(4) as pool:
            waiting = [pool.submit(query, server.url, fresh("SELECT ?s WHERE { ?s ?p ?o }"))
                       for _ in range(4)]
            time.sleep(0.5)
            alive = call(server.url + "/health")
            answers = [future.result() for future in waiting]
        assert alive.status == 200 and alive.seconds < 0.5, alive
        for answer in answers:
            assert answer.status == 504, (answer.status, answer.body)
            # the message names the time it waited: the query's limit, less what went before
            waited = re.search(r"did not answer within ([0-9.]+) s", answer.text())
            assert waited and TIMEOUT - 0.1 < float(waited.group(1)) <= TIMEOUT, answer.body
            assert TIMEOUT - 0.1 < answer.seconds < TIMEOUT + 1.0, answer.seconds
        spread = max(a.seconds for a in answers) - min(a.seconds for a in answers)
        assert spread < 0.5, f"the queries waited in turn ({[a.seconds for a in answers]})"
    finally:
        store.mode = "ok"
    assert [row["s"] for row in bindings(query(server.url, fresh("SELECT ?s { ?s ?p ?o }")))] \
        == ["urn:x:1", "urn:x:2"]


@pytest.mark.parametrize(("mode", "reason"), [
    ("cut", "cut short"), ("close", "store"), ("error", "store exploded"),
    ("garbage", "do not parse")])
def test_every_store_fault_is_502_with_a_message(server: LiveServer, store: StubStore,
                                                 mode: str, reason: str) -> None:
    store.mode = mode
    try:
        answer = query(server.url, fresh("SELECT ?s WHERE { ?s ?p ?o }"))
    finally:
        store.mode = "ok"
    assert answer.status == 502, (mode, answer.status, answer.body)
    assert answer.media_type == "text/plain" and reason in answer.text(), answer.body
    again = query(server.url, fresh("SELECT ?s WHERE { ?s ?p ?o }"))
    assert [row["s"] for row in bindings(again)] == ["urn:x:1", "urn:x:2"]

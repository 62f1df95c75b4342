"""The HTTP servers behind `alskg serve` (granian by default, gunicorn kept): same answers.

Each server answers the same requests with the same bytes (blank-node labels aside: each process
loads the dataset with its own labels); logs every request; serves /health and CORS; and on
SIGTERM lets a request in flight finish before it exits.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import LiveServer

SERVERS = ("granian", "gunicorn")
REQUESTS = [
    ("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?d ?l WHERE { ?d a als:Drug ; "
                                                   "rdfs:label ?l } ORDER BY ?d"}),
     "application/sparql-results+json"),
    ("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s ?p WHERE { ?s ?p als:Drug }"}),
     "text/csv"),
    ("/sparql?" + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?d a als:Drug }"}),
     "text/turtle"),
    ("/queries/approved-drugs.json", "application/json"),
    ("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s ?p WHERE { ?s ?p ?o "
                                                   "FILTER(isIRI(?s)) } ORDER BY ?s ?p",
                                          "format": "json"}), "*/*"),
]
# A count over a cross product of VALUES (20 million rows, about 2 s, whatever the data): still
# running when SIGTERM comes at 0.3 s, done well within the servers' grace period.
_NUMBERS = " ".join(str(i) for i in range(400))
_FEWER = " ".join(str(i) for i in range(125))
SLOW_BUT_FINISHING = (f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?x {{ {_NUMBERS} }} "
                      f"VALUES ?y {{ {_NUMBERS} }} VALUES ?z {{ {_FEWER} }} }}")


def get(url: str, accept: str = "*/*", headers: dict[str, str] | None = None
        ) -> tuple[int, Message, bytes]:
    """GET a URL; return (status, headers (names case-insensitive), body)."""
    request = urllib.request.Request(url, headers={"Accept": accept, **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers, response.read()


@pytest.fixture(scope="module")
def both(build_root: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, tuple[LiveServer, Path]]]:
    """One live server of each kind over the session build, stdout kept in a file."""
    started: dict[str, tuple[LiveServer, Path]] = {}
    logs = tmp_path_factory.mktemp("server-logs")
    try:
        for name in SERVERS:
            log_path = logs / f"{name}.log"
            handle = log_path.open("wb")
            started[name] = (LiveServer(build_root, "--server", name, stdout=handle), log_path)
            handle.close()
        yield started
    finally:
        for server, _ in started.values():
            server.stop()


@pytest.mark.parametrize(("path", "accept"), REQUESTS)
def test_servers_give_the_same_bytes(both: dict[str, tuple[LiveServer, Path]], path: str,
                                     accept: str) -> None:
    answers = {name: get(server.url + path, accept) for name, (server, _) in both.items()}
    (status_a, headers_a, body_a), (status_b, headers_b, body_b) = answers.values()
    assert status_a == status_b == 200
    assert body_a == body_b
    for header in ("Content-Type", "ETag", "Cache-Control", "Vary"):
        assert headers_a.get(header) == headers_b.get(header), header


@pytest.mark.parametrize("name", SERVERS)
def test_health_cors_and_request_log(both: dict[str, tuple[LiveServer, Path]], name: str) -> None:
    server, log_path = both[name]
    status, _, body = get(server.url + "/health", "application/json")
    assert status == 200 and json.loads(body)["content_hash"]
    marker = f"cors-check-{name}-{time.time_ns()}"
    query = urllib.parse.urlencode({"query": f"ASK {{}} # {marker}"})
    status, headers, _ = get(f"{server.url}/sparql?{query}",
                             headers={"Origin": "https://example.org"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    deadline = time.monotonic() + 10
    while marker not in urllib.parse.unquote_plus(log_path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{name} logged no line for the request"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("name", SERVERS)
def test_sigterm_lets_the_request_in_flight_finish(build_root: Path, name: str) -> None:
    server = LiveServer(build_root, "--server", name, "--timeout", "20")
    try:
        result: dict[str, tuple[int, Message, bytes]] = {}
        query = urllib.parse.urlencode({"query": SLOW_BUT_FINISHING})
        thread = threading.Thread(target=lambda: result.setdefault(
            "slow", get(f"{server.url}/sparql?{query}", "application/sparql-results+json")))
        thread.start()
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        thread.join(30)
        status, _, body = result["slow"]
        assert status == 200
        count = json.loads(body)["results"]["bindings"][0]["n"]["value"]
        assert int(count) > 0
        assert server.process.wait(20) == 0 or server.process.returncode is not None
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} did not exit after SIGTERM")
    finally:
        server.stop()

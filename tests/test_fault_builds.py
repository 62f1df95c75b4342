"""Issue 20, items 5 and 6, and the reload: a server holds its build, all its processes alike.

* 5: a server serving a build while three newer ones are published: the served build's folder
  survives the pruning (the server holds a lease on it), a query worker killed at the time
  limit is replaced from it, queries and /explain keep answering from it (its own derivation
  file), /health names it; once the server is gone the next build prunes it.
* 6: under `--workers 2`, a newer build published and one HTTP worker killed (kill -9): the
  respawned worker serves the same build as its sibling (the one the server pinned), not the
  newer `current`; every /health and every answer names one build.
* reload: SIGHUP while four clients query without pause: no request fails, every answer comes
  whole from one build or the other, no request started after the first answer from the new
  build gets the old one, and then every process names the new build, the old build's query
  workers are gone and the old build can be pruned. A damaged newest build is then refused by
  a SIGHUP (one log line naming the file; the served build stays), and the next good one taken.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import LiveServer, report
from faults import (
    bindings,
    call,
    fresh,
    health,
    http_workers,
    query,
    query_worker_pids,
    wait_until,
)
from w3c import write_build

from alskg.assembly.store import BuiltDataset

A = "https://w3id.org/alskg/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ITEM_LABEL = f"SELECT ?l WHERE {{ <{A}id/x/item> <{LABEL}> ?l }}"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def publish(root: Path, label: str) -> BuiltDataset:
    """Publish a tiny build whose item is labelled `label` (it becomes `current`)."""
    line = f'<{A}id/x/item> <{LABEL}> "{label}" <{A}graph/asserted> .\n'
    return write_build(root, [line], label)


def label_of(server: LiveServer) -> str:
    """The item's label as the server answers it now (uncached)."""
    rows = bindings(query(server.url, fresh(ITEM_LABEL), timeout=10))
    assert len(rows) == 1, rows
    return rows[0]["l"]


def test_a_served_build_outlives_three_rebuilds(tmp_path: Path, built: BuiltDataset) -> None:
    root = tmp_path / "root"
    (root / "builds").mkdir(parents=True)
    shutil.copytree(built.path, root / "builds" / "first")
    os.symlink("builds/first", root / "current")
    server = LiveServer(root, "--timeout", "1", "--query-workers", "1")
    try:
        inferred = bindings(query(server.url, "SELECT ?s ?p ?o WHERE { GRAPH <" + A +
                                  "graph/inferred> { ?s ?p ?o } FILTER(isIRI(?s) && "
                                  "isIRI(?o)) } ORDER BY ?s ?p ?o LIMIT 1"))[0]
        for label in ("second", "third", "fourth"):
            publish(root, label)
        assert (root / "builds" / "first").is_dir(), "the served build was pruned"
        (before,) = query_worker_pids(server.process.pid)
        assert query(server.url, fresh(SLOW)).status == 503  # killed at the limit
        assert wait_until(lambda: query_worker_pids(server.process.pid) not in ([], [before]),
                          30)
        served = health(server.url)
        assert served["build"] == "first" and served["content_hash"] == built.content_hash
        rows = bindings(query(server.url, fresh("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <" + A +
                                                "graph/inferred> { ?s ?p ?o } }"), timeout=30))
        assert int(rows[0]["n"]) == built.receipt["graphs"][A + "graph/inferred"]
        explained = call(server.url + "/explain?" + urllib.parse.urlencode(
            {"s": f"<{inferred['s']}>", "p": f"<{inferred['p']}>", "o": f"<{inferred['o']}>",
             "format": "text"}))
        assert explained.status == 200, explained.body[:300]
        assert explained.text().splitlines()[0].endswith("]") and "round" in explained.text()
    finally:
        server.stop()
    publish(root, "fifth")  # no lease any more: the old build goes
    assert not (root / "builds" / "first").exists()


def test_one_build_in_every_process_after_a_crash_and_after_a_reload(
        tmp_path: Path, pytestconfig: pytest.Config) -> None:
    root = tmp_path / "root"
    publish(root, "one")
    server = LiveServer(root, "--workers", "2", "--query-workers", "1", "--timeout", "5")
    lines: list[bytes] = []
    stderr = server.process.stderr
    assert stderr is not None
    threading.Thread(target=lambda: lines.extend(iter(stderr.readline, b"")),
                     daemon=True).start()
    try:
        publish(root, "two")  # `current` moves on; the server keeps "one"
        victim = http_workers(server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(http_workers(server.process.pid)) == 2
                          and victim not in http_workers(server.process.pid), 30)
        assert wait_until(lambda: len(query_worker_pids(server.process.pid)) == 2, 30)
        builds = {health(server.url)["build"] for _ in range(12)}
        labels = {label_of(server) for _ in range(12)}
        assert builds == {"one"} and labels == {"one"}, (builds, labels)
        report(pytestconfig, reload_under_load(server))
        assert {health(server.url)["build"] for _ in range(12)} == {"two"}
        assert wait_until(lambda: len(query_worker_pids(server.process.pid)) == 2, 30), \
            "the old build's query workers were not stopped"
        for label in ("three", "four", "five"):  # nobody holds "one" now: pruned; "two" kept
            publish(root, label)
        assert not (root / "builds" / "one").exists(), "a build no one serves kept its lease"
        assert (root / "builds" / "two").is_dir()
        assert {label_of(server) for _ in range(4)} == {"two"}
        refused_then_taken(server, root, lines)
    finally:
        server.stop()


def refused_then_taken(server: LiveServer, root: Path, lines: list[bytes]) -> None:
    """SIGHUP with a damaged newest build: refused (one log line naming the file), the served
    build kept; then a good build is taken."""
    damaged = publish(root, "six")
    data = bytearray(damaged.dataset_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.dataset_file.write_bytes(bytes(data))
    os.kill(server.process.pid, signal.SIGHUP)
    assert wait_until(lambda: any(b"reload refused" in line for line in lines), 30)
    refusal = next(line for line in lines if b"reload refused" in line).decode()
    assert str(damaged.dataset_file) in refusal and "still serving" in refusal
    assert {health(server.url)["build"] for _ in range(6)} == {"two"}
    assert label_of(server) == "two"
    publish(root, "seven")
    os.kill(server.process.pid, signal.SIGHUP)
    assert wait_until(lambda: label_of(server) == "seven", 30)
    assert {health(server.url)["build"] for _ in range(6)} == {"seven"}


def reload_under_load(server: LiveServer) -> str:
    """Send SIGHUP while four clients query; check every answer (see the module docstring);
    return the figures."""
    answers: list[tuple[float, float, int, str]] = []  # (sent, answered, status, label)
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            answer = query(server.url, fresh(ITEM_LABEL), timeout=10)
            label = bindings(answer)[0]["l"] if answer.status == 200 else answer.text()
            answers.append((sent, time.monotonic(), answer.status, label))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGHUP)
        signalled = time.monotonic()
        assert wait_until(lambda: any(a[3] == "two" for a in answers), 60), "no reload"
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in clients:
            thread.join(15)
    failed = [a for a in answers if a[2] != 200]
    assert not failed, failed[:5]
    assert {a[3] for a in answers} == {"one", "two"}
    first_new = min(a[1] for a in answers if a[3] == "two")
    late_old = [a for a in answers if a[0] > first_new and a[3] == "one"]
    assert not late_old, f"{len(late_old)} requests got the old build after the switch"
    return (f"reload under load: {len(answers)} requests, 0 failed, the new build answered "
            f"{first_new - signalled:.2f} s after SIGHUP, none of the old one after that")


"""Operator metrics at /metrics: Prometheus text, parsed with prometheus-client's own parser.

* in-process: requests counted by URL rule (never the raw path) and status, fast-path replays
  included; response- and query-cache hits and misses; query latency by form and engine; result
  truncations; two apps in one process keep their own counts; /metrics is never cached nor
  replayed, and no public page, listing, OpenAPI or service description names it;
  `ALSKG_METRICS=off` removes it;
* a live `alskg serve --workers 2` on 127.0.0.1, scraped while queries run, a runaway query is
  stopped at the time limit and answers repeat: the counters summed over both server processes
  move; a killed server process leaves the live-process gauge at 2 and its counts in the sum.
"""

from __future__ import annotations

import os
import signal
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import LiveServer, make_app
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from test_faults import SLOW_COUNT, fetch, query_workers, server_workers, wait_for

from alskg.server.metrics_dir import ENV, multiprocess_metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (sample, have), value in samples.items()
               if sample == name and wanted <= have)


def scrape(app: Flask) -> Samples:
    """Scrape an app in-process."""
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return parse(response.get_data(as_text=True))


REQUESTS = "alskg_http_requests_total"


def test_requests_are_counted_by_url_rule_and_status(build_root: Path) -> None:
    app = make_app(build_root)
    try:
        client = app.test_client()
        assert client.get("/id/disease/als", headers={"Accept": "text/turtle"}).status_code == 200
        assert client.get("/id/no/such/thing", headers={"Accept": "text/turtle"}).status_code == 404
        assert client.get("/no/such/route").status_code == 404
        assert client.post("/evidence").status_code == 405
        samples = scrape(app)
        assert total(samples, REQUESTS, route="/id/<path:rest>", status="200") == 1
        assert total(samples, REQUESTS, route="/id/<path:rest>", status="404") == 1
        assert total(samples, REQUESTS, route="(no route)", status="404") == 1
        assert total(samples, REQUESTS, route="(no route)", status="405") == 1
        rules = {rule.rule for rule in app.url_map.iter_rules()} | {"(no route)"}
        routes = {dict(labels)["route"] for (name, labels) in samples if name == REQUESTS}
        assert routes <= rules, routes - rules   # bounded: rules, never raw paths
        assert total(samples, "alskg_http_request_duration_seconds_count",
                     route="/id/<path:rest>") == 2
    finally:
        app.extensions["alskg"].close()


def test_cache_hits_misses_latency_and_truncations(build_root: Path) -> None:
    app = make_app(build_root, ALSKG_MAX_ROWS=3)
    try:
        client = app.test_client()
        query = {"query": "SELECT * WHERE { ?s ?p ?o }"}
        first = client.get("/sparql", query_string=query)
        again = client.get("/sparql", query_string=query)          # replayed by the fast path
        assert first.status_code == again.status_code == 200
        assert first.headers["X-Result-Truncated"] == "true"
        assert client.post("/sparql", data=query).status_code == 200  # query cache (not GET)
        samples = scrape(app)
        assert total(samples, "alskg_cache_lookups_total", cache="response", result="hit") == 1
        assert total(samples, "alskg_cache_lookups_total", cache="response", result="miss") >= 1
        assert total(samples, "alskg_cache_lookups_total", cache="query", result="hit") == 1
        assert total(samples, "alskg_cache_lookups_total", cache="query", result="miss") == 1
        # the replay is counted under its rule like any other answer
        assert total(samples, REQUESTS, route="/sparql", method="GET", status="200") == 2
        # the query ran once: one latency observation, one truncation
        assert total(samples, "alskg_query_duration_seconds_count", form="SELECT",
                     engine="oxigraph") == 1
        assert total(samples, "alskg_result_truncations_total", form="SELECT",
                     engine="oxigraph") == 1
        assert total(samples, "alskg_server_processes") == 1
    finally:
        app.extensions["alskg"].close()


def test_two_apps_in_one_process_keep_their_own_counts(build_root: Path) -> None:
    first, second = make_app(build_root), make_app(build_root)   # no "Duplicated timeseries"
    try:
        assert first.test_client().get("/health").status_code == 200
        assert total(scrape(first), REQUESTS, route="/health") == 1
        assert total(scrape(second), REQUESTS, route="/health") == 0
    finally:
        first.extensions["alskg"].close()
        second.extensions["alskg"].close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets += [value or "" for name, value in attrs if name in ("href", "src", "action")]


def test_metrics_is_never_cached_and_never_listed(build_root: Path) -> None:
    app = make_app(build_root)
    try:
        client = app.test_client()
        response = client.get("/metrics")
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
        assert "Access-Control-Allow-Origin" not in response.headers   # no cross-origin reads
        assert total(scrape(app), REQUESTS, route="/metrics") == 1   # the second is not a replay
        assert total(scrape(app), "alskg_cache_lookups_total", cache="response",
                     result="hit") == 0
        paths = client.get("/openapi.json").get_json()["paths"]
        assert not any("metrics" in path for path in paths)
        for page in ("/", "/queries", "/downloads", "/evidence", "/vocab", "/dataset"):
            links = _Links()
            links.feed(client.get(page, headers={"Accept": "text/html"}).get_data(as_text=True))
            assert links.targets, page
            assert not [t for t in links.targets if "metrics" in t], page
        for path in ("/sparql", "/.well-known/void", "/queries.json"):
            body = client.get(path, headers={"Accept": "text/turtle"}).get_data(as_text=True)
            assert "/metrics" not in body, path
    finally:
        app.extensions["alskg"].close()


def test_metrics_can_be_switched_off(build_root: Path) -> None:
    app = make_app(build_root, ALSKG_METRICS="off")
    try:
        assert app.test_client().get("/metrics").status_code == 404
        assert "metrics" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    finally:
        app.extensions["alskg"].close()


def test_multiprocess_folder_is_made_and_removed() -> None:
    before = os.environ.pop(ENV, None)
    try:
        with multiprocess_metrics() as folder:
            assert folder.is_dir() and os.environ[ENV] == str(folder)
        assert not folder.exists() and ENV not in os.environ
    finally:
        if before is not None:
            os.environ[ENV] = before


# --------------------------------------------------------------------------- a live server

def live_samples(server: LiveServer) -> Samples:
    """Scrape a live server."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=20) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return parse(response.read().decode("utf-8"))


def keep_querying(server: LiveServer, stop: threading.Event, answered: list[int]) -> None:
    """Send distinct small queries until told to stop."""
    number = 0
    while not stop.is_set():
        number += 1
        query = f"SELECT ?d WHERE {{ ?d a als:Drug }} LIMIT {number}"
        answered.append(fetch(server.url + "/sparql?" + urllib.parse.urlencode(
            {"query": query}), timeout=20)[0])


@pytest.mark.slow  # a live server with two HTTP and two query workers (the suite's time)
def test_live_server_metrics_move_across_worker_processes(build_root: Path) -> None:
    server = LiveServer(build_root, "--workers", "2", "--timeout", "1", "--query-workers", "2")
    try:
        wait_for(lambda: len(server_workers(server)) == 2, 30)
        before = live_samples(server)
        stop, answered = threading.Event(), list[int]()
        load = threading.Thread(target=keep_querying, args=(server, stop, answered))
        load.start()
        scrapes = [live_samples(server) for _ in range(5)]   # while queries run
        runaway = fetch(server.url + "/sparql?" + urllib.parse.urlencode({"query": SLOW_COUNT}))
        repeated = server.url + "/sparql?query=ASK%7B%3Fs%20a%20als%3ADrug%7D"
        for _ in range(4):   # the repeats are replayed (whichever process answers, each once)
            assert fetch(repeated)[0] == 200
        stop.set()
        load.join(30)
        assert runaway[0] == 503, runaway
        assert answered and set(answered) == {200}, set(answered)
        after = live_samples(server)   # the restart is counted before the 503 is sent

        def moved(name: str, **labels: str) -> float:
            return total(after, name, **labels) - total(before, name, **labels)

        assert moved(REQUESTS, route="/sparql", status="200") >= len(answered) + 4
        assert moved(REQUESTS, route="/sparql", status="503") == 1
        assert moved(REQUESTS, route="/metrics", status="200") >= 5
        assert moved("alskg_query_timeouts_total", engine="oxigraph") == 1
        assert moved("alskg_query_worker_restarts_total", reason="timeout") == 1
        assert moved("alskg_cache_lookups_total", cache="response", result="hit") >= 2
        assert moved("alskg_query_duration_seconds_count", form="SELECT") >= len(answered)
        assert moved("alskg_query_duration_seconds_count", form="ASK") >= 1
        assert total(after, "alskg_server_processes") == 2
        assert all(total(s, "alskg_server_processes") == 2 for s in scrapes)
        # a killed server process: replaced, marked dead, its counts still in the sum
        counted = total(after, REQUESTS)
        old = server_workers(server)
        os.kill(old[0], signal.SIGKILL)
        assert wait_for(lambda: len(set(server_workers(server)) - set(old)) == 1, 30)
        (new,) = set(server_workers(server)) - set(old)
        assert wait_for(lambda: query_workers(new), 60)   # its app is up (and counting)
        final = live_samples(server)
        assert total(final, "alskg_server_processes") == 2
        assert total(final, REQUESTS) > counted
    finally:
        server.stop()


"""Safety: read-only, no outbound fetches, time/row/size limits, concurrency under a slow query."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import LiveServer, make_app
from tests.listener import CountingListener

SLOW_QUERY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
              "?m ?n1 ?o . ?p ?q ?r }")
UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/alskg/graph/asserted>",
    "CREATE GRAPH <urn:g>",
    "LOAD <http://127.0.0.1:9/x.ttl>",
    "ADD DEFAULT TO <urn:g>",
    "MOVE DEFAULT TO <urn:g>",
    "COPY DEFAULT TO <urn:g>",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "PREFIX x: <urn:x> INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
]


@pytest.fixture()
def listener() -> Iterator[CountingListener]:
    """A loopback listener that must never be contacted."""
    probe = CountingListener()
    yield probe
    probe.close()


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 30) -> tuple[int, bytes, float]:
    """Send a request; return (status, body, seconds) without raising on HTTP errors."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - started


def count_triples(client: FlaskClient) -> int:
    """Count every quad the endpoint serves."""
    response = client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"})
    return int(json.loads(response.get_data())["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("update", UPDATES)
def test_every_update_form_is_refused(client: FlaskClient, update: str) -> None:
    before = count_triples(client)
    as_update = client.post("/sparql", data={"update": update})
    as_query = client.post("/sparql", data={"query": update})
    direct = client.post("/sparql", data=update.encode(), content_type="application/sparql-update")
    for response in (as_update, as_query, direct):
        assert response.status_code == 403, update
        assert "read-only" in response.get_data(as_text=True)
    assert count_triples(client) == before


@pytest.mark.parametrize("engine", ["oxigraph", pytest.param("rdflib", marks=pytest.mark.slow)])
def test_no_outbound_fetch_for_service_from_load(build_root: Path, engine: str,
                                                 listener: CountingListener,
                                                 tmp_path: Path) -> None:
    app = make_app(build_root, ALSKG_ENGINE=engine)
    client = app.test_client()
    secret = tmp_path / "secret.ttl"
    secret.write_text("<urn:secret> <urn:p> <urn:leaked> .\n")
    file_iri = secret.as_uri()
    service = client.get("/sparql", query_string={
        "query": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"})
    assert service.status_code == 403
    silent = client.get("/sparql", query_string={
        "query": f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}"})
    assert silent.status_code == 403
    for clause in (f"FROM <{listener.url}>", f"FROM NAMED <{listener.url}>", f"FROM <{file_iri}>",
                   f"FROM NAMED <{file_iri}>"):
        response = client.get("/sparql", query_string={
            "query": f"SELECT * {clause} WHERE {{ {{ ?s ?p ?o }} UNION "
                     "{ GRAPH ?g { ?s ?p ?o } } }"})
        assert response.status_code == 200, clause
        values = {b["value"] for row in json.loads(response.get_data())["results"]["bindings"]
                  for b in row.values()}
        assert "urn:leaked" not in values
    load = client.post("/sparql", data={"update": f"LOAD <{listener.url}>"})
    assert load.status_code == 403
    time.sleep(0.3)
    assert listener.connections == 0
    app.extensions["alskg"].close()


def test_row_cap_flags_truncation(build_root: Path) -> None:
    app = make_app(build_root, ALSKG_MAX_ROWS=5)
    response = app.test_client().get("/sparql", query_string={
        "query": "SELECT * WHERE { ?s ?p ?o }"})
    body = json.loads(response.get_data())
    assert len(body["results"]["bindings"]) == 5
    assert body["truncated"] is True
    assert response.headers["X-Result-Truncated"] == "true"


def test_query_and_body_size_caps(build_root: Path) -> None:
    app = make_app(build_root, ALSKG_MAX_QUERY_CHARS=1000, MAX_CONTENT_LENGTH=4096)
    client = app.test_client()
    long_query = "ASK {}" + " " * 2000
    assert client.get("/sparql", query_string={"query": long_query}).status_code == 413
    big_body = b"ASK {}" + b" " * 10_000
    response = client.post("/sparql", data=big_body, content_type="application/sparql-query")
    assert response.status_code == 413


@pytest.mark.parametrize("engine", ["oxigraph", pytest.param("rdflib", marks=pytest.mark.slow)])
def test_slow_query_is_stopped_while_others_answer(build_root: Path, engine: str) -> None:
    server = LiveServer(build_root, "--engine", engine, "--timeout", "2", "--query-workers", "2")
    try:
        results: dict[str, tuple[int, bytes, float]] = {}

        def slow() -> None:
            data = urllib.parse.urlencode({"query": SLOW_QUERY}).encode()
            results["slow"] = fetch(server.url + "/sparql", data)

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)
        status, body, seconds = fetch(server.url + "/sparql?query=ASK%7B%7D")
        assert status == 200 and json.loads(body)["boolean"] is True
        assert seconds < 1.0
        thread.join(30)
        status, body, seconds = results["slow"]
        assert status == 503
        assert b"limit" in body
        assert seconds < 2 + 1.0
        # the server keeps answering after the kill
        assert fetch(server.url + "/sparql?query=ASK%7B%7D")[0] == 200
    finally:
        server.stop()

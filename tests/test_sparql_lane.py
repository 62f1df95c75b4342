"""The /sparql fast lane (web.sparql.lane) answers exactly as the Flask view does.

Each request is sent twice through real WSGI calls: once through the lane (which answers queries
before Flask) and once straight to Flask's own WSGI app (the view). Status line, header list and
body bytes must be the same, and the lane must really have answered the query requests (and
handed the others — HEAD, OPTIONS, bodies without a length, the service description — to Flask).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import make_app
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import EnvironBuilder

from alskg.web.metrics import ROUTE_KEY
from alskg.web.sparql.lane import SparqlLane

SELECT = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?s LIMIT 3"
MANY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"  # more rows than the cap below
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a als:Disease ; rdfs:label ?l }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASSERTED = "https://w3id.org/alskg/graph/asserted"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"

Request = tuple[str, str, dict[str, str], bytes | None]


def get(accept: str = "", **params: Any) -> Request:
    """A GET /sparql with these parameters (and Accept, when given)."""
    return ("GET", "/sparql?" + urlencode(params, doseq=True),
            {"Accept": accept} if accept else {}, None)


def post(content_type: str, body: bytes, accept: str = "", path: str = "/sparql") -> Request:
    """A POST with this body and Content-Type."""
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    return ("POST", path, headers, body)


ANSWERED_BY_LANE: list[Request] = [
    get(query=SELECT),
    get("application/sparql-results+json", query=SELECT),
    get("text/csv", query=SELECT),
    get("text/tab-separated-values", query=SELECT),
    get("application/sparql-results+xml", query=SELECT),
    get("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", query=SELECT),
    get("text/csv;q=0.5, application/sparql-results+xml", query=SELECT),
    get("text/turtle", query=CONSTRUCT),
    get("application/ld+json", query=CONSTRUCT),
    get("application/rdf+xml", query=CONSTRUCT),
    get(query="ASK { ?s a als:Disease }"),
    get(query=SELECT, format="csv"),
    get(query=CONSTRUCT, output="rdf+xml"),
    get(query=SELECT, format="nope"),                              # 400 unknown format
    get("image/png", query=SELECT),                                # 406
    get("text/turtle", query=SELECT),                              # 406 (SELECT has no Turtle)
    get(query="SELEC nothing"),                                    # 400 with the parser message
    get(query="INSERT DATA { <a:b> <a:c> <a:d> }"),                # 403 update
    get(query="SELECT * WHERE { SERVICE <http://x.org/s> { ?s ?p ?o } }"),  # 403 SERVICE
    get(query=" "),                                                # 400 empty
    get(query=[SELECT, SELECT]),                                   # 400 two queries
    get(update="CLEAR ALL"),                                       # 400 update by GET
    get(query="x" * 70_000),                                       # 413 too long
    get(query=MANY),                                               # truncated at the cap
    get("text/csv", query=MANY),
    get(query=COUNT, inference="false"),
    get(query=COUNT, **{"default-graph-uri": ASSERTED}),
    get(query="SELECT ?g WHERE { GRAPH ?g { } }", **{"named-graph-uri": ASSERTED}),
    get(query=SELECT, **{"default-graph-uri": "not an iri"}),      # 400
    ("GET", "/sparql/?" + urlencode({"query": SELECT}), {}, None),
    post(DIRECT, SELECT.encode()),
    post(DIRECT + "; charset=utf-8", SELECT.encode(), "text/csv"),
    post(DIRECT + "; charset=latin-1", SELECT.encode()),           # 415
    post(DIRECT, b""),                                             # 400 empty body
    post(DIRECT, b"\xff\xfe"),                                     # 400 not UTF-8
    post(FORM, urlencode({"query": SELECT}).encode()),
    post(FORM, urlencode({"query": CONSTRUCT, "inference": "false"}).encode(), "text/turtle"),
    post(FORM, b"foo=bar"),                                        # 400 no query
    post(FORM, urlencode({"update": "CLEAR ALL"}).encode()),       # 403
    post("application/sparql-update", b"CLEAR ALL"),               # 403
    post("text/plain", SELECT.encode()),                           # 415
    post(FORM, urlencode({"query": SELECT}).encode(), path="/sparql/"),
]
LEFT_TO_FLASK: list[Request] = [
    ("GET", "/sparql", {"Accept": "text/turtle"}, None),           # the service description
    ("GET", "/sparql", {"Accept": "text/html"}, None),             # the query page
    ("HEAD", "/sparql?" + urlencode({"query": SELECT}), {}, None),
    ("OPTIONS", "/sparql", {"Access-Control-Request-Headers": "X-Foo"}, None),
    ("PUT", "/sparql", {"Content-Type": DIRECT}, SELECT.encode()),  # 405
    post(DIRECT, b"x" * 1_100_000),                                # over the body limit: 413
    ("GET", "/queries.json", {}, None),
]


@pytest.fixture(scope="module")
def app(build_root: Path) -> Iterator[Flask]:
    """An app whose row cap is small enough to truncate MANY."""
    application = make_app(build_root, ALSKG_MAX_ROWS=20)
    yield application
    application.extensions["alskg"].close()


class Recorded:
    """What a WSGI app answered: status line, headers, body, and the environ after the call."""

    def __init__(self, wsgi: Callable[..., Any], request: Request, *, chunked: bool = False
                 ) -> None:
        method, path, headers, body = request
        builder = EnvironBuilder(path=path, method=method, headers=headers, data=body)
        self.environ = builder.get_environ()
        builder.close()
        if body is not None:  # as a client sends it, an empty body too ("Content-Length: 0")
            self.environ["CONTENT_LENGTH"] = str(len(body))
        if chunked:  # a body without Content-Length, as a chunked upload arrives
            self.environ.pop("CONTENT_LENGTH", None)
            self.environ["wsgi.input_terminated"] = True
        self.status = ""
        self.headers: list[tuple[str, str]] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                           ) -> None:
            self.status, self.headers = status, list(headers)

        chunks = wsgi(self.environ, start_response)
        self.body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()


def lanes(app: Flask) -> tuple[SparqlLane, list[str]]:
    """A lane in front of Flask's own WSGI app, and the list of paths it handed to Flask."""
    flask_only = partial(Flask.wsgi_app, app)
    handed: list[str] = []

    def flask_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        handed.append(environ["PATH_INFO"])
        return flask_only(environ, start_response)

    lane = SparqlLane(flask_app, app.extensions["alskg.sparql"], app.config["MAX_CONTENT_LENGTH"],
                      note_route=True)
    return lane, handed


def comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers without Date (the only one that may differ between two calls)."""
    return [(name, value) for name, value in headers if name.lower() != "date"]


@pytest.mark.parametrize("request_", ANSWERED_BY_LANE, ids=lambda r: f"{r[0]} {r[1][:60]}")
def test_lane_answers_queries_as_the_view_does(app: Flask, request_: Request) -> None:
    lane, handed = lanes(app)
    by_lane = Recorded(lane, request_)
    assert handed == []  # the lane answered it itself
    by_view = Recorded(partial(Flask.wsgi_app, app), request_)
    assert by_lane.status == by_view.status
    assert comparable(by_lane.headers) == comparable(by_view.headers)
    assert by_lane.body == by_view.body
    assert by_lane.environ[ROUTE_KEY] == by_view.environ[ROUTE_KEY]  # the metrics' URL rule


@pytest.mark.parametrize("request_", LEFT_TO_FLASK, ids=lambda r: f"{r[0]} {r[1][:40]}")
def test_lane_leaves_other_requests_to_flask(app: Flask, request_: Request) -> None:
    lane, handed = lanes(app)
    by_lane = Recorded(lane, request_)
    assert handed == [request_[1].split("?")[0]]
    by_view = Recorded(partial(Flask.wsgi_app, app), request_)
    assert (by_lane.status, by_lane.body) == (by_view.status, by_view.body)


def test_a_chunked_body_goes_to_flask_and_gets_the_same_answer(app: Flask) -> None:
    request_ = post(DIRECT, SELECT.encode())
    lane, handed = lanes(app)
    by_lane = Recorded(lane, request_, chunked=True)
    assert handed == ["/sparql"]
    assert by_lane.status == "200 OK"
    rows = json.loads(by_lane.body)["results"]["bindings"]
    assert len(rows) == 3


def test_truncation_is_flagged_in_the_body_and_the_header(app: Flask) -> None:
    lane, _ = lanes(app)
    answer = Recorded(lane, get(query=MANY))
    document = json.loads(answer.body)
    assert document["truncated"] is True
    assert len(document["results"]["bindings"]) == 20
    assert ("X-Result-Truncated", "true") in answer.headers


def test_etag_gives_304_on_the_lane(app: Flask) -> None:
    lane, handed = lanes(app)
    first = Recorded(lane, get(query=SELECT))
    etag = dict(first.headers)["ETag"]
    method, path, _, _ = get(query=SELECT)
    again = Recorded(lane, (method, path, {"If-None-Match": etag}, None))
    view = Recorded(partial(Flask.wsgi_app, app), (method, path, {"If-None-Match": etag}, None))
    assert handed == []
    assert again.status == view.status == "304 NOT MODIFIED"
    assert again.body == view.body == b""
    assert comparable(again.headers) == comparable(view.headers)
    assert ("ETag", etag) in again.headers


def test_syntax_error_carries_the_parser_message(app: Flask) -> None:
    lane, _ = lanes(app)
    answer = Recorded(lane, get(query="SELECT ?x WHERE { ?x ?y }"))
    assert answer.status == "400 BAD REQUEST"
    assert dict(answer.headers)["Content-Type"] == "text/plain; charset=utf-8"
    assert "error" in answer.body.decode().lower()


def test_the_app_serves_queries_through_the_lane(app: Flask) -> None:
    """The app's whole WSGI stack (the test client) answers by the lane: a real answer, CORS,
    and the request counted under the view's URL rule."""
    client = app.test_client()
    response = client.post("/sparql", data=COUNT.encode(), content_type=DIRECT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert int(json.loads(response.get_data())["results"]["bindings"][0]["n"]["value"]) > 1000
    counted = [sample for family in text_string_to_metric_families(
                   client.get("/metrics").get_data(as_text=True))
               for sample in family.samples if sample.name == "alskg_http_requests_total"
               and sample.labels == {"route": "/sparql", "method": "POST", "status": "200"}]
    assert counted and counted[0].value >= 1

"""Protocol edge cases met as real clients send them: empty requests and every format spelling."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.query import Result
from SPARQLWrapper import SPARQLWrapper

from tests.conftest import LiveServer

RILUZOLE = "https://w3id.org/alskg/id/intervention/riluzole"
ALS_DRUG = URIRef("https://w3id.org/alskg/vocab#Drug")
SELECT_DRUGS = "SELECT ?d WHERE { ?d a als:Drug } ORDER BY ?d"
CONSTRUCT_DRUGS = "CONSTRUCT { ?d a als:Drug } WHERE { ?d a als:Drug }"
FULL_SELECT = "PREFIX als: <https://w3id.org/alskg/vocab#> " + SELECT_DRUGS
FULL_CONSTRUCT = "PREFIX als: <https://w3id.org/alskg/vocab#> " + CONSTRUCT_DRUGS


def drugs_in_solutions(body: bytes, kind: str) -> set[str]:
    """Parse a SELECT answer in a results format and return the ?d values."""
    if kind == "json":
        return {row["d"]["value"] for row in json.loads(body)["results"]["bindings"]}
    if kind == "xml":
        return {str(row[0]) for row in Result.parse(io.BytesIO(body), format="xml")}
    if kind == "csv":
        return {row["d"] for row in csv.DictReader(io.StringIO(body.decode()))}
    assert kind == "tsv"
    lines = body.decode().splitlines()
    assert lines[0] == "?d"
    return {line.strip("<>") for line in lines[1:]}


def drugs_in_graph(body: bytes, plugin: str) -> set[str]:
    """Parse a CONSTRUCT answer with an rdflib parser and return the subjects typed als:Drug."""
    graph = Graph().parse(data=body, format=plugin)
    return {str(s) for s in graph.subjects(RDF.type, ALS_DRUG)}


def test_form_post_without_query_is_a_bad_request(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"format": "json"})
    assert response.status_code == 400
    assert "query" in response.get_data(as_text=True)
    empty = client.post("/sparql", data=b"", content_type="application/x-www-form-urlencoded")
    assert empty.status_code == 400


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
def test_direct_post_with_empty_body_is_an_empty_query(client: FlaskClient, body: bytes) -> None:
    response = client.post("/sparql", data=body, content_type="application/sparql-query")
    assert response.status_code == 400
    assert "Empty query" in response.get_data(as_text=True)


def test_get_with_empty_query_is_a_bad_request(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": " "})
    assert response.status_code == 400


def test_bare_get_still_describes_the_service(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert len(Graph().parse(data=response.get_data(), format="turtle")) > 0


# (parameter, value, intended results format): SPARQLWrapper sends format=, output= and results=
# with its own names; some values twice (its name, then the media type).
SELECT_SPELLINGS = [
    ("format", "json", "json"), ("output", "json", "json"), ("results", "json", "json"),
    ("format", "xml", "xml"), ("output", "xml", "xml"),
    ("format", "csv", "csv"), ("format", "tsv", "tsv"),
    ("format", "application/sparql-results+json", "json"),
    ("format", "application/json", "json"), ("format", "text/javascript", "json"),
    ("format", "application/sparql-results+xml", "xml"), ("format", "application/xml", "xml"),
    ("format", "text/csv", "csv"), ("format", "text/tab-separated-values", "tsv"),
    ("output", "text/tab-separated-values", "tsv"), ("format", "srj", "json"),
    ("format", "srx", "xml"), ("format", "JSON", "json"),
]


@pytest.mark.parametrize(("param", "value", "kind"), SELECT_SPELLINGS)
def test_select_format_spellings(client: FlaskClient, param: str, value: str, kind: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS, param: value})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert RILUZOLE in drugs_in_solutions(response.get_data(), kind)


GRAPH_SPELLINGS = [
    ("format", "turtle", "turtle"), ("output", "turtle", "turtle"), ("format", "n3", "turtle"),
    ("format", "ttl", "turtle"), ("format", "text/turtle", "turtle"),
    ("format", "application/turtle", "turtle"), ("format", "text/n3", "turtle"),
    ("format", "text/rdf+n3", "turtle"), ("format", "application/x-turtle", "turtle"),
    ("format", "rdf+xml", "xml"), ("output", "rdf+xml", "xml"), ("format", "xml", "xml"),
    ("format", "rdf", "xml"), ("format", "application/rdf+xml", "xml"),
    ("format", "application/xml", "xml"),
    ("format", "json-ld", "json-ld"), ("format", "jsonld", "json-ld"),
    ("format", "json", "json-ld"), ("format", "application/ld+json", "json-ld"),
    ("format", "application/x-json+ld", "json-ld"),
    ("format", "nt", "nt"), ("format", "ntriples", "nt"), ("format", "n-triples", "nt"),
    ("format", "application/n-triples", "nt"), ("format", "text/plain", "nt"),
    ("format", "nquads", "nquads"), ("format", "application/n-quads", "nquads"),
    ("format", "trig", "trig"), ("format", "application/trig", "trig"),
]


@pytest.mark.parametrize(("param", "value", "plugin"), GRAPH_SPELLINGS)
def test_construct_format_spellings(client: FlaskClient, param: str, value: str,
                                    plugin: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT_DRUGS, param: value})
    assert response.status_code == 200, response.get_data(as_text=True)
    if plugin in ("nquads", "trig"):
        from rdflib import Dataset

        dataset = Dataset().parse(data=response.get_data(), format=plugin)
        found = {str(s) for s in dataset.subjects(RDF.type, ALS_DRUG)}
    else:
        found = drugs_in_graph(response.get_data(), plugin)
    assert RILUZOLE in found


def test_repeated_format_values_take_the_first_that_fits(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string=[
        ("query", SELECT_DRUGS), ("format", "tsv"), ("format", "text/tab-separated-values"),
        ("output", "tsv"), ("results", "tsv")])
    assert response.status_code == 200
    assert response.mimetype == "text/tab-separated-values"


def test_unknown_format_still_refused(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS, "format": "rdf+xml"})
    assert response.status_code == 400
    assert "Unknown format" in response.get_data(as_text=True)


@pytest.mark.parametrize(("accept", "kind"), [
    ("application/sparql-results+json,*/*;q=0.9", "json"),  # YASGUI, SELECT
    ("application/sparql-results+json, application/sparql-results+xml", "json"),  # SPARQLStore
    ("application/sparql-results+json,application/json,text/javascript,"
     "application/javascript", "json"),  # SPARQLWrapper JSON
])
def test_client_accept_headers_for_select(client: FlaskClient, accept: str, kind: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert RILUZOLE in drugs_in_solutions(response.get_data(), kind)


@pytest.mark.parametrize(("accept", "plugin"), [
    ("application/n-triples,*/*;q=0.9", "nt"),  # YASGUI, CONSTRUCT
    ("application/rdf+xml", "xml"),  # SPARQLStore / SPARQLWrapper RDF/XML
    ("application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3",
     "turtle"),  # SPARQLWrapper N3
    ("application/ld+json,application/x-json+ld", "json-ld"),  # SPARQLWrapper JSON-LD
])
def test_client_accept_headers_for_construct(client: FlaskClient, accept: str,
                                             plugin: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT_DRUGS},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert RILUZOLE in drugs_in_graph(response.get_data(), plugin)


SPARQLWRAPPER_CASES = [
    ("json", FULL_SELECT, "json"), ("xml", FULL_SELECT, "xml"), ("csv", FULL_SELECT, "csv"),
    ("tsv", FULL_SELECT, "tsv"),
    ("turtle", FULL_CONSTRUCT, "turtle"), ("n3", FULL_CONSTRUCT, "turtle"),
    ("xml", FULL_CONSTRUCT, "xml"), ("rdf", FULL_CONSTRUCT, "xml"),
    ("rdf+xml", FULL_CONSTRUCT, "xml"), ("json-ld", FULL_CONSTRUCT, "json-ld"),
]


@pytest.mark.parametrize(("return_format", "query", "parser"), SPARQLWRAPPER_CASES)
def test_sparqlwrapper_every_return_format(live_server: LiveServer, return_format: str,
                                           query: str, parser: str) -> None:
    client = SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    with warnings.catch_warnings():  # SPARQLWrapper warns it sends Accept */* for "rdf"
        warnings.simplefilter("ignore", RuntimeWarning)
        body = client.query().response.read()
    if query is FULL_SELECT:
        assert RILUZOLE in drugs_in_solutions(body, parser)
    else:
        assert RILUZOLE in drugs_in_graph(body, parser)

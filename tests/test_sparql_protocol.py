"""SPARQL 1.1 Protocol on /sparql: methods, formats, negotiation, errors, caching and CORS."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.query import Result

from alskg.curation.namespaces import SD, graph_iri

ALS = "https://w3id.org/alskg/vocab#"
RILUZOLE = "https://w3id.org/alskg/id/intervention/riluzole"
SELECT_DRUGS = "SELECT ?d ?label WHERE { ?d a als:Drug ; rdfs:label ?label } ORDER BY ?d"
CONSTRUCT_DRUGS = ("CONSTRUCT { ?d a als:Drug ; rdfs:label ?l } "
                   "WHERE { ?d a als:Drug ; rdfs:label ?l }")


def bindings(response) -> list[dict]:  # type: ignore[no-untyped-def]
    """Parse a SPARQL JSON response body into its bindings."""
    return json.loads(response.get_data())["results"]["bindings"]


def test_get_query_defaults_to_sparql_json(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    drugs = {row["d"]["value"] for row in bindings(response)}
    assert RILUZOLE in drugs
    assert "Accept" in response.headers["Vary"]


def test_post_form_and_post_direct_give_the_same_answer(client: FlaskClient) -> None:
    form = client.post("/sparql", data={"query": SELECT_DRUGS})
    direct = client.post("/sparql", data=SELECT_DRUGS.encode(),
                         content_type="application/sparql-query")
    assert form.status_code == direct.status_code == 200
    assert bindings(form) == bindings(direct)


def test_trailing_slash_endpoint(client: FlaskClient) -> None:
    response = client.get("/sparql/", query_string={"query": "ASK {}"})
    assert response.status_code == 200
    assert json.loads(response.get_data())["boolean"] is True


@pytest.mark.parametrize(("accept", "media_type"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
])
def test_select_negotiation(client: FlaskClient, accept: str, media_type: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_formats_parse_back(client: FlaskClient, fmt: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS, "format": fmt})
    assert response.status_code == 200
    body = response.get_data()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        values = {r["d"] for r in rows}
    else:
        parsed = Result.parse(io.BytesIO(body), format=fmt)
        values = {str(row[0]) for row in parsed}  # type: ignore[index]
    assert RILUZOLE in values


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_formats(client: FlaskClient, fmt: str) -> None:
    query = f"ASK {{ <{RILUZOLE}> a als:Drug }}"
    response = client.get("/sparql", query_string={"query": query, "format": fmt})
    assert response.status_code == 200
    assert Result.parse(io.BytesIO(response.get_data()), format=fmt).askAnswer is True


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
])
def test_construct_formats_parse_back(client: FlaskClient, accept: str,
                                      rdflib_format: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT_DRUGS},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    graph = Graph()
    if rdflib_format in ("nquads", "trig"):
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(data=response.get_data(), format=rdflib_format)
        for quad in dataset.quads():
            graph.add(quad[:3])
    else:
        graph.parse(data=response.get_data(), format=rdflib_format)
    assert (URIRef(RILUZOLE), RDF.type, URIRef(ALS + "Drug")) in graph


def test_construct_defaults_to_turtle(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT_DRUGS})
    assert response.mimetype == "text/turtle"
    assert len(Graph().parse(data=response.get_data(), format="turtle")) > 0


def test_describe(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": f"DESCRIBE <{RILUZOLE}>"},
                          headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(), format="nt")
    assert any(s == URIRef(RILUZOLE) for s in graph.subjects())


def test_unacceptable_accept_is_406(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS},
                          headers={"Accept": "image/png"})
    assert response.status_code == 406
    graph_query = client.get("/sparql", query_string={"query": CONSTRUCT_DRUGS},
                             headers={"Accept": "text/csv"})
    assert graph_query.status_code == 406


def test_unknown_format_parameter_is_400(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_DRUGS, "format": "yaml"})
    assert response.status_code == 400
    assert "yaml" in response.get_data(as_text=True)


def test_malformed_query_is_400_with_parser_message(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s "})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Malformed query:")


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"query_string": "query=ASK%7B%7D&query=ASK%7B%7D"}, 400),
    ({"query_string": "query=ASK%7B%7D&update=CLEAR%20ALL", "method": "POST",
      "data": b"", "content_type": "application/x-www-form-urlencoded"}, 400),
    ({"method": "POST", "data": b"ASK {}", "content_type": "text/plain"}, 415),
    ({"method": "POST", "data": b"query=ASK%20%7B%7D"}, 415),
    ({"method": "PUT", "data": b"ASK {}", "content_type": "application/sparql-query"}, 405),
])
def test_protocol_errors(client: FlaskClient, kwargs: dict, status: int) -> None:  # type: ignore[type-arg]
    method = kwargs.pop("method", "GET")
    response = client.open("/sparql", method=method, **kwargs)
    assert response.status_code == status


def test_non_utf8_body_is_refused(client: FlaskClient) -> None:
    response = client.post("/sparql", data="ASK {}".encode("utf-16"),
                           content_type="application/sparql-query; charset=UTF-16")
    assert 400 <= response.status_code < 500


def test_protocol_dataset_selects_graphs(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only_ontology = client.get("/sparql", query_string={
        "query": query, "default-graph-uri": graph_iri("ontology")})
    everything = client.get("/sparql", query_string={"query": query})
    n_ontology = int(bindings(only_ontology)[0]["n"]["value"])
    n_all = int(bindings(everything)[0]["n"]["value"])
    assert 0 < n_ontology < n_all
    named = client.get("/sparql", query_string={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "named-graph-uri": graph_iri("asserted")})
    assert {r["g"]["value"] for r in bindings(named)} == {graph_iri("asserted")}


def test_inference_false_hides_inferred_triples(client: FlaskClient) -> None:
    query = f"ASK {{ <{RILUZOLE}> a als:Intervention }}"
    with_inference = client.get("/sparql", query_string={"query": query})
    asserted_only = client.get("/sparql", query_string={"query": query, "inference": "false"})
    assert json.loads(with_inference.get_data())["boolean"] is True
    assert json.loads(asserted_only.get_data())["boolean"] is False


def test_service_description_by_negotiation(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(), format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    assert graph.value(service, SD.endpoint) is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    names = set(graph.objects(None, SD.name))
    assert URIRef(graph_iri("inferred")) in names
    assert len(set(graph.objects(service, SD.resultFormat))) >= 4


def test_bare_get_in_a_browser_is_the_query_page(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_etag_and_if_none_match(client: FlaskClient) -> None:
    first = client.get("/sparql", query_string={"query": SELECT_DRUGS})
    etag = first.headers["ETag"]
    again = client.get("/sparql", query_string={"query": SELECT_DRUGS},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    other_format = client.get("/sparql", query_string={"query": SELECT_DRUGS, "format": "csv"},
                              headers={"If-None-Match": etag})
    assert other_format.status_code == 200


def test_cors_headers_and_preflight(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"},
                          headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_health(client: FlaskClient) -> None:
    body = client.get("/health").get_json()
    assert body["ok"] is True
    assert len(body["content_hash"]) == 64

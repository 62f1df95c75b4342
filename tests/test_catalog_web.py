"""Named queries on the web: /queries, /queries/<name> with suffixes and content negotiation,
typed parameters (400s naming them), injection attempts, Link headers, ETags, the SHACL examples
and one CSV download over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from werkzeug.test import TestResponse

from alskg.curation.namespaces import SH
from alskg.query.catalog import load_catalog
from alskg.query.sparqltext import query_form

QUERIES = load_catalog()
ID = "https://w3id.org/alskg/id/"
FEASIBLE = "status=status:supported&aspect=aspect:feasibility"
SUPPORTED = {ID + "claim/msc-therapy-feasibility",
             ID + "claim/msc-therapy-feasibility-gugliandolo-2019"}
INJECTIONS = ['"} ; DROP ALL ; SELECT * {', "> } UNION { ?s ?p ?o",
              "x' } UNION { ?s ?p ?o } #", '\\"} INSERT DATA { <a> <b> <c> } #']


def bindings(response: TestResponse) -> list[dict[str, Any]]:
    """Return the bindings of a SPARQL JSON response."""
    return json.loads(response.get_data())["results"]["bindings"]  # type: ignore[no-any-return]


def values(response: TestResponse, var: str) -> set[str]:
    """Return one variable's values from a SPARQL JSON response."""
    return {b[var]["value"] for b in bindings(response) if var in b}


def triple_count(client: FlaskClient) -> int:
    """Count every quad the endpoint holds."""
    response = client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"})
    return int(bindings(response)[0]["n"]["value"])


# --- the list ---------------------------------------------------------------------------------

def test_queries_page_lists_every_query(client: FlaskClient) -> None:
    response = client.get("/queries")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for query in QUERIES:
        assert f'href="/queries/{query.name}"' in html
        assert str(escape(query.summary)) in html
        for param in query.params:
            assert f"<code>{param.name}</code>" in html


def test_queries_json_by_suffix_and_accept(client: FlaskClient) -> None:
    by_suffix = client.get("/queries.json").get_json()
    by_accept = client.get("/queries", headers={"Accept": "application/json"}).get_json()
    assert by_suffix == by_accept
    assert by_suffix["ok"] is True
    assert [q["name"] for q in by_suffix["queries"]] == [q.name for q in QUERIES]
    entry = next(q for q in by_suffix["queries"] if q["name"] == "studies-by-year")
    assert [(p["name"], p["type"]) for p in entry["params"]] == [("from", "integer"),
                                                                  ("to", "integer")]
    assert entry["formats"]["csv"].endswith("/queries/studies-by-year.csv")


def test_queries_filter_by_tag(client: FlaskClient) -> None:
    data = client.get("/queries.json?tag=mapping").get_json()
    assert data["queries"] and all("mapping" in q["tags"] for q in data["queries"])


# --- one query: HTML --------------------------------------------------------------------------

def test_query_page_shows_form_sparql_and_table(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status?{FEASIBLE}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<form class="param-form"' in html and 'name="status"' in html
    assert 'value="status:supported"' in html
    assert "als:aboutIntervention" in html  # the SPARQL text
    assert '<table class="results">' in html
    assert 'href="/id/claim/msc-therapy-feasibility"' in html
    assert "2 rows" in html
    assert 'rel="alternate"' in response.headers["Link"]


def test_query_page_for_ask_and_construct(client: FlaskClient) -> None:
    ask = client.get("/queries/is-investigational").get_data(as_text=True)
    assert "Answer: <strong>true</strong>" in ask
    graph = client.get("/queries/entity-description").get_data(as_text=True)
    assert "<th scope=\"col\">subject</th>" in graph and "intervention:riluzole" in graph


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_query_page_renders(client: FlaskClient, query: Any) -> None:
    response = client.get(f"/queries/{query.name}")
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]


# --- one query: data by suffix and by Accept --------------------------------------------------

def test_json_suffix(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status.json?{FEASIBLE}")
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert values(response, "claim") == SUPPORTED
    assert values(response, "_status") == {ID + "status/supported"}


def test_csv_suffix_parses(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status.csv?{FEASIBLE}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["claim"] for r in rows} == SUPPORTED
    assert "claims-by-status.csv" in response.headers["Content-Disposition"]


def test_tsv_suffix_parses(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status.tsv?{FEASIBLE}")
    assert response.status_code == 200 and response.mimetype == "text/tab-separated-values"
    lines = response.get_data(as_text=True).splitlines()
    header = lines[0].split("\t")
    claim = header.index("?claim")
    assert {line.split("\t")[claim] for line in lines[1:]} == {f"<{c}>" for c in SUPPORTED}


def test_turtle_suffix_parses(client: FlaskClient) -> None:
    response = client.get("/queries/entity-description.ttl",
                          query_string={"entity": ID + "claim/msc-therapy-safety"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert (URIRef(ID + "claim/msc-therapy-safety"), None, None) in graph


def test_json_suffix_on_a_graph_query_is_json_ld(client: FlaskClient) -> None:
    response = client.get("/queries/entity-description.json")
    assert response.mimetype == "application/ld+json"
    graph = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    assert (URIRef(ID + "intervention/riluzole"), None, None) in graph


@pytest.mark.parametrize(("accept", "mimetype"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html", "text/html"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
])
def test_content_negotiation(client: FlaskClient, accept: str, mimetype: str) -> None:
    response = client.get(f"/queries/claims-by-status?{FEASIBLE}",
                          headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]


def test_turtle_by_accept_for_a_graph_query(client: FlaskClient) -> None:
    response = client.get("/queries/entity-description", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    Graph().parse(data=response.get_data(as_text=True), format="turtle")


def test_unavailable_formats_are_406_and_unknown_queries_404(client: FlaskClient) -> None:
    for path, headers in (("/queries/claims-by-status.ttl", {}),
                          ("/queries/claims-by-status", {"Accept": "text/turtle"}),
                          ("/queries/entity-description.csv", {})):
        response = client.get(path, headers=headers)
        assert response.status_code == 406
        assert response.get_json()["ok"] is False and response.get_json()["status"] == 406
    missing = client.get("/queries/no-such-query.json")
    assert missing.status_code == 404 and missing.get_json()["status"] == 404


def test_link_headers_name_every_format(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status.json?{FEASIBLE}")
    link = response.headers["Link"]
    for suffix, media in (("json", "application/sparql-results+json"), ("csv", "text/csv"),
                          ("tsv", "text/tab-separated-values")):
        assert f"/queries/claims-by-status.{suffix}?{FEASIBLE}>; " \
               f'rel="alternate"; type="{media}"' in link
    assert 'type="text/html"' in link


def test_etag_gives_304(client: FlaskClient) -> None:
    first = client.get("/queries/claims-by-status.csv")
    again = client.get("/queries/claims-by-status.csv",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get(f"/queries/claims-by-status.csv?{FEASIBLE}",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


# --- parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "name", "expected"), [
    ("/queries/claims-by-status.json?status=proven", "status", "a resource of this graph"),
    ("/queries/claims-by-status.json?aspect=nope:safety", "aspect", "CURIE"),
    ("/queries/inferred-about-entity.json?entity=no-such-therapy", "entity",
     "a resource of this graph"),
    ("/queries/inferred-about-entity.json?entity=msc%20therapy%3E", "entity", "absolute IRI"),
    ("/queries/studies-by-year.json?from=twenty", "from", "integer"),
    ("/queries/studies-by-year.csv?to=2012.5", "to", "integer"),
    ("/queries/claims-since-date.json?since=2017-02-30", "since", "date"),
    ("/queries/claims-by-status.json?colour=red", "colour", "declared parameter"),
])
def test_bad_parameter_is_400_naming_it(client: FlaskClient, path: str, name: str,
                                        expected: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 400
    assert f"'{name}'" in body["error"] and expected in body["error"]
    assert body["parameter"] == name


@pytest.mark.parametrize(("path", "check"), [
    ("/queries/studies-by-year.json?from=2010&to=2012", "study"),
    ("/queries/claims-since-date.json?since=2017-03-21", "claim"),
    ("/queries/inferred-about-entity.json?entity=https://w3id.org/alskg/id/intervention/riluzole",
     "predicate"),
    ("/queries/interventions-by-cell-type.json?cell=CL:0000134", "intervention"),
    ("/queries/claims-by-status.json?status=supported", "claim"),          # a short name
    ("/queries/inferred-about-entity.json?entity=msc-therapy", "predicate"),
    ("/queries/search-labels.json?text=Riluzole", "entity"),
])
def test_good_parameter_of_each_type(client: FlaskClient, path: str, check: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert values(response, check)


def test_bad_parameter_on_the_html_page_is_400_with_the_form(client: FlaskClient) -> None:
    response = client.get("/queries/studies-by-year?from=soon")
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "&#39;from&#39; expects an integer" in html and 'aria-invalid="true"' in html


def test_repeated_parameter_is_400(client: FlaskClient) -> None:
    response = client.get(f"/queries/claims-by-status.json?{FEASIBLE}"
                          "&status=status:unproven")
    assert response.status_code == 400 and "'status'" in response.get_json()["error"]


# --- injection --------------------------------------------------------------------------------

@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_a_string_is_bound_as_a_literal(client: FlaskClient, attack: str) -> None:
    before = triple_count(client)
    response = client.get("/queries/search-labels.json", query_string={"text": attack})
    assert response.status_code == 200
    assert bindings(response) == []  # no label contains the text: it is only a literal
    assert triple_count(client) == before
    echoed = client.get("/queries/search-labels.json", query_string={"text": "stem"})
    assert values(echoed, "_text") == {"stem"}


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_iri_and_curie_is_refused(client: FlaskClient, attack: str) -> None:
    before = triple_count(client)
    iri = client.get("/queries/inferred-about-entity.json",
                     query_string={"entity": "https://w3id.org/alskg/id/x" + attack})
    curie = client.get("/queries/claims-by-status.json",
                       query_string={"status": "status:supported" + attack})
    assert iri.status_code == curie.status_code == 400
    assert iri.get_json()["parameter"] == "entity"
    assert curie.get_json()["parameter"] == "status"
    assert triple_count(client) == before


def test_a_literal_that_looks_like_an_iri_is_still_a_literal(client: FlaskClient) -> None:
    response = client.get("/queries/search-labels.json",
                          query_string={"text": "> } UNION { ?s ?p ?o } #"})
    assert response.status_code == 200 and bindings(response) == []


# --- SHACL examples ---------------------------------------------------------------------------

def test_sparql_examples_turtle_by_default(client: FlaskClient) -> None:
    response = client.get("/.well-known/sparql-examples")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    found = set(graph.subjects(RDF.type, SH.SPARQLExecutable))
    assert found == {URIRef(f"{ID}query/{q.name}") for q in QUERIES}


@pytest.mark.parametrize(("accept", "parser"), [("application/ld+json", "json-ld"),
                                                ("application/n-triples", "nt"),
                                                ("application/rdf+xml", "xml")])
def test_sparql_examples_negotiated(client: FlaskClient, accept: str, parser: str) -> None:
    response = client.get("/.well-known/sparql-examples", headers={"Accept": accept})
    assert response.mimetype == accept
    graph = Graph().parse(data=response.get_data(), format=parser)
    assert len(set(graph.subjects(RDF.type, SH.SPARQLExecutable))) == len(QUERIES)


def test_sparql_examples_refuses_unknown_formats(client: FlaskClient) -> None:
    assert client.get("/.well-known/sparql-examples",
                      headers={"Accept": "text/csv"}).status_code == 406


# --- real HTTP --------------------------------------------------------------------------------

def test_csv_download_over_real_http(live_server: Any) -> None:
    url = f"{live_server.url}/queries/claims-by-status.csv?{FEASIBLE}"
    with urllib.request.urlopen(url, timeout=20) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/csv"
        assert 'rel="alternate"' in response.headers["Link"]
        text = response.read().decode("utf-8")
    assert {r["claim"] for r in csv.DictReader(io.StringIO(text))} == SUPPORTED


def test_query_forms_are_known() -> None:
    assert {query_form(q.text) for q in QUERIES} <= {"SELECT", "CONSTRUCT", "ASK"}

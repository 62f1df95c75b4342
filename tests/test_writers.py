"""One RDF writer per syntax: the same triples come out as the same bytes whichever URL asks."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph

IRI = "https://w3id.org/alskg/id/intervention/msc-therapy"
SYNTAXES = [("text/turtle", "turtle"), ("application/n-triples", "nt"),
            ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")]


@pytest.mark.parametrize(("accept", "parser"), SYNTAXES)
def test_sparql_construct_and_dereferencing_write_alike(client: FlaskClient, accept: str,
                                                        parser: str) -> None:
    """The ontology graph (blank nodes included) by CONSTRUCT at /sparql and as the document
    /graph/ontology come out of the same writer: identical bytes, which parse. (The asserted
    graph is larger than a query answer may be.)"""
    construct = ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/alskg/graph/ontology> "
                 "{ ?s ?p ?o } }")
    by_query = client.get("/sparql?" + urlencode({"query": construct}),
                          headers={"Accept": accept})
    by_iri = client.get("/graph/ontology", headers={"Accept": accept})
    assert by_query.status_code == by_iri.status_code == 200
    assert by_query.mimetype == by_iri.mimetype
    assert by_query.get_data() == by_iri.get_data()
    assert len(Graph().parse(data=by_query.get_data(as_text=True), format=parser)) > 100


@pytest.mark.parametrize("key", ["turtle", "nt", "rdfxml", "jsonld", "trig", "nquads"])
def test_service_description_parses_in_every_syntax(client: FlaskClient, key: str) -> None:
    """The service description, written by the deterministic writers, parses in each syntax."""
    response = client.get(f"/sparql?format={key}")
    assert response.status_code == 200
    parser = {"turtle": "turtle", "nt": "nt", "rdfxml": "xml", "jsonld": "json-ld",
              "trig": "trig", "nquads": "nquads"}[key]
    parsed = Dataset().parse(data=response.get_data(as_text=True), format=parser)
    assert len(parsed) > 10

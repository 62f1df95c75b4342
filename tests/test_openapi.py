"""/openapi.json: a valid OpenAPI 3.1 document describing every named query, its typed
parameters and its response formats; and the docs cannot drift from the catalog."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV31SpecValidator
from rdflib import Graph

from alskg.formats import media as formats
from alskg.query.catalog import NamedQuery, load_catalog
from alskg.query.sparqltext import query_form
from alskg.web.openapi import openapi_document

QUERIES = load_catalog()


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document).validate()


def test_the_unserved_document_is_valid_too() -> None:
    OpenAPIV31SpecValidator(openapi_document(QUERIES, "https://example.org/")).validate()


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_query_is_described(document: dict[str, Any], query: NamedQuery) -> None:
    operation = document["paths"][f"/queries/{query.name}"]["get"]
    assert operation["summary"] == query.summary
    described = {p["name"]: p for p in operation["parameters"]}
    assert set(described) == {p.name for p in query.params}
    for param in query.params:
        schema = described[param.name]["schema"]
        assert described[param.name]["in"] == "query"
        assert schema["type"] == ("integer" if param.type == "integer" else "string")
        if param.type == "date":
            assert schema["format"] == "date"
    form = query_form(query.text) or "SELECT"
    content = operation["responses"]["200"]["content"]
    assert {f.media_type for f in formats.offered(form)} <= set(content)
    assert "text/html" in content
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_docs_cannot_drift(client: FlaskClient, document: dict[str, Any]) -> None:
    """Every query file appears in /queries (HTML and JSON), the OpenAPI and the examples."""
    html = client.get("/queries").get_data(as_text=True)
    listed = {q["name"] for q in client.get("/queries.json").get_json()["queries"]}
    examples = Graph().parse(data=client.get("/.well-known/sparql-examples").get_data(),
                             format="turtle")
    example_iris = {str(s) for s in examples.subjects()}
    for query in QUERIES:
        assert f'href="/queries/{query.name}"' in html
        assert query.name in listed
        assert f"/queries/{query.name}" in document["paths"]
        assert any(iri.endswith(f"query/{query.name}") for iri in example_iris), query.name
    described = {p.removeprefix("/queries/") for p in document["paths"]
                 if p.startswith("/queries/")}
    assert described == {q.name for q in QUERIES}

"""The OpenAPI 3.1 description of the web API: every named query, its parameters and formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..formats import media as formats
from ..query.catalog import NamedQuery, Parameter
from ..query.sparqltext import query_form

CURIE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*:[^\s<>\"{}|\\^`]*$"
IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$"
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def parameter_schema(param: Parameter) -> dict[str, Any]:
    """Return the JSON Schema of a named-query parameter's value."""
    schema: dict[str, Any]
    if param.type == "integer":
        schema = {"type": "integer"}
    elif param.type == "date":
        schema = {"type": "string", "format": "date"}
    elif param.type == "iri":
        schema = {"type": "string", "format": "iri", "pattern": IRI_PATTERN}
    elif param.type == "curie":
        schema = {"type": "string", "pattern": CURIE_PATTERN,
                  "description": "a CURIE whose prefix is one of the graph's prefixes"}
    else:
        schema = {"type": "string"}
    if param.default is not None:
        schema["default"] = int(param.default) if param.type == "integer" else param.default
    return schema


def parameter_object(param: Parameter) -> dict[str, Any]:
    """Return the OpenAPI Parameter Object for a named-query parameter (in the query string)."""
    description = param.description or f"{param.type} value bound to ?{param.variable}"
    obj: dict[str, Any] = {
        "name": param.name, "in": "query", "required": False,
        "description": f"{description} (type: {param.type}; bound to ?{param.variable} as a "
                       "typed RDF term, never pasted into the query text)",
        "schema": parameter_schema(param),
    }
    if param.example is not None:
        obj["example"] = int(param.example) if param.type == "integer" else param.example
    return obj


def _result_content(form: str) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt in formats.offered(form):
        if fmt.key == "json":
            content[fmt.media_type] = {"schema": {"$ref": "#/components/schemas/SparqlResults"}}
        elif fmt.key == "jsonld":
            content[fmt.media_type] = {"schema": {"type": ["object", "array"]}}
        else:
            content[fmt.media_type] = {"schema": {"type": "string"}}
    content["text/html"] = {"schema": {"type": "string"}}
    return content


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {400: "A parameter value does not fit its type, or an unknown parameter",
               404: "No such resource", 406: "None of the accepted media types is available",
               503: "The query ran past the time limit, or the server is busy"}
    return {str(s): {"description": reasons[s], "content": {"application/json": {
        "schema": ERROR_REF}}} for s in statuses}


def query_operation(query: NamedQuery, server_url: str = "/") -> dict[str, Any]:
    """Return the OpenAPI Path Item for one named query (GET with its parameters)."""
    form = query_form(query.text) or "SELECT"
    suffixes = ", ".join(f"`.{f.suffix}`" for f in formats.offered(form))
    description = (query.description or query.summary) + (
        f"\n\nA {form} query. Choose the format by content negotiation (Accept) or a suffix on "
        f"the path ({suffixes}{', `.json`' if form not in ('SELECT', 'ASK') else ''}).")
    operation = {
        "operationId": "query_" + query.name.replace("-", "_"),
        "summary": query.summary,
        "description": description,
        "tags": ["named queries", *query.tags],
        "parameters": [parameter_object(p) for p in query.params],
        "responses": {
            "200": {"description": f"The {form} result", "content": _result_content(form),
                    "headers": {"Link": {"description": "rel=alternate links to every format",
                                         "schema": {"type": "string"}}}},
            **_errors(400, 406, 503),
        },
        "externalDocs": {"description": "The query page (form, SPARQL text, result table)",
                         "url": f"{server_url.rstrip('/')}/queries/{query.name}"},
    }
    return {"get": operation}


def _static_paths() -> dict[str, Any]:
    json_ok = {"application/json": {"schema": {"type": "object"}}}
    return {
        "/sparql": {"get": {
            "operationId": "sparql_query", "summary": "SPARQL 1.1 Protocol endpoint",
            "tags": ["sparql"],
            "parameters": [
                {"name": "query", "in": "query", "required": False,
                 "description": "A SPARQL query; without one the service description is served",
                 "schema": {"type": "string"}},
                {"name": "inference", "in": "query", "required": False,
                 "description": "false: leave the inferred graph out of the default graph",
                 "schema": {"type": "boolean", "default": True}},
            ],
            "responses": {"200": {"description": "Query results or the service description",
                                  "content": _result_content("SELECT")},
                          **_errors(406, 503),
                          "400": {"description": "Malformed query",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }},
        "/queries": {"get": {
            "operationId": "list_queries", "summary": "List the named queries",
            "tags": ["named queries"],
            "responses": {"200": {"description": "The catalog",
                                  "content": {**json_ok,
                                              "text/html": {"schema": {"type": "string"}}}}},
        }},
        "/evidence": {"get": {
            "operationId": "evidence_matrix",
            "summary": "The evidence matrix: interventions × aspects → status",
            "tags": ["evidence"],
            "parameters": [{"name": "inference", "in": "query", "required": False,
                            "description": "false: only asserted statements",
                            "schema": {"type": "boolean", "default": True}}],
            "responses": {"200": {"description": "The matrix",
                                  "content": {**json_ok,
                                              "text/html": {"schema": {"type": "string"}}}},
                          **_errors(406, 503)},
        }},
        **_search_paths(),
        "/.well-known/sparql-examples": {"get": {
            "operationId": "sparql_examples",
            "summary": "The named queries as SHACL SPARQL executables (RDF)",
            "tags": ["named queries"],
            "responses": {"200": {"description": "RDF, Turtle by default", "content": {
                f.media_type: {"schema": {"type": "string"}}
                for f in formats.GRAPH_FORMATS}}, **_errors(406)},
        }},
    }


def _search_paths() -> dict[str, Any]:
    """The search API (web/search.py; the JSON shapes in docs/search.md)."""
    text = {"name": "q", "in": "query", "required": True, "schema": {"type": "string",
            "maxLength": 500}, "description": "A name, words or an identifier (NCT number, "
            "CURIE, DOI, PMID, IRI)", "example": "riluzole"}
    kind = {"name": "kind", "in": "query", "required": False, "schema": {"type": "string"},
            "description": "Only resources of these kinds, comma-separated (intervention, "
            "study, claim, publication, regulatory, phenotype, …); an unknown one is a 400",
            "example": "intervention"}
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8}}
    found = {"application/json": {"schema": {"type": "object"}}}
    return {
        "/search.json": {"get": {
            "operationId": "search", "tags": ["search"],
            "summary": "Search resources by name, words or identifier, ranked and grouped",
            "parameters": [text, kind],
            "responses": {"200": {"description": "Ranked results", "content": found},
                          **_errors(400)}}},
        "/search/suggest": {"get": {
            "operationId": "search_suggest", "tags": ["search"],
            "summary": "Typeahead: a few suggestions (label, kind, curie, iri, href, matched)",
            "parameters": [{**text, "required": False}, kind, limit],
            "responses": {"200": {"description": "Suggestions", "content": found},
                          **_errors(400)}}},
    }


def openapi_document(catalog: Sequence[NamedQuery], server_url: str = "/") -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for the API and every named query."""
    paths = _static_paths()
    for query in catalog:
        paths[f"/queries/{query.name}"] = query_operation(query, server_url)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "alskg API",
            "version": __version__,
            "summary": "The ALS knowledge graph: SPARQL endpoint, named queries, evidence matrix",
            "license": {"name": "CC BY 4.0 (data)",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": "named queries", "description": "Curated SPARQL queries (queries/*.rq)"},
                 {"name": "sparql"}, {"name": "evidence"}, {"name": "search"}],
        "paths": paths,
        "components": {"schemas": {
            "Error": {
                "type": "object", "required": ["ok", "error", "status"],
                "properties": {"ok": {"const": False}, "error": {"type": "string"},
                               "status": {"type": "integer"},
                               "parameter": {"type": "string"},
                               "expected": {"type": "string"}},
            },
            "SparqlResults": {
                "type": "object",
                "description": "SPARQL 1.1 Query Results JSON (`truncated` is added when the "
                               "row limit cut the result)",
                "properties": {
                    "head": {"type": "object", "properties": {
                        "vars": {"type": "array", "items": {"type": "string"}}}},
                    "results": {"type": "object", "properties": {"bindings": {
                        "type": "array", "items": {"type": "object"}}}},
                    "boolean": {"type": "boolean"},
                    "truncated": {"type": "boolean"},
                },
            },
        }},
    }

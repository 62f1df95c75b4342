"""The query page as served (parsed HTML and its JSON config) and the editor's completions
(/sparql/completions): a short starting query that runs, every named query once in a picker
grouped by topic, and this graph's own classes, properties and resources to complete.

What a browser makes of it is in tests/test_query_page_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from alskg.query.catalog import load_catalog
from alskg.query.completions import completions
from alskg.web.sparql.editor import editor_text

HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
QUERIES = load_catalog()
ALS = "https://w3id.org/alskg/vocab#"
ID = "https://w3id.org/alskg/id/"


class PageParts(HTMLParser):
    """Collect the query page's config block, its picker (topic -> example names) and the
    no-script form's query text."""

    def __init__(self) -> None:
        super().__init__()
        self.config_text = ""
        self.fallback = ""
        self.picker: dict[str, list[str]] = {}
        self._topic: str | None = None
        self._into: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("id") == "alskg-query-config":
            self._into = "config_text"
        elif tag == "textarea" and found.get("id") == "fallback-query":
            self._into = "fallback"
        elif tag == "section" and "example-group" in (found.get("class") or "").split():
            self._topic = found.get("data-topic") or ""
            self.picker[self._topic] = []
        elif tag == "button" and found.get("data-example") and self._topic is not None:
            self.picker[self._topic].append(found["data-example"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "textarea"):
            self._into = None
        elif tag == "section":
            self._topic = None

    def handle_data(self, data: str) -> None:
        if self._into:
            setattr(self, self._into, getattr(self, self._into) + data)


def query_page(client: FlaskClient) -> tuple[PageParts, dict[str, Any]]:
    """Fetch /sparql as a browser does; return the parsed page and its config."""
    response = client.get("/sparql", headers={"Accept": HTML_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    parts = PageParts()
    parts.feed(response.get_data(as_text=True))
    return parts, json.loads(parts.config_text)


def select(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    """Run a SELECT on the endpoint; return its JSON bindings."""
    response = client.post("/sparql", data={"query": query},
                           headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["bindings"]  # type: ignore[no-any-return]


def test_the_page_opens_on_a_short_query_without_prefix_lines_that_runs(
        client: FlaskClient) -> None:
    parts, config = query_page(client)
    start = config["starting_query"]
    assert not re.search(r"^\s*PREFIX\b", start, re.IGNORECASE | re.MULTILINE)
    assert len(start.strip().splitlines()) <= 12
    assert parts.fallback.strip() == start.strip()  # the same query without JavaScript
    rows = select(client, start)
    assert len(rows) >= 10
    assert all(row["intervention"]["value"].startswith(ID + "intervention/") for row in rows)
    assert all(row["name"]["value"] for row in rows)


def test_the_picker_holds_every_named_query_once_filed_under_its_first_tag(
        client: FlaskClient) -> None:
    parts, config = query_page(client)
    expected: dict[str, list[str]] = {}
    for query in QUERIES:
        expected.setdefault(query.tags[0] if query.tags else "other", []).append(query.name)
    assert parts.picker == expected
    assert len(QUERIES) >= 40  # the picker replaces one tab per query
    by_name = {ex["name"]: ex for ex in config["examples"]}
    assert sorted(by_name) == sorted(q.name for q in QUERIES)
    for query in QUERIES:
        example = by_name[query.name]
        assert example["query"] == editor_text(query)
        assert not example["query"].startswith("#+")  # the grlc headers stay out of the editor
        assert example["href"] == f"/queries/{query.name}"
        assert example["tags"] == list(query.tags)


def test_completions_list_this_graphs_classes_properties_and_resources(
        client: FlaskClient) -> None:
    response = client.get("/sparql/completions")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["truncated"] == []
    _, config = query_page(client)
    prefixes = config["prefixes"]

    def iri(term: dict[str, str]) -> str:
        assert ("curie" in term) != ("iri" in term), term
        if "iri" in term:
            return term["iri"]
        prefix, _, local = term["curie"].partition(":")
        return prefixes[prefix] + local

    found = {kind: {iri(t): t.get("label") for t in doc[kind]}
             for kind in ("classes", "properties", "resources")}
    assert found["classes"][ALS + "Intervention"] == "intervention"
    assert ALS + "Disease" in found["classes"]
    assert ALS + "investigates" in found["properties"]
    assert "http://www.w3.org/2000/01/rdf-schema#label" in found["properties"]
    assert found["resources"][ID + "intervention/riluzole"] == "riluzole"
    assert ID + "disease/als" in found["resources"]
    assert not set(found["resources"]) & (set(found["classes"]) | set(found["properties"]))
    labelled = {row["x"]["value"] for row in select(
        client, "SELECT DISTINCT ?x WHERE { ?x rdfs:label [] FILTER isIRI(?x) }")}
    assert set(found["resources"]) == labelled - set(found["classes"]) - set(found["properties"])
    used = {row["p"]["value"] for row in select(client, "SELECT DISTINCT ?p WHERE { [] ?p [] }")}
    assert used <= set(found["properties"])


def test_completions_are_cached_by_etag(client: FlaskClient) -> None:
    first = client.get("/sparql/completions")
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/sparql/completions", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()


def test_completions_say_which_kinds_were_cut_at_the_limit(app: Flask) -> None:
    doc = completions(app.extensions["alskg"], limit=5)
    assert all(len(doc[kind]) <= 5 for kind in ("classes", "properties", "resources"))
    assert doc["truncated"] == ["classes", "properties", "resources"]

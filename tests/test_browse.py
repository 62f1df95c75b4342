"""Browsing: the list pages (/interventions, /studies, …) and parameters that name a resource.

A researcher's first hour: every kind of resource is a table they can filter, sort and download,
reached from the home page's counts; a named query takes "riluzole" or "Radicava" as well as a
CURIE; every bad parameter is a 400 naming it, and the server keeps answering.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient

from alskg.query.listing import KINDS, PAGE_SIZE

KIND_NAMES = [k.name for k in KINDS]


class PageParser(HTMLParser):
    """Collect a page's links, its table cells by row, and the text of every element."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_html(body: bytes) -> PageParser:
    """Parse an HTML body."""
    parser = PageParser()
    parser.feed(body.decode("utf-8"))
    return parser


def get_json(client: FlaskClient, path: str, status: int = 200) -> Any:
    """GET a path as JSON and return the parsed document, checking the status."""
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
    assert response.mimetype in ("application/json", "application/sparql-results+json")
    return json.loads(response.get_data(as_text=True))


# --- every list ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", KIND_NAMES)
def test_every_list_answers_html_json_and_csv_alike(client: FlaskClient, name: str) -> None:
    document = get_json(client, f"/{name}.json")
    assert document["ok"] and document["kind"] == name
    assert document["total"] == len(document["rows"]) > 0
    assert document["total"] <= PAGE_SIZE and document["pages"] == 1

    listed = client.get(f"/{name}", headers={"Accept": "text/csv"})
    assert listed.status_code == 200 and listed.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(listed.get_data(as_text=True))))
    assert len(table) == document["total"]
    assert [r["label"] for r in table] == [r["label"] for r in document["rows"]]

    page = client.get(f"/{name}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    body_rows = [r for r in parse_html(page.data).rows if r]
    assert len(body_rows) == document["total"]


@pytest.mark.parametrize("name", KIND_NAMES)
def test_every_row_links_to_a_resource_page(client: FlaskClient, name: str) -> None:
    rows = get_json(client, f"/{name}.json")["rows"]
    hrefs = [r["href"] for r in rows]
    assert all(h.startswith("/id/") for h in hrefs), hrefs[:5]
    assert len(set(hrefs)) == len(hrefs)
    for href in hrefs[:3] + hrefs[-3:]:
        assert client.get(href, headers={"Accept": "text/turtle"}).status_code == 200, href


def test_home_page_counts_link_to_the_lists(client: FlaskClient) -> None:
    links = set(parse_html(client.get("/").data).links)
    for name in ("interventions", "studies", "claims", "publications", "regulatory"):
        assert f"/{name}" in links, name


# --- filtering, sorting, search -----------------------------------------------------------

def test_a_filter_keeps_exactly_the_rows_with_that_value(client: FlaskClient) -> None:
    everything = get_json(client, "/studies.json")["rows"]
    met = get_json(client, "/studies.json?outcome=met")["rows"]
    assert met and {r["outcome"] for r in met} == {"met"}   # "not met" is not "met"
    assert len(met) == sum(r["outcome"] == "met" for r in everything)
    missed = get_json(client, "/studies.json?phase=phase%20III&outcome=not%20met")["rows"]
    assert missed and all(r["phase"] == "phase III" and r["outcome"] == "not met"
                          for r in missed)


def test_sort_by_a_date_descending_keeps_empty_cells_last(client: FlaskClient) -> None:
    rows = get_json(client, "/studies.json?sort=-resultPublic")["rows"]
    dates = [r.get("resultPublic", "") for r in rows]
    filled = [d for d in dates if d]
    assert filled == sorted(filled, reverse=True)
    assert dates == filled + [""] * (len(dates) - len(filled))


def test_sort_by_a_number_sorts_numerically(client: FlaskClient) -> None:
    rows = get_json(client, "/studies.json?sort=participants")["rows"]
    numbers = [float(r["participants"]) for r in rows if r.get("participants")]
    assert numbers == sorted(numbers) and len(numbers) > 10


def test_search_words_must_all_appear(client: FlaskClient) -> None:
    rows = get_json(client, "/regulatory.json?q=edaravone%20approval")["rows"]
    assert rows
    for row in rows:
        text = " ".join(str(v) for v in row.values()).casefold()
        assert "edaravone" in text and "approval" in text
    assert get_json(client, "/regulatory.json?q=zzzz-no-such-thing")["total"] == 0


def test_the_approved_interventions_are_the_ones_with_an_approval_in_force(
        client: FlaskClient) -> None:
    rows = get_json(client, "/interventions.json?sort=label")["rows"]
    approved = {r["label"] for r in rows if r.get("approvedBy")}
    assert {"riluzole", "edaravone", "tofersen"} <= approved
    # withdrawn in the US (2024) and the EU application withdrawn: no approval in force
    assert not any("phenylbutyrate" in label for label in approved)


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "parameter"), [
    ("sort=nonsense", "sort"),
    ("sort=-", "sort"),
    ("page=0", "page"),
    ("page=99", "page"),
    ("page=two", "page"),
    ("colour=red", "colour"),
    ("registry=NCT", "registry"),          # a column, but not a filterable one
])
def test_a_bad_parameter_is_a_400_naming_it(client: FlaskClient, query: str,
                                            parameter: str) -> None:
    error = get_json(client, f"/studies.json?{query}", status=400)
    assert error["ok"] is False and repr(parameter) in error["error"]
    page = client.get(f"/studies?{query}", headers={"Accept": "text/html"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert get_json(client, "/studies.json")["total"] > 0   # still answering


def test_markup_in_the_search_is_shown_as_text(client: FlaskClient) -> None:
    probe = '<script>alert(1)</script><img src=x onerror=alert(1)>'
    page = client.get("/studies", query_string={"q": probe}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    parsed = parse_html(page.data)
    assert "img" not in parsed.tags and parsed.tags.count("script") == page.get_data(
        as_text=True).count("<script")   # only the page's own scripts
    assert "alert(1)" not in "".join(parsed.links)


def test_a_long_search_is_answered(client: FlaskClient) -> None:
    document = get_json(client, "/claims.json?q=" + "riluzole%20" * 2000)
    assert document["total"] >= 0


def test_a_list_that_does_not_exist_is_a_404(client: FlaskClient) -> None:
    assert client.get("/trialz").status_code == 404
    assert client.get("/studies.xml").status_code == 404


def test_unacceptable_media_is_a_406(client: FlaskClient) -> None:
    assert client.get("/studies", headers={"Accept": "image/png"}).status_code == 406


def test_a_repeated_request_is_not_modified(client: FlaskClient) -> None:
    first = client.get("/claims.json?sort=-validFrom")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/claims.json?sort=-validFrom",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- parameters that name a resource ------------------------------------------------------

def evidence_for(client: FlaskClient, value: str, status: int = 200) -> Any:
    """Run evidence-for-intervention with one value for its intervention parameter."""
    return get_json(client, "/queries/evidence-for-intervention.json?intervention=" + value,
                    status)


@pytest.mark.parametrize("value", ["riluzole", "Rilutek", "CHEBI:8863",
                                   "https://w3id.org/alskg/id/intervention/riluzole"])
def test_a_resource_may_be_named_by_short_name_brand_or_external_id(client: FlaskClient,
                                                                    value: str) -> None:
    assert evidence_for(client, value) == evidence_for(client, "intervention:riluzole")


def test_a_name_that_names_nothing_is_a_400_with_the_closest_names(client: FlaskClient) -> None:
    error = evidence_for(client, "rilzole", status=400)
    assert error["parameter"] == "intervention"
    assert "intervention:riluzole" in error["closest"]
    assert "intervention:riluzole" in error["error"]


class InputParser(HTMLParser):
    """Collect the attributes of every <input> by its name."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            found = {k: v or "" for k, v in attrs}
            self.inputs[found.get("name", "")] = found


def form_inputs(client: FlaskClient, path: str) -> dict[str, dict[str, str]]:
    """Return the inputs of a page's forms, by name."""
    parser = InputParser()
    parser.feed(client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True))
    return parser.inputs


def test_a_form_offers_typeahead_for_parameters_naming_a_resource(client: FlaskClient) -> None:
    inputs = form_inputs(client, "/queries/evidence-for-intervention")
    box = inputs["intervention"]
    assert box["data-suggest"].endswith("/search/suggest")
    assert box["data-suggest-kind"] == "intervention" and box["data-suggest-fill"] == "curie"
    assert "data-suggest" not in inputs["as_of"]                  # a date, not a resource
    # a parameter that takes external ids (CL:0000134) is not offered this graph's resources
    assert "data-suggest" not in form_inputs(client, "/queries/interventions-by-cell-type")["cell"]
    # what the typeahead offers is what the form accepts
    offered = get_json(client, "/search/suggest?q=rilu&kind=intervention")["suggestions"]
    assert offered[0]["curie"] == "intervention:riluzole"
    assert evidence_for(client, offered[0]["curie"]) == evidence_for(client, "riluzole")

"""The evidence timeline: its named query on both engines, the pure function, the SVG (parsed,
never matched as text), the marks the data gives, links that resolve, as_of, and the views."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient

from alskg.web.timeline import KINDS, Timeline, render_svg, timeline_from_rows

ID = "https://w3id.org/alskg/id/"
SVG_NS = "{http://www.w3.org/2000/svg}"
QUERY = Path(__file__).resolve().parents[1] / "queries" / "49-evidence-timeline.rq"
RILUZOLE_APPROVAL = ID + "regulatory/fda-riluzole-approval-1995"
PB_TURSO = ID + "intervention/sodium-phenylbutyrate-taurursodiol"


def parse_svg(text: str) -> ET.Element:
    """Parse an SVG document and check it is one: an <svg> root that is an accessible image."""
    root = ET.fromstring(text)
    assert root.tag == SVG_NS + "svg"
    assert root.get("role") == "img"
    children = [child.tag for child in root]
    assert children[:2] == [SVG_NS + "title", SVG_NS + "desc"]
    assert (root.findtext(SVG_NS + "title") or "").strip()
    assert (root.findtext(SVG_NS + "desc") or "").strip()
    return root


def marks(root: ET.Element) -> list[dict[str, str]]:
    """Return every mark of a parsed timeline: kind, date, item, href, lane, tooltip, shape."""
    found = []
    for lane in root.iter(SVG_NS + "g"):
        if lane.get("class") != "lane":
            continue
        for link in lane.findall(SVG_NS + "a"):
            if link.get("class") != "mark":
                continue
            shape = [child for child in link if child.tag != SVG_NS + "title"]
            assert len(shape) == 1
            found.append({"kind": link.get("data-kind", ""), "date": link.get("data-date", ""),
                          "item": link.get("data-item", ""), "href": link.get("href", ""),
                          "lane": lane.get("data-intervention", ""),
                          "title": link.findtext(SVG_NS + "title") or "",
                          "shape": shape[0].tag.removeprefix(SVG_NS),
                          "fill": shape[0].get("fill", "")})
    return found


def signature(mark: dict[str, str]) -> tuple[str, str]:
    """Return what a reader sees of a mark: its element type and fill."""
    return (mark["shape"], mark["fill"])


@pytest.fixture(scope="module")
def full(app: Flask) -> list[dict[str, str]]:
    """The marks of the whole timeline (/evidence/timeline.svg)."""
    client = app.test_client()
    response = client.get("/evidence/timeline.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    return marks(parse_svg(response.get_data(as_text=True)))


# --- the named query ----------------------------------------------------------------------------

REVIEWS = """
@prefix als: <https://w3id.org/alskg/vocab#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix intervention: <https://w3id.org/alskg/id/intervention/> .
@prefix publication: <https://w3id.org/alskg/id/publication/> .
intervention:x rdfs:label "x" .
publication:y2016 a als:Review ; als:reviews intervention:x ; dcterms:issued "2016"^^xsd:gYear .
publication:m2020-02 a als:Review ; als:reviews intervention:x ;
    dcterms:issued "2020-02"^^xsd:gYearMonth .
publication:m1900-02 a als:Review ; als:reviews intervention:x ;
    dcterms:issued "1900-02"^^xsd:gYearMonth .
publication:m2019-04 a als:Review ; als:reviews intervention:x ;
    dcterms:issued "2019-04"^^xsd:gYearMonth .
publication:m2019-12 a als:Review ; als:reviews intervention:x ;
    dcterms:issued "2019-12"^^xsd:gYearMonth .
publication:d2017 a als:Review ; als:reviews intervention:x ;
    dcterms:issued "2017-03-21"^^xsd:date .
"""
PERIOD_ENDS = {"y2016": ("2016-12-31", "2016"), "m2020-02": ("2020-02-29", "2020-02"),
               "m1900-02": ("1900-02-28", "1900-02"), "m2019-04": ("2019-04-30", "2019-04"),
               "m2019-12": ("2019-12-31", "2019-12"), "d2017": ("2017-03-21", "2017-03-21")}


def test_query_dates_a_year_or_month_on_its_last_day_on_both_engines() -> None:
    text = QUERY.read_text(encoding="utf-8")
    graph = rdflib.Graph()
    graph.parse(data=REVIEWS, format="turtle")
    by_rdflib = {}
    for found in graph.query(text):
        assert isinstance(found, rdflib.query.ResultRow)
        if found["item"] is not None:
            by_rdflib[str(found["item"]).rsplit("/", 1)[-1]] = (str(found["date"]),
                                                                str(found["dateText"]))
    store = pyoxigraph.Store()
    store.load(REVIEWS.encode(), pyoxigraph.RdfFormat.TURTLE)
    by_oxigraph = {}
    for solution in store.query(text):  # type: ignore[union-attr]
        if solution["item"] is not None:
            by_oxigraph[solution["item"].value.rsplit("/", 1)[-1]] = (
                solution["date"].value, solution["dateText"].value)
    assert by_rdflib == by_oxigraph == PERIOD_ENDS


# --- the pure function and the drawing -----------------------------------------------------------

def row(intervention: str, kind: str, day: str, item: str, label: str = "") -> dict[str, str]:
    """Return one query row."""
    return {"intervention": ID + "intervention/" + intervention, "interventionLabel": intervention,
            "kind": kind, "date": day, "item": item, "itemLabel": label or item.rsplit("/", 1)[-1]}


ALL_KINDS = [row("a", kind.key, f"{2000 + i}-06-30", f"{ID}study/s{i}")
             for i, kind in enumerate(KINDS)]


def test_rows_become_lanes_in_date_order() -> None:
    rows = [row("b", "review", "2019-12-31", ID + "publication/p"),
            row("a", "readout-met", "2010-01-02", ID + "study/s"),
            row("b", "approval", "1995-12-12", ID + "regulatory/r"),
            row("b", "approval", "1995-12-12", ID + "regulatory/r"),  # a duplicate
            row("a", "readout", "not a date", ID + "study/t"),  # skipped
            {"current": "2026-12-01"},
            row("c", "review", "2001-01-01", "https://doi.org/10.1/x")]
    timeline = timeline_from_rows(rows)
    assert [lane.intervention.label for lane in timeline.lanes] == ["b", "c", "a"]
    assert [(m.kind.key, m.date) for m in timeline.lanes[0].marks] == [
        ("approval", "1995-12-12"), ("review", "2019-12-31")]
    assert timeline.lanes[0].marks[0].item.href == "/id/regulatory/r"
    assert timeline.lanes[1].marks[0].item.href == "https://doi.org/10.1/x"  # external: as is
    assert timeline.evidence_current_to == "2026-12-01"
    cut = timeline_from_rows(rows, as_of="2005-01-01")
    assert [lane.intervention.label for lane in cut.lanes] == ["b", "c"]
    assert [m.date for _, m in cut.marks()] == ["1995-12-12", "2001-01-01"]


def test_svg_is_deterministic_well_formed_and_linked() -> None:
    timeline = timeline_from_rows(ALL_KINDS + [row("z", "surprise", "2011-01-01",
                                                   ID + "regulatory/q", 'a "quoted" <b> & c')])
    first = render_svg(timeline, lambda path: "/mount" + path)
    assert first == render_svg(timeline, lambda path: "/mount" + path)
    root = parse_svg(first)
    found = marks(root)
    assert len(found) == len(KINDS) + 1
    assert all(m["href"].startswith("/mount/id/") for m in found)
    quoted = next(m for m in found if m["item"].endswith("/q"))
    assert quoted["title"].startswith('a "quoted" <b> & c') and "2011-01-01" in quoted["title"]
    assert quoted["kind"] == "other"
    legend = [g.get("data-kind") for g in root.iter(SVG_NS + "g")
              if g.get("class") == "legend-item"]
    assert legend[:len(KINDS)] == [k.key for k in KINDS] and "other" in legend
    years = [t.text for g in root.iter(SVG_NS + "g") if g.get("class") == "years"
             for t in g.iter(SVG_NS + "text")]
    assert "2005" in years and "2010" in years


def test_every_kind_has_its_own_shape_and_fill() -> None:
    found = marks(parse_svg(render_svg(timeline_from_rows(ALL_KINDS))))
    shapes = {m["kind"]: signature(m) for m in found}
    assert set(shapes) == {k.key for k in KINDS}
    assert len(set(shapes.values())) == len(KINDS)
    assert shapes["approval"][0] == shapes["conditional-approval"][0] == "polygon"
    assert shapes["approval"][1] != shapes["conditional-approval"][1]  # filled vs hollow
    assert shapes["readout-met"][0] == shapes["readout-not-met"][0] == "circle"
    assert shapes["readout-not-met"][1] == "#ffffff"


def test_an_empty_timeline_is_still_a_picture() -> None:
    root = parse_svg(render_svg(Timeline(())))
    assert marks(root) == []


# --- the marks the data gives --------------------------------------------------------------------

def test_riluzole_approval_of_1995(full: list[dict[str, str]]) -> None:
    approval = [m for m in full if m["item"] == RILUZOLE_APPROVAL]
    assert len(approval) == 1
    mark = approval[0]
    assert mark["kind"] == "approval" and mark["date"] == "1995-12-12"
    assert mark["lane"] == ID + "intervention/riluzole"
    assert mark["href"] == "/id/regulatory/fda-riluzole-approval-1995"
    assert "1995-12-12" in mark["title"]


def test_sodium_phenylbutyrate_taurursodiol_approved_then_withdrawn(
        full: list[dict[str, str]]) -> None:
    lane = [m for m in full if m["lane"] == PB_TURSO]
    assert any(m["kind"] == "approval" and m["date"].startswith("2022") for m in lane)
    assert any(m["kind"] == "withdrawal" and m["date"].startswith("2024") for m in lane)


def test_nurown_phase_3_did_not_meet_its_endpoint(full: list[dict[str, str]]) -> None:
    nurown = [m for m in full if m["item"] == ID + "study/nurown-phase-3"]
    assert [(m["kind"], m["lane"]) for m in nurown] == [
        ("readout-not-met", ID + "intervention/msc-ntf")]


def test_shapes_differ_between_approval_withdrawal_and_readout(
        full: list[dict[str, str]]) -> None:
    seen: dict[str, set[tuple[str, str]]] = {}
    for mark in full:
        seen.setdefault(mark["kind"], set()).add(signature(mark))
    wanted = ("approval", "withdrawal", "readout-not-met", "review")
    assert all(len(seen[kind]) == 1 for kind in wanted)  # one look per kind
    assert len({next(iter(seen[kind])) for kind in wanted}) == len(wanted)


def test_every_link_resolves(client: FlaskClient) -> None:
    root = parse_svg(client.get("/evidence/timeline.svg").get_data(as_text=True))
    hrefs = sorted({a.get("href", "") for a in root.iter(SVG_NS + "a")})
    assert hrefs and all(href.startswith("/") for href in hrefs)
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_as_of_leaves_out_later_marks(client: FlaskClient, full: list[dict[str, str]]) -> None:
    response = client.get("/evidence/timeline.svg?as_of=2017-03-21")
    assert response.status_code == 200
    cut = marks(parse_svg(response.get_data(as_text=True)))
    assert cut and all(m["date"] <= "2017-03-21" for m in cut)
    assert {m["item"] for m in cut} == {m["item"] for m in full if m["date"] <= "2017-03-21"}
    assert any(m["date"] > "2017-03-21" for m in full)
    assert any(m["item"] == RILUZOLE_APPROVAL for m in cut)


@pytest.mark.parametrize("path", ["/evidence/timeline", "/evidence/timeline.svg"])
@pytest.mark.parametrize("value", ["bad", "2017-02-30", "2999-01-01"])
def test_a_bad_as_of_is_refused(client: FlaskClient, path: str, value: str) -> None:
    response = client.get(path, query_string={"as_of": value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and "as_of" in body["error"]


# --- the views ----------------------------------------------------------------------------------

class Page(HTMLParser):
    """Collect an HTML page's timeline SVG (as source text), its table rows and its links."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lines = source.splitlines(keepends=True)
        self.start: int | None = None
        self.fragments: list[str] = []
        self.depth = 0
        self.rows = 0
        self.in_table = False
        self.links: list[str] = []
        self.feed(source)

    def _offset(self) -> int:
        line, column = self.getpos()
        return sum(len(text) for text in self.lines[:line - 1]) + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg" and found.get("class") == "evidence-timeline":
            self.start = self._offset()
        if tag == "svg" and self.start is not None:
            self.depth += 1
        if tag == "table" and found.get("class") == "timeline-table":
            self.in_table = True
        if tag == "tr" and self.in_table and found.get("data-kind"):
            self.rows += 1
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        if tag == "svg" and self.start is not None:
            self.depth -= 1
            if self.depth == 0:
                end = self._offset() + len("</svg>")
                self.fragments.append("".join(self.lines)[self.start:end])
                self.start = None


def test_html_page_has_the_picture_and_a_table_of_its_marks(
        client: FlaskClient, full: list[dict[str, str]]) -> None:
    response = client.get("/evidence/timeline")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert len(page.fragments) == 1
    assert len(marks(parse_svg(page.fragments[0]))) == len(full) == page.rows
    assert "/evidence/timeline.svg" in page.links
    assert response.headers["Cache-Control"].startswith("public")
    assert 'type="image/svg+xml"' in response.headers["Link"]


def test_views_negotiate_and_cache(client: FlaskClient) -> None:
    assert client.get("/evidence/timeline", headers={"Accept": "text/csv"}).status_code == 406
    svg = client.get("/evidence/timeline", headers={"Accept": "image/svg+xml"})
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    for path in ("/evidence/timeline", "/evidence/timeline.svg",
                 "/evidence/timeline.svg?as_of=2017-03-21"):
        first = client.get(path)
        assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        assert client.get(path).get_data() == first.get_data()  # same input, same bytes
    assert client.get("/evidence/timeline.svg").headers["ETag"] != \
        client.get("/evidence/timeline.svg?as_of=2017-03-21").headers["ETag"]


def test_home_page_embeds_the_timeline(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert len(page.fragments) == 1
    assert marks(parse_svg(page.fragments[0]))
    assert "/evidence/timeline" in page.links


def test_links_stay_under_the_mount_point(client: FlaskClient) -> None:
    response = client.get("/evidence/timeline.svg", base_url="http://localhost/alskg")
    assert response.status_code == 200
    hrefs = {a.get("href", "") for a in parse_svg(response.get_data(as_text=True))
             .iter(SVG_NS + "a")}
    assert hrefs and all(href.startswith("/alskg/id/") for href in hrefs)

"""The real server's pages in headless Chromium at 1280 px, as a person sees them: the evidence
matrix shows every column and keeps its header row in view while scrolled, a named query's form
runs and its table links to the resources, a list page shows, filters and sorts its table, and
search (the results page and the typeahead, in the site box and in a named query's form) opens
what it finds. Helpers: tests/chromium.py."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.chromium import TIMEOUT, WINDOW, Page, chromium

pytestmark = pytest.mark.browser

HEADER = "table.matrix thead th"
BOX = ".matrix-scroll"


@pytest.fixture(scope="module")
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """One browser for the module, its tab on the real server, 1280 px wide (the server is
    started only once Chromium is found)."""
    with chromium() as browser:
        yield browser.new_page(request.getfixturevalue("live_server").url)


def fetch_json(page: Page, path: str) -> Any:
    """GET a JSON document from the page's server."""
    with urllib.request.urlopen(page.origin + path, timeout=10) as response:
        return json.loads(response.read())


def test_the_evidence_matrix_shows_every_column_at_1280_px(page: Page) -> None:
    page.open("/evidence")
    assert page.viewport()["width"] == WINDOW[0] == 1280
    aspects = [a["label"] for a in fetch_json(page, "/evidence.json")["aspects"]]
    headers = page.rects(HEADER)
    assert [h["text"] for h in headers] == ["Intervention", "Approval", *aspects]
    width = page.viewport()["width"]
    hidden = [h["text"] for h in headers
              if not h["shown"] or h["width"] <= 0 or h["left"] < 0 or h["right"] > width]
    assert hidden == [], f"column headers out of the {width} px window: {hidden}"
    # Nothing to scroll sideways to: the table fits its box.
    assert page.eval(f"(b => b.scrollWidth <= b.clientWidth)(document.querySelector('{BOX}'))")
    rows = page.table("table.matrix")
    assert len(rows.rows) >= 50  # the whole landscape, group headings included


def test_the_matrix_header_row_stays_in_view_when_scrolled(page: Page) -> None:
    page.open("/evidence")
    page.eval(f"document.querySelector('{BOX}').scrollIntoView({{block: 'start'}}), true")
    box = page.rects(BOX)[0]
    first_row = page.rects("table.matrix tbody tr")[0]
    # A person turning the mouse wheel over the matrix; turned again if a busy browser dropped
    # the first turn (seen under a loaded machine: the page had not taken input yet).
    scrolled = f"document.querySelector('{BOX}').scrollTop > 0"
    deadline = time.monotonic() + TIMEOUT
    while not page.eval(scrolled):
        assert time.monotonic() < deadline, "the matrix did not scroll"
        page.wheel(BOX, 700)
        time.sleep(0.3)
    height = page.viewport()["height"]
    for header in page.rects(HEADER):
        assert box["top"] - 1 <= header["top"] and header["bottom"] <= height, header["text"]
    assert page.rects("table.matrix tbody tr")[0]["top"] < first_row["top"]  # rows moved
    # The header still sits on top of the rows: what is drawn at its middle is the header.
    at_middle = page.call("(sel) => { const r = document.querySelector(sel)"
                          ".getBoundingClientRect(); const el = document.elementFromPoint("
                          "r.left + r.width / 2, r.top + r.height / 2);"
                          " return !!el && !!el.closest('thead'); }", HEADER)
    assert at_middle


def test_a_named_query_page_runs_its_form_and_links_its_rows(page: Page) -> None:
    page.open("/queries/claims-by-status")
    page.type("form.param-form input[name=status]", "status:supported")
    page.type("form.param-form input[name=aspect]", "aspect:feasibility")
    url = page.follow("form.param-form button[type=submit]")
    assert parse_qs(urlsplit(url).query) == {"status": ["status:supported"],
                                              "aspect": ["aspect:feasibility"]}
    table = page.table("table.results")
    assert "claim" in table.headers
    assert len(table.rows) == 2
    assert all(row[table.headers.index("_status")] == "status:supported" for row in table.rows)
    link = "table.results a[href='/id/claim/msc-therapy-feasibility']"
    label = page.text(link)
    assert label
    page.follow(link)
    assert urlsplit(page.eval("location.href")).path == "/id/claim/msc-therapy-feasibility"
    assert page.text("h1")


def test_a_list_page_shows_its_table(page: Page) -> None:
    page.open("/interventions")
    table = page.table("main table")
    assert table.headers and len(table.rows) >= 50
    assert all(len(row) == len(table.headers) for row in table.rows)
    assert any("riluzole" in cell.lower() for row in table.rows for cell in row)


def test_a_search_result_opens_its_page(page: Page) -> None:
    page.open("/search?q=riluzole")
    page.follow("main a[href$='/id/intervention/riluzole']")
    assert urlsplit(page.eval("location.href")).path == "/id/intervention/riluzole"
    assert "riluzole" in page.text("h1").lower()


def test_the_search_box_suggests_as_you_type_and_a_choice_opens_its_page(page: Page) -> None:
    page.open("/studies")
    page.type("#site-search-q", "Qalso")             # a brand name, half typed
    page.wait_for_selector(".suggest-list [role=option]")
    options = page.texts(".suggest-list [role=option]")
    assert "tofersen" in options[0].lower(), options
    page.press("ArrowDown", key_code=40)
    page.press("Enter", key_code=13)
    page.wait_for("location.pathname === '/id/intervention/tofersen'"
                  " && document.readyState === 'complete'", "the chosen page")
    assert "tofersen" in page.text("h1").lower()


def test_a_named_query_form_suggests_the_resource_and_runs(page: Page) -> None:
    page.open("/queries/evidence-for-intervention")
    page.type("input[name=intervention]", "edara")
    page.wait_for_selector(".suggest-list [role=option]")
    page.press("ArrowDown", key_code=40)
    page.press("Enter", key_code=13)
    assert page.eval("document.querySelector('input[name=intervention]').value") == (
        "intervention:edaravone")
    page.follow("form.param-form button[type=submit]")
    assert parse_qs(urlsplit(page.eval("location.href")).query)["intervention"] == [
        "intervention:edaravone"]
    table = page.table("main table")
    assert table.rows and all("edaravone" in " ".join(row).lower() for row in table.rows[:3])


def test_a_list_page_sorts_by_a_column_and_filters(page: Page) -> None:
    page.open("/studies?phase=phase%20III&outcome=not%20met&sort=-resultPublic")
    table = page.table("main table")
    outcome = table.column("Primary endpoint")
    assert table.rows and set(outcome) == {"not met"}
    assert set(table.column("Phase")) == {"phase III"}
    dates = [d for d in table.column("Result public ▼") if d]   # the sorted column is marked
    assert dates == sorted(dates, reverse=True)


def test_the_pages_talk_to_their_own_server_only(page: Page) -> None:
    assert page.requested_urls()
    assert page.foreign_requests() == []
    assert page.failed_loads() == []
    assert [e for e in page.console_errors() if "favicon.ico" not in e] == []

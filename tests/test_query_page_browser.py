"""The query page of the real server (`alskg serve`, granian, over the session build) in headless
Chromium, as a person uses it: the starting query runs and shows its rows, the picker finds an
example and opens it, prefixed names without PREFIX lines carry no error mark, completion offers
this graph's own terms, and the page talks to its own server only (tests/chromium.py)."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from alskg.query.catalog import load_catalog
from tests.chromium import Page, chromium

pytestmark = pytest.mark.browser

EDITOR = "window.alskgYasgui.getTab().getYasqe()"
QUERIES = load_catalog()
SPARQL_JSON = "application/sparql-results+json"
_READY = "!!(window.alskgYasgui && document.querySelector('#yasgui .yasqe .CodeMirror'))"
_RUN = ("(() => { const b = Array.from(document.querySelectorAll('#yasgui .yasqe_queryButton'))"
        ".find(x => x.offsetParent !== null); if (b) b.click(); return !!b; })()")
# Each hint shown by the editor: the text it inserts and the label beside it.
_HINTS = ("Array.from(document.querySelectorAll('.CodeMirror-hints li')).map(li => "
          "[li.firstChild.textContent, (li.querySelector('.alskg-hint-label') || {}).textContent"
          " || ''])")


@pytest.fixture(scope="module")
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """One browser for the module, on the real server's query page (the server is started
    only once Chromium is found)."""
    with chromium() as browser:
        tab = browser.new_page(request.getfixturevalue("live_server").url)
        tab.open("/sparql")
        tab.wait_for(_READY, "the editor to start")
        yield tab


def config(page: Page) -> dict[str, Any]:
    """The data the server handed the page (its JSON config block)."""
    found: dict[str, Any] = page.eval(
        "JSON.parse(document.getElementById('alskg-query-config').textContent)")
    return found


def tab_names(page: Page) -> list[str]:
    """The names on the editor's tabs, in order."""
    return list(page.eval("Array.from(document.querySelectorAll('#yasgui .tabsList .tab > a >"
                          " span:first-child')).map(s => s.textContent.trim())"))


def editor_text(page: Page) -> str:
    """The text in the active tab's editor."""
    return str(page.eval(EDITOR + ".getValue()"))


def error_marks(page: Page) -> int:
    """How many lines of the active editor carry an error mark."""
    return int(page.eval("Array.from(document.querySelectorAll('#yasgui .parseErrorIcon'))"
                         ".filter(e => e.getClientRects().length > 0).length"))


def retype(page: Page, text: str) -> None:
    """Empty the active editor and paste `text` into it (as keyboard input, in one piece)."""
    page.eval(EDITOR + ".setValue(''), " + EDITOR + ".focus(), true")
    page.send("Input.insertText", {"text": text})


def run_and_read(page: Page) -> list[list[str]]:
    """Press the run button of the active tab; return the rows of the result table it shows."""
    page.eval("document.querySelectorAll('#yasgui .yasr table tbody tr')"
              ".forEach(r => r.dataset.before = 'run'), true")  # to tell this run's rows apart
    assert page.eval(_RUN), "no run button to press"
    page.wait_for_selector("#yasgui .yasr table tbody tr:not([data-before])")  # shown ones
    return page.table("#yasgui .yasr table").rows


def endpoint_rows(page: Page, query: str) -> list[dict[str, Any]]:
    """The bindings the page's endpoint itself answers for a query."""
    request = urllib.request.Request(
        page.origin + "/sparql", data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": SPARQL_JSON})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["results"]["bindings"]  # type: ignore[no-any-return]


def test_the_starting_query_is_short_and_shows_its_rows(page: Page) -> None:
    start = config(page)["starting_query"]
    assert tab_names(page) == ["Query"]  # one tab, not one per named query
    assert editor_text(page) == start
    assert not re.search(r"^\s*PREFIX\b", start, re.IGNORECASE | re.MULTILINE)
    assert error_marks(page) == 0

    rows = run_and_read(page)
    headers = page.table("#yasgui .yasr table").headers
    expected = [b["name"]["value"] for b in endpoint_rows(page, start)]
    shown = [row[headers.index("name")] for row in rows]
    assert len(shown) >= min(len(expected), 10)
    assert shown == expected[:len(shown)]

    sent = [e["params"]["request"] for e in page.events("Network.requestWillBeSent")
            if urllib.parse.urlsplit(e["params"]["request"]["url"]).path.startswith("/sparql")
            and e["params"]["request"]["method"] == "POST"]
    assert sent, "the page sent no query"
    form = urllib.parse.parse_qs(sent[-1].get("postData", ""))
    assert form["query"] == [start]
    assert SPARQL_JSON in {k.lower(): v for k, v in sent[-1]["headers"].items()}["accept"]


def test_prefixed_names_without_prefix_lines_carry_no_error_mark(page: Page) -> None:
    page.eval("window.alskgYasgui.selectTabId('alskg-default'), true")
    text = ("SELECT ?claim ?phenotype WHERE {\n  ?claim als:aboutIntervention "
            "intervention:riluzole ;\n    rdfs:label ?l .\n  disease:als als:hasPhenotype "
            "?phenotype .\n  FILTER (?phenotype != HP:0002380)\n}")
    retype(page, text)
    assert editor_text(page) == text  # nothing was written into it (no PREFIX lines)
    assert error_marks(page) == 0
    assert page.eval(EDITOR + ".queryValid") is True

    retype(page, "SELECT * WHERE { ?s nosuch:thing ?o }")  # an undeclared prefix is an error
    page.wait_for("document.querySelectorAll('#yasgui .parseErrorIcon').length > 0",
                  "an error mark on the undeclared prefix")
    assert page.eval(EDITOR + ".queryValid") is False
    retype(page, config(page)["starting_query"])
    assert error_marks(page) == 0


def test_the_picker_finds_an_example_and_opens_it_in_its_own_tab(page: Page) -> None:
    shown = page.eval("Array.from(document.querySelectorAll('#example-groups li'))"
                      ".filter(li => li.getClientRects().length > 0)"
                      ".map(li => li.dataset.example)")
    assert sorted(shown) == sorted(q.name for q in QUERIES)

    page.type("#example-filter", "agency")
    hits = [q.name for q in QUERIES if "agency" in " ".join(
        (q.title, q.name, " ".join(q.tags), q.description)).lower()]
    assert hits
    page.wait_for(f"document.querySelectorAll('#example-groups li:not([hidden])').length"
                  f" === {len(hits)}", "the picker to narrow")
    assert sorted(page.texts("#example-groups li:not([hidden]) button")) == sorted(
        q.title for q in QUERIES if q.name in hits)
    assert set(page.texts("#example-groups .example-group:not([hidden]) h3")) == {
        q.tags[0].capitalize() for q in QUERIES if q.name in hits}
    assert page.text("#example-count").startswith(f"{len(hits)} of {len(QUERIES)}")

    page.type("#example-filter", " whom")  # a second word narrows to one
    page.wait_for("document.querySelectorAll('#example-groups li:not([hidden])').length === 1",
                  "one example left")
    name = page.eval("document.querySelector('#example-groups li:not([hidden])').dataset.example")
    assert name == "approval-basis"
    page.press("Enter", key_code=13)
    page.wait_for("window.alskgYasgui.getTab().getId() === 'alskg-ex-approval-basis'",
                  "the example's tab")
    example = next(ex for ex in config(page)["examples"] if ex["name"] == name)
    assert tab_names(page) == ["Query", name]
    assert editor_text(page) == example["query"]
    assert error_marks(page) == 0
    assert run_and_read(page), "the example showed no rows"

    page.eval("document.getElementById('example-filter').value = '', document"
              ".getElementById('example-filter').dispatchEvent(new Event('input')), true")
    page.click("#example-groups button[data-example='als-symptoms']")
    page.wait_for("window.alskgYasgui.getTab().getId() === 'alskg-ex-als-symptoms'",
                  "a clicked example's tab")
    assert tab_names(page) == ["Query", name, "als-symptoms"]


def hints(page: Page, typed: str, word: str, wanted: str) -> list[list[str]]:
    """Type into the editor; wait for the completion hints to match `word` (each hint's text or
    label holds it, case aside) and to offer `wanted`; return them ([text inserted, label])."""
    page.keys(typed)
    page.wait_for(f"(hs => hs.some(h => h[0] === {json.dumps(wanted)}) && hs.every(h => "
                  f"(h[0] + ' ' + h[1]).toLowerCase().includes({json.dumps(word)})))({_HINTS})",
                  f"{wanted!r} offered after typing {typed!r}")
    return list(page.eval(_HINTS))


def choose(page: Page, offered: list[list[str]], wanted: str) -> None:
    """Move down the open hint list to `wanted`, take it, and wait until the editor holds it."""
    for _ in range([text for text, _ in offered].index(wanted)):
        page.press("ArrowDown", key_code=40)
    page.wait_for("(document.querySelector('.CodeMirror-hint-active') || {}).firstChild"
                  f"?.textContent === {json.dumps(wanted)}", f"{wanted!r} highlighted")
    page.press("Enter", key_code=13)
    page.wait_for(f"{EDITOR}.getValue().includes({json.dumps(wanted)})", f"{wanted!r} inserted")


def test_completion_offers_this_graphs_classes_properties_and_resources(page: Page) -> None:
    page.eval("window.alskgYasgui.selectTabId('alskg-default'), true")
    retype(page, "SELECT * WHERE {\n  ?s a ")
    offered = hints(page, "als:Interv", "interv", "als:Intervention")
    assert offered[0] == ["als:Intervention", "intervention"]  # the name's start first
    assert ["als:InvestigationalIntervention", "investigational intervention"] in offered
    choose(page, offered, "als:Intervention")
    assert editor_text(page).endswith("?s a als:Intervention")

    offered = hints(page, " ;\n    als:investig", "investig", "als:investigates")
    assert ["als:investigates", "investigates"] in offered
    choose(page, offered, "als:investigates")

    offered = hints(page, " intervention:rilu", "rilu", "intervention:riluzole")
    assert offered[0] == ["intervention:riluzole", "riluzole"]
    choose(page, offered, "intervention:riluzole")
    page.keys(" .\n}")
    assert editor_text(page) == ("SELECT * WHERE {\n  ?s a als:Intervention ;\n"
                                 "    als:investigates intervention:riluzole .\n}")
    assert error_marks(page) == 0
    fetched = [u for u in page.requested_urls() if "/completions" in u]
    assert [urllib.parse.urlsplit(u).path for u in fetched] == ["/sparql/completions"]


def test_reloading_keeps_the_tabs_and_their_endpoint(page: Page) -> None:
    before = tab_names(page)
    page.eval("window.alskgYasgui.getTab().setEndpoint('http://127.0.0.1:9/elsewhere'), true")
    page.open("/sparql")
    page.wait_for(_READY, "the editor to start again")
    assert tab_names(page) == before
    endpoint = config(page)["endpoint_url"]
    assert page.eval("window.alskgYasgui.persistentConfig.getTabs()"
                     ".map(id => window.alskgYasgui.getTab(id).getEndpoint())"
                     ) == [endpoint] * len(before)


def test_the_page_talks_to_its_own_server_only(page: Page) -> None:
    assert page.requested_urls(), "no network events were recorded"
    assert page.foreign_requests() == []
    assert page.failed_loads() == []
    assert [e for e in page.console_errors() if "favicon.ico" not in e] == []
    registered = page.eval("Object.keys(Yasgui.Yasqe.Autocompleters).sort()")
    assert registered == ["alskgClasses", "alskgPrefixes", "alskgProperties", "alskgResources",
                          "variables"]  # YASGUI's remote (LOV, prefix.cc) completers are gone

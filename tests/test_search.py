"""Search over HTTP on a real server (granian, the session build): /search (HTML, JSON by Accept),
/search.json, /search/suggest; the search box on every page; bad input in every format.

Answers are parsed (JSON, and HTML with the standard library's parser), never matched as text.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from conftest import LiveServer

ID = "https://w3id.org/alskg/id/"
SUGGESTION_FIELDS = {"label", "kind", "curie", "iri", "href", "matched"}


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media(self) -> str:
        """Return the media type without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip()

    def json(self) -> Any:
        """Return the body parsed as JSON (the media type must say JSON)."""
        assert self.media == "application/json", self.media
        return json.loads(self.body)

    def page(self) -> Page:
        """Return the body parsed as an HTML page (the media type must say HTML)."""
        assert self.media == "text/html", self.media
        parsed = Page()
        parsed.feed(self.body.decode("utf-8"))
        return parsed


def fetch(server: LiveServer, path: str, accept: str | None = None,
          headers: dict[str, str] | None = None) -> Answer:
    """GET a path on the live server."""
    sent = {**({"Accept": accept} if accept else {}), **(headers or {})}
    request = urllib.request.Request(server.url + path, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                          response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


class Page(HTMLParser):
    """What a test reads from a page: title, forms and inputs, scripts, search hits, groups,
    notes and the error message."""

    def __init__(self) -> None:
        super().__init__()
        self.title = self.h1 = self.message = ""
        self.forms: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.hits: list[dict[str, str]] = []
        self.groups: list[str] = []
        self.notes: list[str] = []
        self._text: list[str] | None = None
        self._into = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append({**a, "form": str(len(self.forms) - 1)})
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "li" and "search-hit" in classes:
            self.hits.append({"kind": a.get("data-kind", ""), "match": a.get("data-match", "")})
        elif tag == "h2" and a.get("id", "").startswith("kind-"):
            self.groups.append(a["id"][len("kind-"):])
        into = ""
        if tag in ("title", "h1"):
            into = tag
        elif tag == "a" and "search-hit-label" in classes:
            self.hits[-1]["href"] = a.get("href", "")
            into = "label"
        elif "search-hit-summary" in classes:
            into = "summary"
        elif "search-hit-curie" in classes:
            into = "curie"
        elif a.get("role") == "note":
            into = "note"
        elif "error-message" in classes:
            into = "message"
        if into:
            self._into, self._text = into, []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._text is None or tag not in ("title", "h1", "a", "p", "code"):
            return
        text = " ".join("".join(self._text).split())
        if self._into in ("label", "summary", "curie"):
            self.hits[-1][self._into] = text
        elif self._into == "note":
            self.notes.append(text)
        else:
            setattr(self, self._into, text)
        self._text, self._into = None, ""


def search_json(server: LiveServer, **params: str) -> dict[str, Any]:
    """Return /search.json's answer for these parameters (it must be a 200)."""
    answer = fetch(server, "/search.json?" + urlencode(params))
    assert answer.status == 200, answer.body[:300]
    return answer.json()  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- finding

@pytest.mark.parametrize(("query", "iri"), [
    ("NCT01281189", "study/empower"),
    ("CHEBI:8863", "intervention/riluzole"),
    ("10.1056/NEJM199403033300901", "publication/riluzole-controlled-trial-1994"),
    ("doi:10.1056/NEJM199403033300901", "publication/riluzole-controlled-trial-1994"),
    ("PMID:15204012", "publication/xaliproden-study-1-report"),
    ("intervention:msc-therapy", "intervention/msc-therapy"),
    (ID + "intervention/msc-therapy", "intervention/msc-therapy"),
])
def test_an_identifier_finds_its_resource(live_server: LiveServer, query: str, iri: str) -> None:
    """An NCT number, a CURIE, a DOI, a PMID or a full IRI finds its resource first."""
    first = search_json(live_server, q=query)["results"][0]
    assert first["iri"] == ID + iri and first["match"] == "identifier"
    assert first["href"] == "/id/" + iri


def test_a_page_url_of_this_server_is_read_as_its_iri(live_server: LiveServer) -> None:
    first = search_json(live_server, q=live_server.url + "/id/intervention/tofersen")["results"][0]
    assert first["iri"] == ID + "intervention/tofersen"


@pytest.mark.parametrize(("query", "iri"), [
    ("Radicava", "intervention/edaravone"), ("Qalsody", "intervention/tofersen"),
    ("AMX0035", "intervention/sodium-phenylbutyrate-taurursodiol"),
    ("NurOwn", "intervention/msc-ntf"),
])
def test_brand_and_code_names(live_server: LiveServer, query: str, iri: str) -> None:
    first = search_json(live_server, q=query)["results"][0]
    assert (first["iri"], first["match"], first["matched"]) == (ID + iri, "other name", query)


def test_results_are_ranked_grouped_and_summarised(live_server: LiveServer) -> None:
    """Exact label, then prefixes, then words; each hit with its kind, a one-line summary and
    a link; the groups (JSON) follow the kinds of the ranked results."""
    document = search_json(live_server, q="riluzole")
    results = document["results"]
    assert results[0]["label"] == "riluzole" and results[0]["match"] == "label"
    order = ["identifier", "label", "other name", "label prefix", "other name prefix",
             "words in a name", "words", "spelling, in a name", "spelling"]
    ranks = [order.index(r["match"]) for r in results]
    assert ranks == sorted(ranks)
    for result in results:
        assert result["kind_label"] and result["curie"] and "\n" not in result["summary"]
    assert [g["kind"] for g in document["groups"]][0] == "intervention"
    assert sum(g["count"] for g in document["groups"]) == document["count"] == len(results)
    assert {g["kind"] for g in document["groups"]} == {r["kind"] for r in results}


def test_the_page_groups_hits_by_kind_and_links_each_to_its_page(
        live_server: LiveServer) -> None:
    page = fetch(live_server, "/search?q=tofersen", "text/html").page()
    assert page.groups[0] == "intervention" and len(page.groups) == len(set(page.groups)) > 2
    assert [h["kind"] for h in page.hits] == sorted(
        (h["kind"] for h in page.hits), key=page.groups.index)
    first = page.hits[0]
    assert (first["label"], first["href"], first["curie"]) == (
        "tofersen", "/id/intervention/tofersen", "intervention:tofersen")
    assert first["summary"]
    opened = fetch(live_server, first["href"], "text/html")
    assert opened.status == 200 and opened.page().h1 == "tofersen"


def test_a_misspelt_name_is_corrected(live_server: LiveServer) -> None:
    document = search_json(live_server, q="rilozole")
    assert document["corrections"] == {"rilozole": ["riluzole"]}
    assert document["results"][0]["iri"] == ID + "intervention/riluzole"
    page = fetch(live_server, "/search?q=rilozole", "text/html").page()
    assert any("riluzole" in note for note in page.notes)


def test_kind_filters(live_server: LiveServer) -> None:
    results = search_json(live_server, q="riluzole", kind="study,claim")["results"]
    assert results and {r["kind"] for r in results} <= {"study", "claim"}
    page = fetch(live_server, "/search?q=riluzole&kind=claim", "text/html").page()
    assert page.hits and {h["kind"] for h in page.hits} == {"claim"}


# --------------------------------------------------------------------------- typeahead

def test_suggestions_are_few_fields_best_first(live_server: LiveServer) -> None:
    answer = fetch(live_server, "/search/suggest?q=rilu")
    document = answer.json()
    assert answer.status == 200 and document["q"] == "rilu" and document["kind"] is None
    suggestions = document["suggestions"]
    assert 1 <= len(suggestions) <= 8
    assert all(set(s) == SUGGESTION_FIELDS for s in suggestions)
    assert suggestions[0]["iri"] == ID + "intervention/riluzole"
    assert suggestions[0]["href"] == "/id/intervention/riluzole"


def test_suggestions_keep_to_a_kind_and_a_limit(live_server: LiveServer) -> None:
    """What a named-query form asks: only interventions, a few of them."""
    document = fetch(live_server, "/search/suggest?q=ste&kind=intervention&limit=3").json()
    assert document["kind"] == ["intervention"]
    assert len(document["suggestions"]) == 3
    assert {s["kind"] for s in document["suggestions"]} == {"intervention"}
    brand = fetch(live_server, "/search/suggest?q=Qals&kind=intervention").json()
    assert brand["suggestions"][0]["curie"] == "intervention:tofersen"
    assert brand["suggestions"][0]["matched"] == "Qalsody"


# --------------------------------------------------------------------------- negotiation

def test_negotiation_suffix_and_caching(live_server: LiveServer) -> None:
    """HTML for browsers, JSON by Accept or suffix; Vary, Link alternates, ETag and 304."""
    html = fetch(live_server, "/search?q=edaravone", "text/html,*/*;q=0.8")
    as_json = fetch(live_server, "/search?q=edaravone", "application/json")
    suffix = fetch(live_server, "/search.json?q=edaravone")
    assert html.media == "text/html" and html.page().hits
    assert as_json.json() == suffix.json()
    assert "accept" in html.headers["vary"].lower()
    assert "/search.json?q=edaravone" in html.headers["link"]
    assert 'rel="alternate"' in html.headers["link"]
    again = fetch(live_server, "/search?q=edaravone", "application/json",
                  {"If-None-Match": as_json.headers["etag"]})
    assert again.status == 304
    refused = fetch(live_server, "/search?q=edaravone", "image/png")
    assert refused.status == 406 and refused.json()["status"] == 406


def test_every_page_has_the_search_box(live_server: LiveServer) -> None:
    """The search form (role=search, GET /search, q with typeahead) and the script that serves
    it are on the home page, the other pages, resource pages and error pages."""
    for path in ("/", "/queries", "/evidence", "/id/intervention/riluzole",
                 "/vocab", "/id/no-such-thing", "/search?q=x"):
        page = fetch(live_server, path, "text/html").page()
        boxes = [f for f in page.forms if f.get("role") == "search"]
        assert boxes and boxes[0]["action"] == "/search" and boxes[0]["method"] == "get", path
        box = next(i for i in page.inputs if i.get("id") == "site-search-q")
        assert box["name"] == "q" and box["data-suggest"] == "/search/suggest", path
        assert any(s.get("src") == "/static/search.js" for s in page.scripts), path
    script = fetch(live_server, "/static/search.js")
    assert script.status == 200 and b"aria-activedescendant" in script.body


# --------------------------------------------------------------------------- bad input

FORMATS = {
    "html": ("/search", "text/html"),
    "json": ("/search.json", None),
    "accept-json": ("/search", "application/json"),
    "suggest": ("/search/suggest", None),
}


def ask(server: LiveServer, form: str, **params: str) -> Answer:
    """Send one search request in one of the FORMATS."""
    path, accept = FORMATS[form]
    return fetch(server, path + "?" + urlencode(params), accept)


def error_of(answer: Answer) -> str:
    """Return the message of a 4xx answer, read in the shape its media type promises."""
    assert 400 <= answer.status < 500
    if answer.media == "application/json":
        document = answer.json()
        assert document["ok"] is False and document["status"] == answer.status
        return str(document["error"])
    page = answer.page()
    assert page.h1 and page.message
    return page.message


@pytest.mark.parametrize("form", FORMATS)
def test_an_empty_query(live_server: LiveServer, form: str) -> None:
    """The page shows the empty form; JSON says q is required; typeahead suggests nothing."""
    answer = ask(live_server, form, q="")
    if form == "html":
        page = answer.page()
        assert answer.status == 200 and not page.hits
        assert next(i for i in page.inputs if i.get("id") == "search-q").get("value") == ""
    elif form == "suggest":
        assert answer.status == 200 and answer.json()["suggestions"] == []
    else:
        assert answer.status == 400 and "'q' is required" in error_of(answer)
    assert fetch(live_server, FORMATS[form][0], FORMATS[form][1]).status == answer.status


@pytest.mark.parametrize("form", FORMATS)
def test_a_query_of_ten_thousand_characters(live_server: LiveServer, form: str) -> None:
    answer = ask(live_server, form, q="riluzole " * 1111 + "x")
    assert answer.status == 400
    assert "10000 characters" in error_of(answer) and "500" in error_of(answer)


@pytest.mark.parametrize("form", FORMATS)
def test_markup_in_the_query_is_text(live_server: LiveServer, form: str) -> None:
    """Markup is searched as words and shown as text: no element of it reaches the page."""
    text = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = ask(live_server, form, q=text)
    assert answer.status == 200
    if answer.media == "text/html":
        page = answer.page()
        assert all(s.get("src", "").startswith("/static/") for s in page.scripts)
        assert next(i for i in page.inputs if i.get("id") == "search-q")["value"] == text
        assert page.title.startswith(text)
    else:
        assert answer.json()["q"] == text


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("text", ["SELECT * WHERE { ?s ?p ?o } LIMIT 10",
                                  'riluzole" OR 1=1 --', "NEAR(a b) AND c*"])
def test_query_syntax_in_the_query_is_text(live_server: LiveServer, form: str,
                                           text: str) -> None:
    """SPARQL (and FTS5, SQL) syntax is searched as words: a 200, never an error."""
    answer = ask(live_server, form, q=text)
    assert answer.status == 200
    if answer.media == "application/json":
        assert answer.json()["q"] == text


@pytest.mark.parametrize("form", FORMATS)
def test_an_unknown_kind(live_server: LiveServer, form: str) -> None:
    answer = ask(live_server, form, q="riluzole", kind="drug")
    assert answer.status == 400
    message = error_of(answer)
    assert "Unknown kind 'drug'" in message and "intervention" in message


@pytest.mark.parametrize("form", FORMATS)
def test_a_curie_with_an_unknown_prefix(live_server: LiveServer, form: str) -> None:
    """An empty result that says the prefix is unknown (the suggestions are just empty)."""
    answer = ask(live_server, form, q="nosuchprefix:riluzole")
    assert answer.status == 200
    if form == "html":
        page = answer.page()
        assert not page.hits and any("nosuchprefix:" in note for note in page.notes)
    elif form == "suggest":
        assert answer.json()["suggestions"] == []
    else:
        document = answer.json()
        assert document["results"] == [] and "nosuchprefix:" in document["notes"][0]


def test_a_bad_limit(live_server: LiveServer) -> None:
    for value in ("0", "21", "x", "-1", quote("2.5")):
        answer = fetch(live_server, f"/search/suggest?q=rilu&limit={value}")
        assert answer.status == 400 and "limit" in error_of(answer)

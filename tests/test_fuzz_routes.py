"""Fuzzing every route of the app: never a 5xx, and every 4xx carries a well-formed error body.

The routes come from the app's own URL map (`app.url_map.iter_rules()`: each rule's arguments and
converters), so a new route is fuzzed as soon as it exists. What a URL map cannot tell — which
query parameters a view reads, and a valid value for each path argument to mutate — is kept in
ROUTES (tests/route_table.py), next to the test; `test_every_route_has_an_entry` fails naming
any endpoint without one, and while fuzzing, every `request.args` key a view reads that its entry
does not list fails the test naming the endpoint and the key (so a new parameter is declared,
hence fuzzed). Reads through a copy of `request.args` (the SPARQL protocol parser's) are not
seen; the OpenAPI document's parameters are checked against the table too.

* an explicit sweep: the 20 awkward strings of issue 15 (NUL, invalid and overlong UTF-8, `<x>`,
  `x> }`, quotes, a space, `..%2f..`, `{}`, a backslash, CR/LF, 5,000 characters, an emoji, `x:y`,
  `_:b`, `%`, a backtick, `^^`) in every position of every route — each path argument alone and
  as a suffix of a valid value, each query parameter (the others valid), after the path (and in
  a parameter the view does not read, under `-m slow`); and the valid request in every Accept —
  with Accept rotating over HTML, Turtle, JSON, `*/*` and junk (every Accept for every string
  under `-m slow`). All failures are collected and listed at once.
* hypothesis: generated text, bytes and mutations of valid values in path arguments and
  parameters, repeated and unknown parameters, methods, Accept headers.

Requests go through the Flask test client in-process (the fast path included), with PATH_INFO
and QUERY_STRING set as a WSGI server sets them from the raw request line (percent-decoded
bytes as latin-1), so invalid UTF-8 reaches the app as it would through gunicorn.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import make_app, report, status_counts
from flask import Flask, Request
from flask import request as current_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from route_table import ROUTES, RouteEntry
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.test import TestResponse

# The awkward strings of issue 15, as a client puts them on the wire (percent-escaped where a
# raw byte could not be sent).
AWKWARD = {
    "NUL": "%00", "invalid UTF-8 (C0 AF)": "%C0%AF", "invalid UTF-8 (FF)": "%FF",
    "<x>": "%3Cx%3E", "x> }": "x%3E%20%7D", "double quote": "%22", "space": "%20",
    "..%2f..": "..%2f..", "{}": "%7B%7D", "backslash": "%5C", "CR/LF": "%0D%0A",
    "5,000 characters": "a" * 5000, "emoji": "%F0%9F%98%80", "overlong UTF-8": "%E0%80%AF",
    "x:y": "x:y", "_:b": "_:b", "%": "%", "single quote": "'", "backtick": "%60", "^^": "%5E%5E",
}
ACCEPTS = {"HTML": "text/html", "Turtle": "text/turtle", "JSON": "application/json",
           "any": "*/*", "junk": "no/such;q=x, \u00e9t\u00e9"}
STATS: Counter[str] = Counter()
FAST, SLOW = 200, 2000
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL rule with its arguments (name → converter) and its entry."""

    rule: str
    endpoint: str
    methods: frozenset[str]
    converters: dict[str, str]
    entry: RouteEntry

    def path(self, values: dict[str, str]) -> str:
        """Fill the rule's arguments with raw (wire-form) values."""
        return ARGUMENT.sub(lambda m: values[m.group("name")], self.rule)

    def seeds(self) -> dict[str, str]:
        """A valid value for each path argument."""
        return {name: self.entry.args.get(name, ("x",))[0] for name in self.converters}


def routes_of(app: Flask) -> list[Route]:
    """Every rule in the app's URL map, with its entry (an empty one if it has none)."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = {m.group("name"): m.group("converter") or "default"
                      for m in ARGUMENT.finditer(rule.rule)}
        assert set(converters) == set(rule.arguments), rule.rule
        found.append(Route(rule.rule, rule.endpoint, frozenset(rule.methods or ()), converters,
                           ROUTES.get(rule.endpoint, RouteEntry())))
    return sorted(found, key=lambda r: r.rule)


# --------------------------------------------------------------------------- the app and requests

def recording_request_class(reads: set[tuple[str, str]]) -> type[Request]:
    """A Request whose `args` note every key a view asks for, by endpoint."""

    def note(key: object) -> None:
        reads.add((str(current_request.endpoint), str(key)))

    class RecordingArgs(ImmutableMultiDict[str, str]):
        def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
            note(key)
            return super().get(key, default, type)

        def getlist(self, key: Any, type: Any = None) -> Any:
            note(key)
            return super().getlist(key, type)

        def __getitem__(self, key: Any) -> Any:
            note(key)
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            note(key)
            return super().__contains__(key)

    class RecordingRequest(Request):
        parameter_storage_class = RecordingArgs

    return RecordingRequest


@dataclass
class Fuzzed:
    """The app under fuzz, its routes and the parameter reads seen so far."""

    app: Flask
    routes: list[Route]
    reads: set[tuple[str, str]]


@pytest.fixture(scope="module")
def fuzzed(build_root: Path) -> Iterator[Fuzzed]:
    """The app over the session build (inline executor), its errors answered, not raised."""
    app = make_app(build_root, PROPAGATE_EXCEPTIONS=False, ALSKG_QUERY_TIMEOUT=5.0)
    reads: set[tuple[str, str]] = set()
    app.request_class = recording_request_class(reads)
    yield Fuzzed(app, routes_of(app), reads)
    app.extensions["alskg"].close()


@pytest.fixture(scope="module", autouse=True)
def report_figures(pytestconfig: pytest.Config) -> Iterator[None]:
    """Print the figures: requests sent, routes covered, statuses, 5xx found."""
    yield
    if STATS:
        routes = len([k for k in STATS if k.startswith("route ")])
        fivexx = sum(v for k, v in STATS.items() if k.startswith("status 5"))
        report(pytestconfig, f"\nroute fuzz: {STATS['requests']} requests over {routes} routes; "
               f"statuses {status_counts(STATS)}; 5xx: {fivexx}")


def send(fuzzed: Fuzzed, route: Route, path: str, query: str, accept: str | None,
         method: str = "GET") -> TestResponse:
    """Send one request as a WSGI server would pass it on (raw path percent-decoded to bytes)."""
    path_info = urllib.parse.unquote_to_bytes(path).decode("latin-1")
    headers = {"Accept": accept} if accept is not None else {}
    response = fuzzed.app.test_client().open(
        "/", method=method, headers=headers, environ_overrides={
            "PATH_INFO": path_info, "QUERY_STRING": query,
            "REQUEST_URI": path + ("?" + query if query else ""),
            "RAW_URI": path + ("?" + query if query else "")})
    STATS["requests"] += 1
    STATS[f"route {route.rule}"] += 1
    STATS[f"status {response.status_code}"] += 1
    return response


class _ErrorPage(HTMLParser):
    """Collect an HTML page's title and the text of its h1 and role=alert elements."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.message = ""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("title", "h1") or ("role", "alert") in attrs:
            self._open.append("title" if tag == "title" else "message")

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag in ("title", "h1", "p", "div", "section", "span"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            setattr(self, self._open[-1], getattr(self, self._open[-1]) + data.strip())


def problem(response: TestResponse, method: str) -> str | None:
    """Return what is wrong with an answer (a 5xx or a malformed error body), or None."""
    status = response.status_code
    body = response.get_data()
    if status >= 500:
        return f"{status}: {body[:160]!r}"
    if status < 400 or method == "HEAD":
        return None
    mimetype = response.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            document = json.loads(body)
        except ValueError:
            return f"{status} JSON error body does not parse: {body[:160]!r}"
        if not (isinstance(document, dict) and document.get("ok") is False and
                isinstance(document.get("error"), str) and document["error"].strip() and
                document.get("status") == status):
            return f"{status} JSON error not in the error shape: {body[:160]!r}"
        return None
    if mimetype == "text/plain":
        return None if body.strip() else f"{status} with an empty text/plain body"
    if mimetype == "text/html":
        page = _ErrorPage()
        page.feed(body.decode("utf-8"))
        if page.title and page.message:
            return None
        return f"{status} HTML error without a title and a message (h1 or role=alert)"
    return f"{status} error in an unexpected media type {mimetype!r}"


def check(fuzzed: Fuzzed, route: Route, path: str, query: str, accept: str | None,
          method: str = "GET") -> str | None:
    """Send a request; return what is wrong with its answer or with the parameters read."""
    response = send(fuzzed, route, path, query, accept, method)
    found = problem(response, method)
    undeclared = sorted(key for endpoint, key in fuzzed.reads if endpoint == route.endpoint
                        and key not in route.entry.params and not route.entry.reads_every_param)
    if undeclared:
        found = (found or "") + (f" reads query parameters {undeclared} that ROUTES does not "
                                 f"list for {route.endpoint}")
    return found


def query_string(pairs: list[tuple[str, str]]) -> str:
    """Join (name, wire-form value) pairs into a query string."""
    return "&".join(f"{urllib.parse.quote(k, safe='')}={v}" for k, v in pairs)


# --------------------------------------------------------------------------- the URL map

def test_every_route_has_an_entry(fuzzed: Fuzzed) -> None:
    """Every endpoint in the URL map has an entry in ROUTES, and every entry a route."""
    endpoints = {route.endpoint for route in fuzzed.routes}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, (f"routes without an entry in ROUTES (tests/route_table.py): "
                         f"{missing}; list the query parameters each reads and valid values "
                         f"for its path arguments")
    assert not sorted(set(ROUTES) - endpoints), "entries in ROUTES for routes that are gone"
    for route in fuzzed.routes:
        unknown = set(route.entry.args) - set(route.converters)
        assert not unknown, f"{route.endpoint}: ROUTES names arguments {unknown} it has not"


def test_openapi_parameters_are_declared(fuzzed: Fuzzed) -> None:
    """Every query parameter the OpenAPI document gives a route is in that route's entry."""
    document = fuzzed.app.test_client().get("/openapi.json").get_json()
    adapter = fuzzed.app.url_map.bind("localhost")
    for path, item in document["paths"].items():
        endpoint, _ = adapter.match(path, method="GET")
        entry = ROUTES[endpoint]
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] == "query":
                assert entry.reads_every_param or parameter["name"] in entry.params, \
                    (endpoint, parameter["name"])


# --------------------------------------------------------------------------- the explicit sweep

def positions(route: Route, full: bool) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """Every place an awkward value can go: (label, path arguments, parameters) templates, with
    `{}` where the value goes. A parameter the view does not read only in the `full` sweep (each
    such request runs the whole view: slow on the pages)."""
    seeds = route.seeds()
    for name in route.converters:
        yield f"<{name}>", {**seeds, name: "{}"}, {}
        yield f"<{name}> suffix", {**seeds, name: seeds[name] + ".{}"}, {}
    for name in route.entry.params:
        yield f"?{name}", seeds, {**route.entry.params, name: "{}"}
    if full:
        yield "?unlisted", seeds, {**route.entry.params, "unlisted": "{}"}
    yield "after the path", {**seeds, "": "{}"}, {}


def sweep(fuzzed: Fuzzed, every_accept: bool, share: int = 1) -> list[str]:
    """Send the awkward strings in every position of every route; return the failures. With
    `share` > 1 a position gets every share-th string, in turns, so each route still sees every
    string (somewhere) in 1/share of the requests; a route with fewer positions than `share`
    gets every string in each."""
    failures = []
    turn = 0
    accepts = list(ACCEPTS.items())
    strings = list(AWKWARD.items())
    for route in fuzzed.routes:
        method = "GET" if "GET" in route.methods else sorted(route.methods)[0]
        valid = (route.path(route.seeds()), query_string(list(route.entry.params.items())))
        for accept_name, accept in accepts:   # the valid request first, in every Accept
            found = check(fuzzed, route, *valid, accept, method)
            if found:
                failures.append(f"{route.rule} valid request, Accept {accept_name}: {found}")
        places = list(positions(route, every_accept))
        step = share if len(places) >= share else 1
        for place, (label, args, params) in enumerate(places):
            for string_name, wire in strings[place % step::step]:
                tail = args.get("", "").replace("{}", wire)
                path = route.path({k: v.replace("{}", wire) for k, v in args.items()
                                   if k}) + tail
                query = query_string([(k, v.replace("{}", wire)) for k, v in params.items()])
                full = every_accept and label != "?unlisted"   # that one runs whole views
                chosen = accepts if full else [accepts[turn % len(accepts)]]
                turn += 1
                for accept_name, accept in chosen:
                    found = check(fuzzed, route, path, query, accept, method)
                    if found:
                        failures.append(f"{route.rule} {label} = {string_name}, Accept "
                                        f"{accept_name}: {found}")
    return failures


def test_awkward_strings_on_every_route(fuzzed: Fuzzed) -> None:
    """The 20 awkward strings on every route, a quarter of them in each position (in turns; the
    slow sweep below sends all of them everywhere): no 5xx, well-formed errors."""
    failures = sweep(fuzzed, every_accept=False, share=4)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


@pytest.mark.slow
def test_awkward_strings_on_every_route_every_accept(fuzzed: Fuzzed) -> None:
    """The same sweep with every Accept value for every string."""
    failures = sweep(fuzzed, every_accept=True)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


# --------------------------------------------------------------------------- generated requests

def fuzz_settings(examples: int) -> Any:
    """Hypothesis settings: `examples` per test, a deadline, no health check on fixtures."""
    return settings(max_examples=examples, deadline=timedelta(seconds=5), print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


SUFFIXES = ["", ".ttl", ".jsonld", ".nt", ".rdf", ".json", ".csv", ".html", ".bogus", ".", "..",
            "/", "/x", ".%00", ".%FF", ".TTL"]
wire_text = st.one_of(
    st.sampled_from(list(AWKWARD.values())),
    st.text(max_size=40).map(lambda t: urllib.parse.quote(t, safe="")),
    st.text(max_size=40).map(lambda t: urllib.parse.quote(t, safe="/:@!$&'()*+,;=")),
    st.binary(max_size=24).map(lambda b: urllib.parse.quote_from_bytes(b, safe="")),
)


@st.composite
def wire_value(draw: st.DrawFn, seeds: tuple[str, ...]) -> str:
    """A value in wire form: generated, awkward, or a valid one mutated or with a suffix."""
    seed = urllib.parse.quote(draw(st.sampled_from(seeds)), safe="/:.")
    kind = draw(st.sampled_from(["generated", "seed", "suffix", "insert", "segment"]))
    if kind == "generated":
        return draw(wire_text)
    if kind == "seed":
        return seed
    if kind == "suffix":
        return seed + draw(st.sampled_from(SUFFIXES))
    if kind == "segment":
        return seed + "/" + draw(wire_text)
    cut = draw(st.integers(0, len(seed)))
    return seed[:cut] + draw(wire_text) + seed[cut:]


ACCEPT_VALUES = st.one_of(st.none(), st.sampled_from(list(ACCEPTS.values()) + [
    "application/sparql-results+json", "text/plain", "application/ld+json", "text/csv",
    "application/rdf+xml;q=0.5, text/html;q=0", "*/*;q=0", "text/*", ""]))


@st.composite
def route_request(draw: st.DrawFn, routes: list[Route]) -> tuple[Route, str, str, str | None, str]:
    """A request to one route: path arguments, parameters, Accept and method."""
    route = draw(st.sampled_from(routes))
    values = {name: draw(wire_value(route.entry.args.get(name, ("x",))))
              for name in route.converters}
    path = route.path(values) + draw(st.sampled_from(["", "", "", *SUFFIXES[1:]]))
    names = list(route.entry.params) or ["x"]
    pairs = []
    for name in draw(st.lists(st.one_of(st.sampled_from(names), st.text(max_size=6)),
                              max_size=5)):
        seed = route.entry.params.get(name) or "x"
        pairs.append((name, draw(wire_value((seed,)))))
    method = draw(st.sampled_from(["GET"] * 6 + ["HEAD", "POST", "OPTIONS", "PUT"]))
    return route, path, query_string(pairs), draw(ACCEPT_VALUES), method


def run_generated(fuzzed: Fuzzed, examples: int) -> None:
    """Send generated requests (path values, parameters, methods, Accept) with these settings."""

    @fuzz_settings(examples)
    @given(req=route_request(fuzzed.routes))
    def run(req: tuple[Route, str, str, str | None, str]) -> None:
        route, path, query, accept, method = req
        found = check(fuzzed, route, path, query, accept, method)
        assert found is None, f"{method} {path}?{query[:200]} Accept {accept!r}: {found}"

    run()


def test_generated_requests_on_every_route(fuzzed: Fuzzed) -> None:
    """Generated path values, parameters, methods and Accept on every route (seeded cover)."""
    run_generated(fuzzed, FAST)


@pytest.mark.slow
def test_generated_requests_on_every_route_long(fuzzed: Fuzzed) -> None:
    """The same with ten times the examples."""
    run_generated(fuzzed, SLOW)

"""Fuzzing the request layer with hypothesis: never a 500, never a hang, a documented status.

* `/sparql` on both engines through the Flask test client and the inline executor, over a small
  build (so that no generated query, cross products included, can run long in-process): random
  methods, query strings (SPARQL-like token soup, mutated valid queries, arbitrary text,
  invalid UTF-8 and percent-escapes), protocol parameters, Accept values, Content-Types with
  charsets, bodies in several encodings. Every answer is one of the documented statuses.
* named queries: `Parameter.bind` and `NamedQuery.bindings` with arbitrary values (a typed
  term or ParameterError, nothing else), and the `/queries/<name>` route over the real build.

`max_examples` is modest in the fast run and ten times larger under `-m slow`; a `deadline`
bounds every example. The figures (examples run, statuses seen) are printed at the end.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_app, report, status_counts
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from w3c import write_build

from alskg.query.catalog import PARAM_TYPES, Parameter, ParameterError, load_catalog

DOCUMENTED = {200, 304, 400, 403, 405, 406, 413, 415, 503}
NAMED_QUERY_STATUSES = DOCUMENTED | {404}   # an unknown query name is 404 (JSON error)
FAST, SLOW = 150, 1500
STATS: Counter[str] = Counter()


@functools.cache
def named_queries() -> tuple[Any, ...]:
    """The named-query catalog, read once (reading it takes ~0.08 s; hypothesis draws hundreds)."""
    return load_catalog()


def fuzz_settings(examples: int) -> Any:
    """Hypothesis settings: `examples` per test, a deadline, no health check on fixtures."""
    return settings(max_examples=examples, deadline=timedelta(seconds=3), print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


# --------------------------------------------------------------------------- a small build

A = "https://w3id.org/alskg/"
TINY = [
    f'<{A}id/intervention/riluzole> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
    f'<{A}vocab#Drug> <{A}graph/asserted> .',
    f'<{A}id/intervention/riluzole> <http://www.w3.org/2000/01/rdf-schema#label> "riluzole"@en '
    f'<{A}graph/asserted> .',
    f'<{A}id/intervention/edaravone> <http://www.w3.org/2000/01/rdf-schema#label> "edaravone" '
    f'<{A}graph/asserted> .',
    f'<{A}id/intervention/edaravone> <{A}vocab#year> '
    f'"2017"^^<http://www.w3.org/2001/XMLSchema#integer> <{A}graph/asserted> .',
    f'<{A}id/intervention/edaravone> <{A}vocab#note> _:b1 <{A}graph/asserted> .',
    f'_:b1 <http://www.w3.org/2000/01/rdf-schema#comment> "x\\ty \\"z\\"" <{A}graph/asserted> .',
    f'<{A}vocab#Drug> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{A}vocab#Intervention> '
    f'<{A}graph/ontology> .',
    f'<{A}id/intervention/riluzole> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
    f'<{A}vocab#Intervention> <{A}graph/inferred> .',
    f'<{A}dataset> <http://purl.org/dc/terms/title> "tiny" <{A}graph/meta> .',
]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of a handful of quads: any query over it is cheap."""
    root = tmp_path_factory.mktemp("tiny")
    write_build(root, [line + "\n" for line in TINY], "tiny")
    return root


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def fuzz_app(request: pytest.FixtureRequest, tiny_root: Path) -> Iterator[Flask]:
    """The app over the small build, inline executor, each engine in turn."""
    app = make_app(tiny_root, ALSKG_ENGINE=request.param, ALSKG_QUERY_TIMEOUT=2.0,
                   ALSKG_MAX_QUERY_CHARS=4096, MAX_CONTENT_LENGTH=8192)
    yield app
    app.extensions["alskg"].close()


@pytest.fixture(scope="module", autouse=True)
def report_figures(pytestconfig: pytest.Config) -> Iterator[None]:
    """Print how many examples ran and which statuses they got."""
    yield
    if STATS:
        report(pytestconfig, f"\nfuzz: {STATS['sparql']} /sparql requests, {STATS['bind']} "
               f"parameter bindings, {STATS['named']} /queries requests; "
               f"statuses {status_counts(STATS)}")


# --------------------------------------------------------------------------- strategies

TOKENS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p",
    "?o", "$x", "*", ".", ";", ",", "a", "<urn:a>", f"<{A}graph/asserted>", "<>", "<s>",
    "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "VALUES", "BIND", "AS", "COUNT", "SUM",
    "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "=", "!=", "<", ">", "&&", "||", "!", "+", "-", "/",
    "|", "^", "^^", "?", "LIMIT", "OFFSET", "10", "0", "-1", "1.5e3", "ORDER BY", "DESC", "ASC",
    "DISTINCT", "REDUCED", "GROUP BY", "HAVING", "EXISTS", "NOT", "IN", "STR", "LANG", "REGEX",
    "COALESCE", "IF", "BNODE", "IRI", "STRDT", "CONCAT", "SUBSTR", "NOW", "RAND", "true",
    '"x"', "'y'@en", '"""z"""', '"1"^^xsd:integer', "xsd:integer", "rdfs:label", "als:Drug",
    "intervention:riluzole", "unknownprefix:x", "_:b", "PREFIX", "ex:", "<http://example.org/>",
    "BASE", "#comment\n", "\n", "FROM", "NAMED", "SERVICE", "SILENT", "INSERT", "DELETE", "DATA",
    "LOAD", "CLEAR", "DROP", "WITH", "USING", "\\u0041", "\u00e9", "\U0001f600", "\x00",
]
VALID = [
    "ASK {}",
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT ?d ?l WHERE { ?d a als:Drug ; rdfs:label ?l } ORDER BY ?d",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE intervention:riluzole",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    'SELECT * WHERE { ?s rdfs:label ?l FILTER(REGEX(STR(?l), "^r", "i")) }',
    "SELECT * WHERE { ?s (rdfs:subClassOf|a)* ?c } LIMIT 5",
    "SELECT * WHERE { VALUES ?x { 1 2 3 } OPTIONAL { ?s ?p ?x } }",
]

sparql_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid query with a slice deleted, duplicated or replaced by a token."""
    text = draw(st.sampled_from(VALID))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 12)))
    kind = draw(st.sampled_from(["delete", "duplicate", "insert"]))
    if kind == "delete":
        return text[:start] + text[end:]
    if kind == "duplicate":
        return text[:end] + text[start:end] + text[end:]
    return text[:start] + " " + draw(st.sampled_from(TOKENS)) + " " + text[start:]


query_text = st.one_of(sparql_soup, mutated(), st.sampled_from(VALID), st.text(max_size=120))
iri_text = st.one_of(st.sampled_from([f"{A}graph/asserted", f"{A}graph/inferred",
                                      f"{A}graph/meta", "urn:x", "file:///etc/passwd",
                                      "http://127.0.0.1:9/", ""]), st.text(max_size=40))
param_names = st.sampled_from(["query", "update", "default-graph-uri", "named-graph-uri",
                               "using-graph-uri", "using-named-graph-uri", "format",
                               "inference", "callback", "x"])
param_values = st.one_of(query_text, iri_text, st.sampled_from(
    ["json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "rdfxml", "srj", "bogus", "false",
     "true", "0", "off"]))
params = st.lists(st.tuples(param_names, param_values), max_size=5)

media_types = st.sampled_from([
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json",
    "application/rdf+xml", "application/json", "application/xml", "text/html", "text/*",
    "*/*", "image/png", "application/*", "", "text/plain", "application/n-quads",
])
latin1_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    blacklist_characters="\x7f"), max_size=60)


@st.composite
def accept_header(draw: st.DrawFn) -> str:
    """An Accept header: media types with q-values, or noise."""
    if draw(st.booleans()):
        return draw(latin1_text)
    parts = []
    for media in draw(st.lists(media_types, min_size=1, max_size=4)):
        q = draw(st.one_of(st.none(), st.sampled_from(["0", "0.5", "1", "1.5", "x", "-1"])))
        parts.append(media + (f";q={q}" if q is not None else ""))
    return ", ".join(parts)


content_types = st.one_of(
    st.sampled_from(["application/x-www-form-urlencoded", "application/sparql-query",
                     "application/sparql-update", "text/plain", "multipart/form-data",
                     "application/json", ""]).flatmap(
        lambda t: st.sampled_from([t, t + "; charset=utf-8", t + "; charset=UTF-16",
                                   t + "; charset=latin-1", t + "; charset=", t + ";;x=\""])),
    latin1_text)


@st.composite
def body(draw: st.DrawFn) -> bytes:
    """A request body: a form, a query in some encoding, invalid UTF-8 or random bytes."""
    kind = draw(st.sampled_from(["form", "query", "invalid-utf8", "bytes", "empty", "large"]))
    if kind == "large":   # past the app's 8 KiB body limit or its 4096-character query limit
        return draw(st.sampled_from([b"query=ASK%7B%7D%23" + b"x" * 9000,
                                     b"ASK {} #" + b"y" * 5000,
                                     b"query=ASK%7B%7D%23" + b"z" * 5000]))
    if kind == "form":
        return urllib.parse.urlencode(draw(params)).encode("utf-8")
    if kind == "query":
        encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-32"]))
        return draw(query_text).encode(encoding, errors="replace")
    if kind == "invalid-utf8":
        return draw(st.sampled_from([b"ASK {} \xff", b"query=%FF%FE", b"\xc3\x28",
                                     b"query=ASK\xed\xa0\x80{}", b"\xf0\x28\x8c\x28"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    return b""


@st.composite
def query_string(draw: st.DrawFn) -> bytes:
    """A raw query string: encoded parameters, sometimes with invalid escapes or bytes."""
    encoded = urllib.parse.urlencode(draw(params)).encode("utf-8")
    noise = draw(st.sampled_from([b"", b"&query=%FF", b"&%zz=1", b"&query", b"&=&&",
                                  b"&query=%C3%28", b"&format=%00"]))
    return encoded + noise


@st.composite
def sparql_request(draw: st.DrawFn) -> dict[str, Any]:
    """A whole request to /sparql."""
    method = draw(st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE",
                                   "PATCH", "OPTIONS"]))
    headers: list[tuple[str, str]] = []
    if draw(st.booleans()):
        headers.append(("Accept", draw(accept_header())))
    if draw(st.integers(0, 9)) == 0:
        headers.append(("If-None-Match", draw(latin1_text)))
    if draw(st.integers(0, 9)) == 0:
        headers.append(("Accept-Encoding", draw(latin1_text)))
    data = None
    if method in ("POST", "PUT", "PATCH"):
        data = draw(body())
        if draw(st.integers(0, 5)) > 0:
            headers.append(("Content-Type", draw(content_types)))
    return {"method": method, "path": draw(st.sampled_from(["/sparql", "/sparql/"])),
            "query_string": draw(query_string()), "headers": headers, "data": data}


# --------------------------------------------------------------------------- /sparql

def check_sparql(app: Flask, req: dict[str, Any]) -> None:
    """Send one request; it must answer a documented status with a sane body."""
    client = app.test_client()
    response = client.open(req["path"], method=req["method"],
                           query_string=req["query_string"].decode("latin-1"),
                           headers=req["headers"], data=req["data"])
    STATS["sparql"] += 1
    STATS[f"status {response.status_code}"] += 1
    assert response.status_code in DOCUMENTED, (response.status_code, response.get_data()[:300])
    if response.status_code >= 400 and req["method"] != "HEAD":
        assert response.mimetype in ("text/plain", "application/json"), response.mimetype
        assert response.get_data(), "an error without a message"
    elif response.status_code == 200 and req["method"] != "OPTIONS":
        assert response.headers.get("Content-Type")


@fuzz_settings(FAST)
@given(req=sparql_request())
def test_fuzz_sparql_requests(fuzz_app: Flask, req: dict[str, Any]) -> None:
    check_sparql(fuzz_app, req)


@pytest.mark.slow
@fuzz_settings(SLOW)
@given(req=sparql_request())
def test_fuzz_sparql_requests_long(fuzz_app: Flask, req: dict[str, Any]) -> None:
    check_sparql(fuzz_app, req)


@fuzz_settings(FAST)
@given(query=st.one_of(sparql_soup, mutated()), accept=st.one_of(st.none(), accept_header()),
       inference=st.sampled_from([None, "true", "false"]))
def test_fuzz_query_text_get_and_post(fuzz_app: Flask, query: str, accept: str | None,
                                      inference: str | None) -> None:
    """The same text by GET, form POST and direct POST gets the same status."""
    client = fuzz_app.test_client()
    extra = {} if inference is None else {"inference": inference}
    headers = {} if accept is None else {"Accept": accept}
    get = client.get("/sparql", query_string={"query": query, **extra}, headers=headers)
    form = client.post("/sparql", data={"query": query, **extra}, headers=headers)
    direct = client.post("/sparql" + ("?" + urllib.parse.urlencode(extra) if extra else ""),
                         data=query.encode("utf-8"), headers=headers,
                         content_type="application/sparql-query")
    STATS["sparql"] += 3
    for response in (get, form, direct):
        STATS[f"status {response.status_code}"] += 1
        assert response.status_code in DOCUMENTED, (response.status_code,
                                                    response.get_data()[:300])
    if query.strip():
        assert get.status_code == form.status_code == direct.status_code, query


# --------------------------------------------------------------------------- named queries

@st.composite
def raw_value(draw: st.DrawFn) -> str:
    """A parameter value: plausible, hostile or arbitrary."""
    return draw(st.one_of(
        st.text(max_size=60),
        st.sampled_from([
            "https://w3id.org/alskg/id/intervention/riluzole", "intervention:riluzole",
            "HP:0003484", "CL:0000134", "MONDO:0004976", "status:supported", "2017-01-01",
            "2017-13-45", "1990", "-0", "+7", "99999999999999999999", "1e3", " 12 ", "", " ",
            "<urn:x>", "urn:x> } ; DROP ALL #", "javascript:alert(1)", "x:y z", "\x00",
            "http://127.0.0.1:9/", "file:///etc/passwd", "a\"b", "\\u0022", "?_x", "$x",
            "intervention:a>b", "unknown:x", ":x", "\U0001f600", "２０１７", "٣",
        ]),
        st.from_regex(r"[A-Za-z][A-Za-z0-9+.\-]{0,8}:[^\s<>\"{}|\\^`]{0,20}", fullmatch=True),
        st.integers(-10**20, 10**20).map(str),
        st.dates().map(str),
    ))


@fuzz_settings(FAST * 4)
@given(kind=st.sampled_from(PARAM_TYPES), value=raw_value())
def test_fuzz_parameter_bind(kind: str, value: str) -> None:
    """Parameter.bind returns a term of the declared type, or raises ParameterError."""
    STATS["bind"] += 1
    param = Parameter("p", kind)
    try:
        term = param.bind(value)
    except ParameterError as exc:
        assert exc.name == "p" and "p" in str(exc)
        return
    if kind in ("iri", "curie"):
        assert isinstance(term, URIRef)
        assert not any(c in str(term) for c in ' <>"{}|\\^`\n\t'), term
        assert ":" in str(term)
        NamedNode(str(term))   # the engine accepts it (else a 500 when the query runs)
    elif kind == "integer":
        assert isinstance(term, Literal) and term.datatype == XSD.integer
        assert isinstance(term.toPython(), int)
    elif kind == "date":
        assert isinstance(term, Literal) and term.datatype == XSD.date
    else:
        assert isinstance(term, Literal) and str(term) == value


@fuzz_settings(FAST)
@given(data=st.data())
def test_fuzz_named_query_bindings(data: st.DataObject) -> None:
    """NamedQuery.bindings: typed bindings for declared names, ParameterError otherwise."""
    catalog = [q for q in named_queries() if q.params]
    query = data.draw(st.sampled_from(catalog))
    names = [p.name for p in query.params]
    raw = data.draw(st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=8)),
                                    raw_value(), max_size=4))
    STATS["bind"] += 1
    try:
        bound = query.bindings(raw)
    except ParameterError:
        return
    assert set(raw) <= set(names)
    assert set(bound) <= {p.variable for p in query.params}


@pytest.fixture(scope="module")
def real_app(build_root: Path) -> Iterator[Flask]:
    """The app over the session's real build (named queries need the real data)."""
    app = make_app(build_root, ALSKG_QUERY_TIMEOUT=5.0)
    yield app
    app.extensions["alskg"].close()


@st.composite
def named_request(draw: st.DrawFn) -> tuple[str, bytes, list[tuple[str, str]]]:
    """A request to /queries/<name>[.suffix] with arbitrary parameters and Accept."""
    catalog = named_queries()
    query = draw(st.sampled_from(catalog))
    name = draw(st.one_of(st.just(query.name), st.just(query.path.stem),
                          st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s)))
    suffix = draw(st.sampled_from(["", ".json", ".csv", ".tsv", ".srx", ".xml", ".ttl",
                                   ".nt", ".jsonld", ".rdf", ".bogus", ".", ".JSON"]))
    names = [p.name for p in query.params] or ["x"]
    pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=6)),
                                    raw_value()), max_size=4))
    headers = [("Accept", draw(accept_header()))] if draw(st.booleans()) else []
    return urllib.parse.quote(name + suffix), urllib.parse.urlencode(pairs).encode(), headers


def check_named(app: Flask, req: tuple[str, bytes, list[tuple[str, str]]]) -> None:
    """Send one named-query request; it must answer a documented status."""
    path, query_string_, headers = req
    response = app.test_client().get("/queries/" + path, query_string=query_string_.decode(),
                                     headers=headers)
    STATS["named"] += 1
    STATS[f"status {response.status_code}"] += 1
    assert response.status_code in NAMED_QUERY_STATUSES, (
        path, query_string_, response.status_code, response.get_data()[:300])


def _has_named_query_route(app: Flask) -> bool:
    return any(rule.rule.startswith("/queries/<") for rule in app.url_map.iter_rules())


@fuzz_settings(FAST // 2)
@given(req=named_request())
def test_fuzz_named_query_route(real_app: Flask, req: tuple[str, bytes, list]) -> None:  # type: ignore[type-arg]
    if not _has_named_query_route(real_app):
        pytest.skip("the /queries/<name> route is not there yet")
    check_named(real_app, req)


@pytest.mark.slow
@fuzz_settings(FAST * 2)
@given(req=named_request())
def test_fuzz_named_query_route_long(real_app: Flask, req: tuple[str, bytes, list]) -> None:  # type: ignore[type-arg]
    if not _has_named_query_route(real_app):
        pytest.skip("the /queries/<name> route is not there yet")
    check_named(real_app, req)


# --------------------------------------------------------------------------- regressions

@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_regression_empty_coalesce_is_not_a_500(tiny_root: Path, engine: str) -> None:
    """`COALESCE()` with no argument is an error, so the variable is unbound (SPARQL 17.4.1.4).

    rdflib bound the Python str 'h' there, which no serializer takes (a 500 until fixed)."""
    app = make_app(tiny_root, ALSKG_ENGINE=engine, PROPAGATE_EXCEPTIONS=False)
    try:
        response = app.test_client().get("/sparql", query_string={
            "query": "SELECT (COALESCE() AS ?x) WHERE {}"})
        assert response.status_code == 200, response.get_data()[:300]
    finally:
        app.extensions["alskg"].close()


@pytest.mark.parametrize(("name", "value"), [
    ("intervention-evidence", "https://w3id.org/alskg/id/intervention/a%zz"),
    ("intervention-evidence", "https://w3id.org/alskg/id/[riluzole]"),
    ("intervention-evidence", "A:\x1b"),
    ("evidence-for-intervention", "intervention:riluzole\x7f"),
], ids=["bad-percent", "brackets", "escape-char", "curie-del"])
def test_regression_iri_parameter_the_engine_rejects(real_app: Flask, name: str,
                                                     value: str) -> None:
    """Values Parameter.bind once let through and the engine's IRI parser refused (a 500)."""
    response = real_app.test_client().get(f"/queries/{name}.json",
                                          query_string={"intervention": value})
    assert response.status_code == 400, response.status_code

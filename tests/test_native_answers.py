"""Oxigraph's own writers give the same answers as the rdflib writers, with the cap kept exact.

Each query and format is answered twice by the Oxigraph engine: natively (bytes written in Rust,
`run_serialized`) and through the term path (`run` + rdflib's SPARQL JSON or N-Triples writer,
the most faithful of rdflib's writers: its XML results writer drops `false` booleans). Both are
parsed back and compared with the differential test's answer keys (rows as multisets, ORDER BY
sequences, graphs up to blank-node renaming). The cross-engine agreement of the term path is
tests/test_engines_differential.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.query import Result

from alskg.formats import media as formats
from alskg.query.engines.base import (
    DatasetSpec,
    Engine,
    QueryOutcome,
    QueryTimeout,
    SerializedAnswer,
)
from alskg.query.engines.oxigraph_engine import OxigraphEngine
from alskg.query.executor import QueryRequest, execute
from tests.test_engines_differential import (
    PROTOCOL_QUERIES,
    answer_key,
    assert_same_answers,
    canonical,
    named_queries,
)

SOLUTION_KEYS = ("json", "xml", "tsv")
GRAPH_KEYS = ("turtle", "nt", "nquads", "trig", "jsonld", "rdfxml")


def parsed(body: bytes, key: str, form: str) -> QueryOutcome:
    """Parse serialized answer bytes back into an outcome of rdflib terms."""
    if form in ("SELECT", "ASK"):
        result = Result.parse(io.BytesIO(body), format=key)
        if result.type == "ASK":
            return QueryOutcome("ASK", boolean=bool(result.askAnswer))
        names = [str(v) for v in result.vars or []]
        rows = [tuple(row.get(v) for v in result.vars or []) for row in result.bindings]
        return QueryOutcome("SELECT", variables=names, rows=rows)  # type: ignore[arg-type]
    plugin = formats.by_name(key, form).plugin  # type: ignore[union-attr]
    if key in ("nquads", "trig"):
        dataset = Dataset()
        dataset.parse(data=body, format=plugin)
        triples = [(s, p, o) for s, p, o, _g in dataset.quads()]
    else:
        triples = list(Graph().parse(data=body, format=plugin))
    return QueryOutcome("CONSTRUCT", triples=triples)  # type: ignore[arg-type]


def served(engine: Engine, query: str, spec: DatasetSpec | None = None, key: str | None = None,
           bindings: dict[str, Any] | None = None, max_rows: int = 100_000) -> SerializedAnswer:
    """The bytes the executor answers with: Oxigraph's writers for SELECT / ASK, the program's
    one deterministic writer per syntax for graph answers (CONSTRUCT / DESCRIBE)."""
    response = execute(engine, QueryRequest(query, spec or DatasetSpec(),
                                            tuple((bindings or {}).items()), key, max_rows, 60))
    assert response.ok, response.error
    assert response.form is not None
    fmt = formats.by_name(key, response.form) if key else formats.offered(response.form)[0]
    assert fmt is not None
    return SerializedAnswer(response.form, fmt.key, response.body, response.truncated,
                            response.rows)


def both_ways(engine: Engine, query: str, spec: DatasetSpec, key: str,
              bindings: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Answer as the executor does and through the term path; return both parsed outcomes."""
    native = served(engine, query, spec, key, bindings)
    outcome = engine.run(query, spec, bindings=bindings, max_rows=100_000, timeout=60)
    fmt = formats.by_name(key, outcome.form) or formats.offered(outcome.form)[0]
    assert native.format_key == fmt.key
    # the reference is rdflib's JSON / N-Triples writer (its XML writer drops `false` booleans)
    reference = formats.offered(outcome.form)[0 if outcome.form in ("SELECT", "ASK") else 1]
    term_path = formats.serialize(outcome, reference, engine.prefixes)
    return (parsed(native.body, fmt.key, native.form),
            parsed(term_path, reference.key, outcome.form))


def _form(query: str) -> str:
    from alskg.query.sparqltext import query_form

    return query_form(query) or "SELECT"


def _protocol_cases() -> list[Any]:
    """Every protocol query in every format of its form. The fast run takes every format of the
    (few, small) graph answers and one results format per SELECT or ASK query, in turns (so each
    is taken by a dozen queries); the rest run under `-m slow`."""
    cases = []
    for number, (name, query, spec) in enumerate(PROTOCOL_QUERIES):
        keys = {"SELECT": SOLUTION_KEYS, "ASK": ("json", "xml")}.get(_form(query), GRAPH_KEYS)
        for place, key in enumerate(keys):
            fast = keys == GRAPH_KEYS or place == number % len(keys)
            marks = () if fast else (pytest.mark.slow,)
            cases.append(pytest.param(name, query, spec, key, id=f"{name}-{key}", marks=marks))
    return cases


PROTOCOL_CASES = _protocol_cases()


@pytest.mark.parametrize(("name", "query", "spec", "key"), PROTOCOL_CASES)
def test_native_answer_same_as_rdflib_writers(engines: dict[str, Engine], name: str, query: str,
                                              spec: DatasetSpec, key: str) -> None:
    native, term_path = both_ways(engines["oxigraph"], query, spec, key)
    assert_same_answers(answer_key(native, query), answer_key(term_path, query), name)


@pytest.mark.parametrize("query", named_queries(), ids=[q.name for q in named_queries()])
def test_named_query_native_json_same_as_rdflib_writer(engines: dict[str, Engine],
                                                       query: Any) -> None:
    engine = engines["oxigraph"]
    key = "json" if _form(query.text) in ("SELECT", "ASK") else "turtle"
    native, term_path = both_ways(engine, query.text, DatasetSpec(), key,
                                  bindings=query.bindings({}, engine.prefixes))
    assert_same_answers(answer_key(native, query.text), answer_key(term_path, query.text),
                        query.name)


def test_csv_same_cells(engines: dict[str, Engine]) -> None:
    engine = engines["oxigraph"]
    query = ("SELECT ?s ?label ?size WHERE { ?s rdfs:label ?label "
             "OPTIONAL { ?s als:sampleSize ?size } }")
    native = engine.run_serialized(query, format_key="csv")
    assert native is not None
    term_path = formats.serialize(engine.run(query), formats.by_name("csv", "SELECT"),  # type: ignore[arg-type]
                                  engine.prefixes)
    def cells(body: bytes) -> list[tuple[str, ...]]:
        return sorted(tuple(r) for r in csv.reader(io.StringIO(body.decode("utf-8"))))
    assert cells(native.body) == cells(term_path)


TRICKY = """\
<http://ex/a> <http://ex/p> "tab\\there\\nnewline \\"quoted\\" \\\\ back" <http://ex/g> .
<http://ex/a> <http://ex/p> "x,y\\r\\nz"@en-GB <http://ex/g> .
<http://ex/a> <http://ex/p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> <http://ex/g> .
<http://ex/a> <http://ex/p> "1E0"^^<http://www.w3.org/2001/XMLSchema#double> <http://ex/g> .
<http://ex/a> <http://ex/p> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> <http://ex/g> .
<http://ex/a> <http://ex/p> "émoji 🧠 ünïcode" <http://ex/g> .
<http://ex/a> <http://ex/p> _:b1 <http://ex/g> .
_:b1 <http://ex/p> "" <http://ex/g> .
"""


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An Oxigraph engine over literals that stress every writer (escapes, types, bnodes)."""
    path = tmp_path_factory.mktemp("tricky") / "dataset.nq"
    path.write_text(TRICKY, encoding="utf-8")
    return OxigraphEngine(path)


TRICKY_SPEC = DatasetSpec(("http://ex/g",), ())


@pytest.mark.parametrize("key", [*SOLUTION_KEYS, "csv"])
def test_tricky_literals_survive_every_results_format(tricky: Engine, key: str) -> None:
    query = ("SELECT ?s ?o ?missing WHERE { ?s <http://ex/p> ?o "
             "OPTIONAL { ?s <http://ex/q> ?missing } }")
    native = tricky.run_serialized(query, TRICKY_SPEC, format_key=key)
    assert native is not None and native.rows == 8 and not native.truncated
    if key == "csv":
        rows = list(csv.reader(io.StringIO(native.body.decode("utf-8"), newline="")))
        assert len(rows) == 9 and "x,y\r\nz" in {r[1] for r in rows}
        return
    native_answer = parsed(native.body, key, "SELECT")
    values = {row[1] for row in native_answer.rows}
    assert Literal('tab\there\nnewline "quoted" \\ back') in values
    assert Literal("x,y\r\nz", lang="en-GB") in values
    assert Literal("émoji 🧠 ünïcode") in values
    term_path = tricky.run(query, TRICKY_SPEC)
    assert_same_answers(answer_key(native_answer, query), answer_key(term_path, query), key)


@pytest.mark.parametrize("key", [*SOLUTION_KEYS, "csv"])
def test_row_cap_is_exact_and_flagged(tricky: Engine, key: str) -> None:
    query = "SELECT ?o WHERE { ?s <http://ex/p> ?o } ORDER BY STR(?o)"
    full = tricky.run_serialized(query, TRICKY_SPEC, format_key="json")
    assert full is not None and full.rows == 8
    for cap in (1, 3, 7):
        capped = tricky.run_serialized(query, TRICKY_SPEC, max_rows=cap, format_key=key)
        assert capped is not None and capped.truncated and capped.rows == cap
        if key == "csv":
            assert len(list(csv.reader(io.StringIO(capped.body.decode(), newline="")))) == cap + 1
            continue
        rows = [tuple(canonical(t) for t in row)
                for row in parsed(capped.body, key, "SELECT").rows]
        assert rows == [tuple(canonical(t) for t in row)
                        for row in parsed(full.body, "json", "SELECT").rows[:cap]]
        if key == "json":
            assert json.loads(capped.body)["truncated"] is True
    exact = tricky.run_serialized(query, TRICKY_SPEC, max_rows=8, format_key=key)
    assert exact is not None and not exact.truncated and exact.rows == 8
    if key == "json":
        assert "truncated" not in json.loads(exact.body)


@pytest.mark.parametrize("key", GRAPH_KEYS)
def test_construct_cap_is_exact(tricky: Engine, key: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    capped = served(tricky, query, TRICKY_SPEC, key, max_rows=3)
    assert capped.truncated and capped.rows == 3
    assert len(parsed(capped.body, key, "CONSTRUCT").triples) == 3


def test_turtle_declares_only_used_prefixes(engines: dict[str, Engine]) -> None:
    engine = engines["oxigraph"]
    native = served(engine, "CONSTRUCT WHERE { ?d a als:Drug }", key="turtle")
    declared = {line.split()[1] for line in native.body.decode().splitlines()
                if line.startswith("@prefix")}
    assert "als:" in declared and "MONDO:" not in declared
    graph = Graph().parse(data=native.body, format="turtle")
    assert (URIRef("https://w3id.org/alskg/id/intervention/riluzole"), None, None) in graph


def test_deadline_stops_a_native_answer(engines: dict[str, Engine]) -> None:
    query = ("SELECT * WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }")
    with pytest.raises(QueryTimeout):
        engines["oxigraph"].run_serialized(query, max_rows=10**9, timeout=0.2, format_key="json")


def test_executor_uses_native_answers_with_headers(engines: dict[str, Engine]) -> None:
    response = execute(engines["oxigraph"], QueryRequest(
        "SELECT ?s WHERE { ?s rdfs:label ?l }", format_key="json", max_rows=5))
    assert response.ok and response.truncated and response.rows == 5
    assert response.content_type == "application/sparql-results+json; charset=utf-8"
    document = json.loads(response.body)
    assert document["truncated"] is True and len(document["results"]["bindings"]) == 5


@pytest.mark.parametrize("key", ["turtle", "nt", "nquads"])
def test_graph_answers_written_natively_are_the_one_writers_bytes(
    engines: dict[str, Engine], key: str
) -> None:
    """Turtle, N-Triples and N-Quads answers come from Oxigraph's triples without rdflib, and
    are byte for byte what the one writer per syntax gives for the same triples (issue 12):
    blank nodes (the ontology's restrictions) included."""
    engine = engines["oxigraph"]
    query = "CONSTRUCT WHERE { ?s a ?c }"
    native = engine.run_serialized(query, format_key=key)
    assert native is not None and native.rows and not native.truncated
    outcome = engine.run(query)
    assert any(isinstance(t[0], BNode) for t in outcome.triples)
    fmt = formats.by_name(key, "CONSTRUCT")
    assert fmt is not None
    assert native.body == formats.serialize(outcome, fmt, engine.prefixes)
    again = engine.run_serialized(query, format_key=key)
    assert again is not None and again.body == native.body


@pytest.mark.parametrize("key", ["jsonld", "rdfxml", "trig"])
def test_other_graph_syntaxes_go_through_the_one_writer(engines: dict[str, Engine],
                                                         key: str) -> None:
    assert engines["oxigraph"].run_serialized("CONSTRUCT WHERE { ?s a ?c }",
                                              format_key=key) is None


def test_rdflib_engine_has_no_native_writer(engines: dict[str, Engine], tmp_path: Path) -> None:
    assert engines["rdflib"].run_serialized("ASK {}") is None


@pytest.mark.parametrize("key", GRAPH_KEYS)
def test_tricky_literals_survive_every_graph_format(tricky: Engine, key: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    native = served(tricky, query, TRICKY_SPEC, key)
    assert native.rows == 8
    answer = parsed(native.body, key, "CONSTRUCT")
    objects = {o for _s, _p, o in answer.triples}
    assert Literal('tab\there\nnewline "quoted" \\ back') in objects
    assert Literal("x,y\r\nz", lang="en-GB") in objects
    def triples(outcome: QueryOutcome) -> Counter[tuple[Any, ...]]:
        # terms compared by value: rdflib re-normalizes some literals it parses (1 → 1.0e0)
        return Counter(tuple(canonical(t) for t in triple) for triple in outcome.triples)
    assert triples(answer) == triples(tricky.run(query, TRICKY_SPEC))


@pytest.mark.parametrize(("query", "limit"), [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 10", 10),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 7 OFFSET 3", 7),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 } ?s ?q ?x }", None),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 5 VALUES ?s { <http://ex/a> }", None),
    ("SELECT * WHERE { ?s ?p \"} LIMIT 3\" } # } LIMIT 4", None),
    ("SELECT * WHERE { ?s ?p ?o }", None),
])
def test_top_level_limit(query: str, limit: int | None) -> None:
    from alskg.query.sparqltext import top_level_limit

    assert top_level_limit(query) == limit


@pytest.mark.parametrize("key", [*SOLUTION_KEYS, "csv"])
def test_own_limit_within_and_beyond_the_cap(tricky: Engine, key: str) -> None:
    query = "SELECT ?o WHERE { ?s <http://ex/p> ?o } ORDER BY STR(?o) LIMIT 6"
    within = tricky.run_serialized(query, TRICKY_SPEC, max_rows=6, format_key=key)
    beyond = tricky.run_serialized(query, TRICKY_SPEC, max_rows=4, format_key=key)
    assert within is not None and beyond is not None
    assert not within.truncated and beyond.truncated and beyond.rows == 4
    if key == "csv":
        assert len(list(csv.reader(io.StringIO(within.body.decode(), newline="")))) == 7
        return
    assert len(parsed(within.body, key, "SELECT").rows) == 6
    assert len(parsed(beyond.body, key, "SELECT").rows) == 4

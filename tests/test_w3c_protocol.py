"""The W3C SPARQL 1.1 Protocol test manifest, replayed against a live `alskg serve`.

The build holds the manifest's `ut:graphData` files as named graphs (called by their labels) and
in the asserted graph. Query tests must pass as written; update tests must be refused as a
read-only endpoint refuses them (see `w3c.run_protocol_test`). Both engines are tested; the run
takes a few seconds, so it is part of the fast suite.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LiveServer
from w3c import (
    PASSED,
    Outcome,
    ProtocolTest,
    Report,
    protocol_tests,
    run_protocol_suite,
    suites_root,
    write_protocol_build,
)

ENGINES = ("oxigraph", "rdflib")

# Protocol tests that fail because of a server bug reported to the lead; remove an entry when
# the bug is fixed (the xfail is strict, so a fixed bug turns the test red until then).
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _test_names() -> list[str]:
    if suites_root() is None:
        return []
    return [t.local for t in protocol_tests()]


def _params() -> list[object]:
    names = _test_names()
    if not names:
        return [pytest.param("oxigraph", "absent", marks=pytest.mark.skip(
            reason="W3C rdf-tests not found: set $W3C_RDF_TESTS"))]
    params = []
    for engine in ENGINES:
        for name in names:
            marks = []
            if (engine, name) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(engine, name)]))
            params.append(pytest.param(engine, name, marks=marks, id=f"{engine}-{name}"))
    return params


def health(url: str) -> dict[str, object]:
    """Return the server's /health document."""
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def count_quads(url: str) -> int:
    """Count every triple of the default graph and every named graph."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    with urllib.request.urlopen(url + "/sparql?" + urllib.parse.urlencode({"query": query}),
                                timeout=10) as response:
        return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])


class ProtocolRun:
    """One engine's run of the whole manifest, with the data's state before and after."""

    def __init__(self, report: Report, before: tuple[object, int], after: tuple[object, int],
                 tests: list[ProtocolTest]) -> None:
        self.report = report
        self.before = before
        self.after = after
        self.tests = tests

    def outcome(self, name: str) -> Outcome:
        """Return the outcome of the test called `name`."""
        for test, outcome in zip(self.tests, self.report.outcomes, strict=True):
            if test.local == name:
                return outcome
        raise KeyError(name)


_RUNS: dict[str, ProtocolRun] = {}


@pytest.fixture(scope="module")
def protocol_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ProtocolRun]]:
    """Run the manifest once per engine (lazily) and keep the reports."""
    tests = protocol_tests()
    root = tmp_path_factory.mktemp("w3c-protocol")
    write_protocol_build(root, tests)

    def run(engine: str) -> ProtocolRun:
        if engine not in _RUNS:
            server = LiveServer(root, "--engine", engine, "--timeout", "5")
            try:
                before = (health(server.url)["content_hash"], count_quads(server.url))
                report = run_protocol_suite(server.url, tests, f"alskg serve --engine {engine}")
                after = (health(server.url)["content_hash"], count_quads(server.url))
            finally:
                server.stop()
            _RUNS[engine] = ProtocolRun(report, before, after, tests)
        return _RUNS[engine]

    yield run  # type: ignore[misc]
    _RUNS.clear()


@pytest.mark.parametrize(("engine", "name"), _params())
def test_protocol(protocol_runs, engine: str, name: str) -> None:  # type: ignore[no-untyped-def]
    run = protocol_runs(engine)
    outcome = run.outcome(name)
    assert outcome.status == PASSED, outcome.detail


@pytest.mark.parametrize("engine", ENGINES)
def test_protocol_summary_and_data_unchanged(protocol_runs, engine: str,  # type: ignore[no-untyped-def]
                                             capsys: pytest.CaptureFixture[str],
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    if suites_root() is None:
        pytest.skip("W3C rdf-tests not found: set $W3C_RDF_TESTS")
    run = protocol_runs(engine)
    earl = run.report.write_earl(Path(tmp_path_factory.mktemp("earl")))
    with capsys.disabled():
        print("\n" + run.report.summary() + f"\n  EARL: {earl}")
    assert run.report.run == len(run.tests) == 34
    # every update was refused: the data is byte-for-byte what it was
    assert run.after == run.before
    updates = [o for t, o in zip(run.tests, run.report.outcomes, strict=True) if t.is_update]
    assert len(updates) == 14 and all(o.status == PASSED for o in updates)

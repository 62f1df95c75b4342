"""Runners for the W3C SPARQL 1.1 test suites, read in place (never copied into the project).

Two runners share this module:

* the SPARQL 1.1 **Protocol** manifest (`sparql/sparql11/protocol/manifest.ttl`): every
  `ht:Request` is replayed with `http.client` against a live server and checked for status,
  media type and body. Query tests must pass as written. Update tests must be *refused* the way a
  read-only endpoint refuses them (403, or another 4xx where the manifest itself expects one), and
  the query that follows a refused update must show that the update left no trace.
* the SPARQL 1.1 **Query** evaluation tests (`manifest-sparql11-query.ttl` and the result-format
  manifests `csv-tsv-res` and `json-res`): each test's data is written to a temporary N-Quads
  file (`qt:data` into the asserted graph, `qt:graphData` into named graphs called by the files'
  IRIs), opened with `alskg.query.engines.open_engine` and queried through `Engine.run`, as the
  server does. Results are compared as multisets with blank-node isomorphism, ORDER BY-aware
  where the query orders at the top level; graphs are compared by isomorphism.

The suites live in $W3C_RDF_TESTS (default `../shared/w3c-rdf-tests` next to the repository).
Run from the command line too::

    python tests/w3c.py query --engine oxigraph --earl /tmp/earl
    python tests/w3c.py protocol --earl /tmp/earl
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DC, RDF, RDFS, XSD
from rdflib.query import Result
from rdflib.term import Node

REPO_ROOT = Path(__file__).resolve().parents[1]
SUITES_ENV = "W3C_RDF_TESTS"
ASSERTED = "https://w3id.org/alskg/graph/asserted"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
EARL = Namespace("http://www.w3.org/ns/earl#")
DOAP = Namespace("http://usefulinc.com/ns/doap#")

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


# --------------------------------------------------------------------------- locating the suites

def suites_root() -> Path | None:
    """Return the folder holding `sparql/sparql11/`, or None when the suites are absent."""
    configured = os.environ.get(SUITES_ENV)
    root = Path(configured) if configured else REPO_ROOT.parent / "shared" / "w3c-rdf-tests"
    if not root.is_absolute():
        root = (REPO_ROOT / root).resolve()
    return root if (root / "sparql" / "sparql11").is_dir() else None


def sparql11_dir() -> Path:
    """Return `sparql/sparql11` of the suites, skipping the calling test when they are absent."""
    root = suites_root()
    if root is None:
        import pytest

        pytest.skip(f"W3C rdf-tests not found: set ${SUITES_ENV} to a checkout of w3c/rdf-tests "
                    "(default ../shared/w3c-rdf-tests next to the repository)")
    return root / "sparql" / "sparql11"


def file_path(iri: Node | str) -> Path:
    """Return the local path of a file: IRI."""
    return Path(url2pathname(unquote(urlparse(str(iri)).path)))


def load_manifest(path: Path) -> Graph:
    """Parse a Turtle manifest (relative IRIs resolve against its file: IRI)."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=path.resolve().as_uri())
    return graph


def rdf_list(graph: Graph, head: Node | None) -> list[Node]:
    """Return the members of an RDF collection (empty for None)."""
    return [] if head is None else list(Collection(graph, head))


def local_name(iri: str) -> str:
    """Return the part of an IRI after its last '#' or '/'."""
    return re.split(r"[#/]", iri)[-1]


@dataclass
class Outcome:
    """The result of one test on one subject: passed, failed or skipped, with a reason."""

    test: str
    name: str
    suite: str
    status: str
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    """All outcomes of one run of one suite family on one subject (an engine or a server)."""

    title: str
    subject: str
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str, suite: str | None = None) -> int:
        """Return how many outcomes have the status (in one suite, or in all)."""
        return sum(1 for o in self.outcomes if o.status == status and suite in (None, o.suite))

    @property
    def run(self) -> int:
        """Return how many tests ran (passed or failed, not skipped)."""
        return self.count(PASSED) + self.count(FAILED)

    @property
    def pass_rate(self) -> float:
        """Return passed / run (0 when nothing ran)."""
        return self.count(PASSED) / self.run if self.run else 0.0

    def suites(self) -> list[str]:
        """Return the suite names in first-seen order."""
        return list(dict.fromkeys(o.suite for o in self.outcomes))

    def summary(self, show_failures: int = 200) -> str:
        """Return an EARL-style plain-text summary: per suite passed / failed / skipped."""
        width = max([len(s) for s in self.suites()] + [10])
        lines = [f"{self.title} — {self.subject}",
                 f"  {'suite':<{width}}  passed  failed  skipped"]
        for suite in self.suites():
            lines.append(f"  {suite:<{width}}  {self.count(PASSED, suite):>6}  "
                         f"{self.count(FAILED, suite):>6}  {self.count(SKIPPED, suite):>7}")
        lines.append(f"  {'total':<{width}}  {self.count(PASSED):>6}  {self.count(FAILED):>6}  "
                     f"{self.count(SKIPPED):>7}   pass rate {100 * self.pass_rate:.1f} % "
                     f"of {self.run} run")
        failures = [o for o in self.outcomes if o.status == FAILED]
        for outcome in failures[:show_failures]:
            lines.append(f"  FAIL {outcome.suite}/{local_name(outcome.test)}: "
                         f"{outcome.detail[:160]}")
        if len(failures) > show_failures:
            lines.append(f"  … and {len(failures) - show_failures} more failures")
        return "\n".join(lines)

    def earl(self) -> Graph:
        """Return the outcomes as EARL assertions."""
        graph = Graph()
        graph.bind("earl", EARL)
        graph.bind("doap", DOAP)
        graph.bind("dc", DC)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.subject)
        subject = URIRef(f"https://w3id.org/alskg/earl#{slug}")
        graph.add((subject, RDF.type, EARL.TestSubject))
        graph.add((subject, RDF.type, DOAP.Project))
        graph.add((subject, DOAP.name, Literal(f"alskg ({self.subject})")))
        now = Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)
        for outcome in self.outcomes:
            assertion, result = BNode(), BNode()
            graph.add((assertion, RDF.type, EARL.Assertion))
            graph.add((assertion, EARL.subject, subject))
            graph.add((assertion, EARL.test, URIRef(outcome.test)))
            graph.add((assertion, EARL.mode, EARL.automatic))
            graph.add((assertion, EARL.result, result))
            graph.add((result, RDF.type, EARL.TestResult))
            earl_outcome = {PASSED: EARL.passed, FAILED: EARL.failed,
                            SKIPPED: EARL.untested}[outcome.status]
            graph.add((result, EARL.outcome, earl_outcome))
            graph.add((result, DC.date, now))
            if outcome.detail:
                graph.add((result, DC.description, Literal(outcome.detail)))
        return graph

    def write_earl(self, folder: Path) -> Path:
        """Write the EARL Turtle into a folder; return its path."""
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9]+", "-", f"{self.title}-{self.subject}").strip("-").lower()
        path = folder / f"earl-{name}.ttl"
        self.earl().serialize(path, format="turtle")
        return path


# --------------------------------------------------------------------------- RDF files → N-Quads

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
            ".rdf": ox.RdfFormat.RDF_XML, ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
            ".n3": ox.RdfFormat.N3}


def quad_lines(path: Path, graph: str, blank_prefix: str) -> list[str]:
    """Parse an RDF file with pyoxigraph (lexical forms kept) into N-Quads lines in `graph`.

    Blank nodes are renamed with a per-file prefix, so two files never share one.
    """
    fmt = _FORMATS[path.suffix.lower()]
    target = ox.NamedNode(graph)
    lines = []
    for quad in ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()):
        terms = [quad.subject, quad.predicate, quad.object]
        terms = [ox.BlankNode(f"{blank_prefix}{t.value}") if isinstance(t, ox.BlankNode) else t
                 for t in terms]
        lines.append(str(ox.Quad(terms[0], terms[1], terms[2], target)) + " .\n")
    return lines


# --------------------------------------------------------------------------- protocol tests

@dataclass
class HttpRequest:
    """One `ht:Request` of a protocol test and what its response must look like."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    expected_status: frozenset[str]      # status classes: "2xx", "3xx", "4xx", "5xx"
    expected_boolean: bool | None
    expected_format: str | None          # "boolean", "tabular" or "RDF"


@dataclass
class ProtocolTest:
    """One `mf:ProtocolTest`: its IRI, name, graph data (file, graph IRI) and requests."""

    iri: str
    name: str
    graph_data: list[tuple[Path, str]]
    requests: list[HttpRequest]

    @property
    def local(self) -> str:
        """Return the test's short name (after the '#')."""
        return local_name(self.iri)

    @property
    def is_update(self) -> bool:
        """Return True for the tests of the Update operation (refused here)."""
        return "update" in self.local


def protocol_manifest() -> Path:
    """Return the path of the protocol manifest (skipping when the suites are absent)."""
    return sparql11_dir() / "protocol" / "manifest.ttl"


def protocol_tests(manifest: Path | None = None) -> list[ProtocolTest]:
    """Read every protocol test of the manifest, in manifest order."""
    manifest = manifest or protocol_manifest()
    graph = load_manifest(manifest)
    top = URIRef(manifest.resolve().as_uri())
    tests = []
    for entry in rdf_list(graph, graph.value(top, MF.entries)):
        graph_data = []
        for node in graph.objects(entry, UT.graphData):
            graph_data.append((file_path(str(graph.value(node, UT.graph))),
                               str(graph.value(node, RDFS.label))))
        action = graph.value(entry, MF.action)
        requests = [_http_request(graph, node)
                    for node in rdf_list(graph, graph.value(action, HT.requests))]
        tests.append(ProtocolTest(str(entry), str(graph.value(entry, MF.name)),
                                  sorted(graph_data), requests))
    return tests


def _http_request(graph: Graph, node: Node) -> HttpRequest:
    headers = [(str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
               for h in rdf_list(graph, graph.value(node, HT.headers))]
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
    response = graph.value(node, HT.resp)
    statuses = frozenset(str(s).rsplit("StatusCode", 1)[-1]
                         for s in graph.objects(response, MF.expectedStatus))
    boolean: Any = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    return HttpRequest(str(graph.value(node, HT.methodName)),
                       str(graph.value(node, HT.absolutePath)), headers, body, statuses,
                       None if boolean is None else bool(boolean.toPython()),
                       None if fmt is None else str(fmt))


def write_build(root: Path, lines: Iterable[str], label: str = "test",
                version: str = "test") -> Any:
    """Commit a build of N-Quads lines with `BuildWriter`; return the BuiltDataset.

    The receipt carries what the server reads: content hash, dataset size and graph counts.
    """
    from alskg.assembly.store import DATASET_FILE, RECEIPT_FILE, BuildWriter
    from alskg.formats.nquads import content_hash

    ordered = sorted(set(lines))
    counts: Counter[str] = Counter()
    for line in ordered:
        counts[line.rstrip(" .\n").rsplit(" ", 1)[-1].strip("<>")] += 1
    writer = BuildWriter(root)
    try:
        dataset = writer.write_lines(DATASET_FILE, ordered)
        receipt = {"version": version, "content_hash": content_hash(ordered),
                   "dataset_file": DATASET_FILE, "dataset_bytes": dataset.stat().st_size,
                   "graphs": dict(sorted(counts.items())), "triples": len(ordered),
                   "reasoning": {"mode": "none"}, "validated": False,
                   "created": datetime.now(UTC).isoformat(timespec="seconds")}
        writer.write_text(RECEIPT_FILE, json.dumps(receipt, indent=2, sort_keys=True) + "\n")
        return writer.commit(label)
    except BaseException:
        writer.abandon()
        raise


def write_protocol_build(root: Path, tests: Iterable[ProtocolTest]) -> Any:
    """Write a build holding the tests' graph data; return the published BuiltDataset.

    Each `ut:graphData` file becomes a named graph called by its `rdfs:label` IRI, and its
    triples are also loaded into the asserted graph, which the server's default graph includes.
    """
    files: dict[str, Path] = {}
    for test in tests:
        for path, label in test.graph_data:
            files[label] = path
    lines: list[str] = []
    for number, (label, path) in enumerate(sorted(files.items())):
        for graph in (label, ASSERTED):
            lines.extend(quad_lines(path, graph, f"f{number}x"))
    return write_build(root, lines, "w3c-protocol", "w3c-protocol-tests")


@dataclass
class HttpResponse:
    """What the server answered to one request."""

    status: int
    content_type: str
    body: bytes


def send(base_url: str, request: HttpRequest, endpoint: str = "/sparql",
         timeout: float = 30) -> HttpResponse:
    """Send a manifest request verbatim (http.client adds no Content-Type of its own)."""
    parsed = urlparse(base_url)
    path = request.path
    if path.startswith("/sparql/"):
        rest = path[len("/sparql/"):]
        path = endpoint + (rest if rest == "" or rest.startswith("?") else "/" + rest)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                            timeout=timeout)
    try:
        connection.request(request.method, path, body=request.body,
                           headers=dict(request.headers))
        response = connection.getresponse()
        return HttpResponse(response.status, response.getheader("Content-Type", ""),
                            response.read())
    finally:
        connection.close()


BOOLEAN_TYPES = {"application/sparql-results+json": "json",
                 "application/sparql-results+xml": "xml"}
TABULAR_TYPES = {**BOOLEAN_TYPES, "text/csv": "csv", "text/tab-separated-values": "tsv"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle",
             "application/n-triples": "nt", "text/plain": "nt"}


def check_response(request: HttpRequest, response: HttpResponse) -> str | None:
    """Return why a response does not meet the manifest's expectations, or None when it does."""
    status_class = f"{response.status // 100}xx"
    if request.expected_status and status_class not in request.expected_status:
        return (f"status {response.status}, expected {'/'.join(sorted(request.expected_status))}"
                f": {response.body[:200]!r}")
    media_type = response.content_type.split(";")[0].strip().lower()
    if request.expected_format == "boolean" or request.expected_boolean is not None:
        if media_type not in BOOLEAN_TYPES:
            return f"media type {media_type!r} is not a boolean result format"
        try:
            result = Result.parse(io.BytesIO(response.body), format=BOOLEAN_TYPES[media_type])
        except Exception as exc:  # noqa: BLE001 - any parse failure is a test failure
            return f"unparsable {media_type} body: {exc}"
        if result.type != "ASK":
            return f"expected a boolean result, got {result.type}"
        if request.expected_boolean is not None and \
                bool(result.askAnswer) != request.expected_boolean:
            return f"boolean {result.askAnswer}, expected {request.expected_boolean}"
    elif request.expected_format == "tabular":
        if media_type not in TABULAR_TYPES:
            return f"media type {media_type!r} is not a tabular result format"
        try:
            result = Result.parse(io.BytesIO(response.body), format=TABULAR_TYPES[media_type])
        except Exception as exc:  # noqa: BLE001
            return f"unparsable {media_type} body: {exc}"
        if result.type != "SELECT":
            return f"expected solutions, got {result.type}"
    elif request.expected_format == "RDF":
        if media_type not in RDF_TYPES:
            return f"media type {media_type!r} is not an RDF format"
        try:
            Graph().parse(data=response.body, format=RDF_TYPES[media_type])
        except Exception as exc:  # noqa: BLE001
            return f"unparsable {media_type} body: {exc}"
    return None


def run_protocol_test(base_url: str, test: ProtocolTest) -> Outcome:
    """Replay one protocol test against a server and judge it.

    Query tests pass when every response meets the manifest. Update tests pass when the update
    is refused (403 where the manifest expects success; any 4xx where it expects one) and every
    later query answers 200 with a boolean showing the update had no effect.
    """
    started = time.monotonic()
    statuses = []
    try:
        for index, request in enumerate(test.requests):
            response = send(base_url, request)
            statuses.append(response.status)
            problem: str | None
            if not test.is_update:
                problem = check_response(request, response)
            elif index == 0 and "4xx" in request.expected_status:
                problem = None if 400 <= response.status < 500 else \
                    f"malformed update answered {response.status}, expected 4xx"
            elif index == 0:
                problem = None if response.status == 403 else \
                    f"update answered {response.status}, expected 403 (read-only endpoint)"
            else:
                refused = HttpRequest(request.method, request.path, request.headers,
                                      request.body, frozenset({"2xx"}),
                                      None if request.expected_boolean is None
                                      else not request.expected_boolean,
                                      request.expected_format)
                problem = check_response(refused, response)
                if problem:
                    problem = "after the refused update: " + problem
            if problem:
                return Outcome(test.iri, test.name, "protocol", FAILED,
                               f"request {index + 1}: {problem}", time.monotonic() - started)
    except OSError as exc:
        return Outcome(test.iri, test.name, "protocol", FAILED, f"connection error: {exc}",
                       time.monotonic() - started)
    kind = "update refused" if test.is_update else "query"
    return Outcome(test.iri, test.name, "protocol", PASSED,
                   f"{kind}; statuses {statuses}", time.monotonic() - started)


def run_protocol_suite(base_url: str, tests: list[ProtocolTest] | None = None,
                       subject: str = "alskg serve") -> Report:
    """Replay every protocol test against the server at base_url."""
    report = Report("W3C SPARQL 1.1 Protocol", subject)
    for test in tests if tests is not None else protocol_tests():
        report.outcomes.append(run_protocol_test(base_url, test))
    return report


# --------------------------------------------------------------------------- query evaluation

EVAL_KINDS = {MF.QueryEvaluationTest: "eval", MF.CSVResultFormatTest: "csv",
              MF.PositiveSyntaxTest11: "positive-syntax",
              MF.NegativeSyntaxTest11: "negative-syntax"}


@dataclass
class QueryTest:
    """One query test: kind, query file, default-graph data, named-graph data and result."""

    iri: str
    name: str
    suite: str
    kind: str
    query: Path
    data: list[Path]
    graph_data: list[Path]
    result: Path | None
    approval: str = ""


def query_manifests(base: Path | None = None) -> list[Path]:
    """Return the folder manifests of the query suite and of the result-format suites."""
    base = base or sparql11_dir()
    found: list[Path] = []
    top = base / "manifest-sparql11-query.ttl"
    graph = load_manifest(top)
    for node in rdf_list(graph, graph.value(URIRef(top.resolve().as_uri()), MF.include)):
        found.append(file_path(node))
    results = base / "manifest-sparql11-results.ttl"
    if results.is_file():
        graph = load_manifest(results)
        for head in graph.objects(None, MF.conformanceRequirement):
            for node in rdf_list(graph, head):
                path = file_path(node)
                if path.parent.name in ("csv-tsv-res", "json-res"):
                    found.append(path)
    return found


def query_tests(manifests: list[Path] | None = None) -> list[QueryTest]:
    """Read every query evaluation, result-format and syntax test of the manifests."""
    tests = []
    for manifest in manifests if manifests is not None else query_manifests():
        graph = load_manifest(manifest)
        top = URIRef(manifest.resolve().as_uri())
        suite = manifest.parent.name
        for entry in rdf_list(graph, graph.value(top, MF.entries)):
            kinds = [EVAL_KINDS[URIRef(str(t))] for t in graph.objects(entry, RDF.type)
                     if t in EVAL_KINDS]
            if not kinds:
                continue
            action = graph.value(entry, MF.action)
            approval = str(graph.value(entry, URIRef(
                "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#approval")) or "")
            if kinds[0].endswith("syntax"):
                query, data, graph_data = file_path(str(action)), [], []
            else:
                query = file_path(str(graph.value(action, QT.query)))
                data = sorted(file_path(d) for d in graph.objects(action, QT.data))
                graph_data = sorted(file_path(d) for d in graph.objects(action, QT.graphData))
            result: Node | None = graph.value(entry, MF.result)
            tests.append(QueryTest(str(entry), str(graph.value(entry, MF.name)), suite, kinds[0],
                                   query, data, graph_data,
                                   None if result is None else file_path(result),
                                   local_name(approval)))
    return tests


_DATASET_CLAUSE = re.compile(r"\bFROM\b", re.IGNORECASE)


def query_text(test: QueryTest) -> str:
    """Return the query with a BASE of its own file IRI (the suites use relative IRIs)."""
    return f"BASE <{test.query.resolve().as_uri()}>\n" + test.query.read_text(encoding="utf-8")


def has_dataset_clause(text: str) -> bool:
    """Return True when the query names its own dataset (FROM / FROM NAMED)."""
    from alskg.query.sparqltext import masked

    return bool(_DATASET_CLAUSE.search(masked(text)))


def write_test_dataset(test: QueryTest, folder: Path) -> Path:
    """Write the test's data as N-Quads: qt:data into the asserted graph, qt:graphData named."""
    lines: list[str] = []
    for number, path in enumerate(test.data):
        lines.extend(quad_lines(path, ASSERTED, f"d{number}x"))
    for number, path in enumerate(test.graph_data):
        lines.extend(quad_lines(path, path.resolve().as_uri(), f"g{number}x"))
    target = folder / "dataset.nq"
    target.write_text("".join(sorted(set(lines))), encoding="utf-8")
    return target


def dataset_spec(test: QueryTest, text: str) -> Any:
    """Return the dataset a test's query sees (its own FROM clauses win, as on the server)."""
    from alskg.query.engines.base import DatasetSpec

    if has_dataset_clause(text):
        return DatasetSpec(inference=False)
    return DatasetSpec((ASSERTED,) if test.data else (),
                       tuple(p.resolve().as_uri() for p in test.graph_data), inference=False)


# --- expected results

Row = dict[str, Node]


@dataclass
class Solutions:
    """A SELECT or ASK result in comparable form."""

    variables: list[str]
    rows: list[Row] | None = None
    boolean: bool | None = None


_INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger,
             XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger,
             XSD.unsignedLong, XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte}


def norm(term: Node) -> Node:
    """Normalise a term for comparison.

    xsd:string literals become plain, language tags lower-case, and numbers of one datatype
    compare by value ("2.0"^^xsd:decimal = "2"^^xsd:decimal; the datatype must still agree).
    """
    if not isinstance(term, Literal):
        return term
    if term.language:
        return Literal(str(term), lang=term.language.lower())
    datatype = term.datatype
    if datatype is None or datatype == XSD.string:
        return Literal(str(term))
    lexical = str(term).strip()
    try:
        if datatype in _INTEGERS:
            return Literal(str(int(lexical)), datatype=datatype, normalize=False)
        if datatype == XSD.decimal:
            value = Decimal(lexical)
            text = format(value.normalize(), "f") if value else "0"
            return Literal(text, datatype=datatype, normalize=False)
        if datatype in (XSD.float, XSD.double):
            return Literal(repr(float(lexical)), datatype=datatype, normalize=False)
    except (ValueError, ArithmeticError):
        pass
    return Literal(lexical, datatype=datatype, normalize=False)


def result_solutions(result: Result) -> Solutions:
    """Convert an rdflib Result to Solutions."""
    if result.type == "ASK":
        return Solutions([], boolean=bool(result.askAnswer))
    variables = [str(v) for v in result.vars or []]
    rows = [{str(k): norm(v) for k, v in binding.items() if v is not None}
            for binding in result.bindings]
    return Solutions(variables, rows)


def result_set_graph(graph: Graph) -> Solutions | None:
    """Read the DAWG result-set vocabulary (rs:ResultSet) from a graph, if it holds one."""
    node = graph.value(None, RDF.type, RS.ResultSet)
    if node is None:
        return None
    boolean = graph.value(node, RS.boolean)
    if isinstance(boolean, Literal):
        return Solutions([], boolean=bool(boolean.toPython()))
    variables = [str(v) for v in graph.objects(node, RS.resultVariable)]
    indexed: list[tuple[int, Row]] = []
    for solution in graph.objects(node, RS.solution):
        row: Row = {}
        for binding in graph.objects(solution, RS.binding):
            value = graph.value(binding, RS.value)
            if value is not None:
                row[str(graph.value(binding, RS.variable))] = norm(value)
        index = graph.value(solution, RS["index"])
        indexed.append((int(str(index)) if index is not None else 0, row))
    rows = [row for _, row in sorted(indexed, key=lambda pair: pair[0])]
    return Solutions(variables, rows)


def load_expected(path: Path) -> Solutions | Graph:
    """Parse an expected result: .srx/.srj/.tsv solutions, or an RDF graph (or result set)."""
    suffix = path.suffix.lower()
    if suffix in (".srx", ".srj", ".tsv"):
        fmt = {".srx": "xml", ".srj": "json", ".tsv": "tsv"}[suffix]
        with path.open("rb") as handle:
            return result_solutions(Result.parse(handle, format=fmt))
    graph = Graph()
    rdf_format = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".n3": "n3"}[suffix]
    graph.parse(path, format=rdf_format, publicID=path.resolve().as_uri())
    solutions = result_set_graph(graph)
    return solutions if solutions is not None else graph


# --- comparison

def _rows_key(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, "_:" if isinstance(v, BNode) else v.n3()) for k, v in row.items()))


def rows_isomorphic(expected: list[Row], actual: list[Row], budget: int = 200_000) -> bool:
    """Return True when two solution multisets are equal up to a renaming of blank nodes."""
    if len(expected) != len(actual):
        return False
    if Counter(map(_rows_key, expected)) != Counter(map(_rows_key, actual)):
        return False
    if not any(isinstance(v, BNode) for row in expected + actual for v in row.values()):
        return True
    plain_e = [r for r in expected if not any(isinstance(v, BNode) for v in r.values())]
    plain_a = [r for r in actual if not any(isinstance(v, BNode) for v in r.values())]
    if Counter(map(_exact_key, plain_e)) != Counter(map(_exact_key, plain_a)):
        return False
    todo_e = [r for r in expected if any(isinstance(v, BNode) for v in r.values())]
    todo_a = [r for r in actual if any(isinstance(v, BNode) for v in r.values())]
    steps = [0]

    def match(index: int, used: set[int], forward: dict[Node, Node],
              backward: dict[Node, Node]) -> bool:
        if index == len(todo_e):
            return True
        steps[0] += 1
        if steps[0] > budget:
            return False
        row = todo_e[index]
        for position, candidate in enumerate(todo_a):
            if position in used or set(candidate) != set(row):
                continue
            new_f, new_b = dict(forward), dict(backward)
            if _extend(row, candidate, new_f, new_b) and \
                    match(index + 1, used | {position}, new_f, new_b):
                return True
        return False

    return match(0, set(), {}, {})


def _exact_key(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v.n3()) for k, v in row.items()))


def _extend(row: Row, candidate: Row, forward: dict[Node, Node],
            backward: dict[Node, Node]) -> bool:
    for name, value in row.items():
        other = candidate[name]
        if isinstance(value, BNode) != isinstance(other, BNode):
            return False
        if not isinstance(value, BNode):
            if value != other:
                return False
            continue
        if forward.get(value, other) != other or backward.get(other, value) != value:
            return False
        forward[value] = other
        backward[other] = value
    return True


def order_keys(text: str, variables: list[str]) -> list[str]:
    """Return the projected variables of a top-level ORDER BY (empty when unordered)."""
    from alskg.query.sparqltext import masked

    plain = masked(text)
    found = None
    for match in re.finditer(r"\bORDER\s+BY\b", plain, re.IGNORECASE):
        if plain[:match.start()].count("{") == plain[:match.start()].count("}"):
            found = match
    if found is None:
        return []
    clause = re.split(r"\b(?:LIMIT|OFFSET|VALUES)\b", plain[found.end():],
                      flags=re.IGNORECASE)[0]
    names = [m.group(1) for m in re.finditer(r"[?$]([A-Za-z0-9_]+)", clause)]
    return [n for n in dict.fromkeys(names) if n in variables]


def ordered_columns(rows: list[Row], keys: list[str]) -> list[tuple[str, ...]]:
    """Return the ORDER BY key columns of the rows, in order (blank nodes anonymised)."""
    return [tuple("_:" if isinstance(row.get(k), BNode) else
                  (row[k].n3() if k in row else "") for k in keys) for row in rows]


def compare_solutions(expected: Solutions, actual: Solutions, keys: list[str]) -> str | None:
    """Return why two results differ, or None when they match."""
    if expected.boolean is not None or actual.boolean is not None:
        if expected.boolean != actual.boolean:
            return f"boolean {actual.boolean}, expected {expected.boolean}"
        return None
    assert expected.rows is not None and actual.rows is not None
    if not rows_isomorphic(expected.rows, actual.rows):
        return (f"{len(actual.rows)} rows, expected {len(expected.rows)}; first differences: "
                f"{_difference(expected.rows, actual.rows)}")
    if keys and ordered_columns(expected.rows, keys) != ordered_columns(actual.rows, keys):
        return f"rows in a different order (ORDER BY {' '.join('?' + k for k in keys)})"
    return None


def _difference(expected: list[Row], actual: list[Row]) -> str:
    missing = Counter(map(_rows_key, expected)) - Counter(map(_rows_key, actual))
    extra = Counter(map(_rows_key, actual)) - Counter(map(_rows_key, expected))
    if not missing and not extra:
        return "the blank nodes do not correspond (same rows up to blank-node labels)"
    return f"missing {list(missing)[:2]}, unexpected {list(extra)[:2]}"


def normalised_graph(triples: Iterable[tuple[Node, Node, Node]]) -> Graph:
    """Return a graph of the triples with literals normalised for comparison."""
    graph = Graph()
    for s, p, o in triples:
        graph.add((s, p, norm(o)))
    return graph


# --- running

def outcome_solutions(outcome: Any) -> Solutions:
    """Convert an engine QueryOutcome (SELECT or ASK) to Solutions."""
    if outcome.form == "ASK":
        return Solutions([], boolean=bool(outcome.boolean))
    for row in outcome.rows:
        for value in row:
            if value is not None and not isinstance(value, (URIRef, BNode, Literal)):
                raise TypeError(f"the engine returned a non-RDF value {value!r} "
                                f"({type(value).__name__}); the server cannot serialize it")
    rows = [{name: norm(value) for name, value in zip(outcome.variables, row, strict=True)
             if value is not None} for row in outcome.rows]
    return Solutions(list(outcome.variables), rows)


def served_solutions(outcome: Any, suffix: str) -> Solutions:
    """Serialize an outcome as the server would (alskg.formats.media) and parse it back."""
    from alskg.formats import media as formats

    key = {".srj": "json", ".srx": "xml", ".tsv": "tsv", ".csv": "csv"}[suffix]
    fmt = formats.by_name(key, outcome.form)
    assert fmt is not None
    body = formats.serialize(outcome, fmt, {})
    return result_solutions(Result.parse(io.BytesIO(body), format=key))


def compare_csv(expected_path: Path, outcome: Any) -> str | None:
    """Compare the server's CSV serialization with an expected CSV file (as text cells)."""
    from alskg.formats import media as formats

    fmt = formats.by_name("csv", outcome.form)
    assert fmt is not None
    body = formats.serialize(outcome, fmt, {}).decode("utf-8")
    got = list(csv.reader(io.StringIO(body)))
    want = list(csv.reader(io.StringIO(expected_path.read_text(encoding="utf-8"))))
    # SELECT * leaves the column order to the implementation: compare the header as a set.
    if not got or not want or sorted(got[0]) != sorted(want[0]):
        return f"CSV header {got[:1]}, expected {want[:1]}"

    def rows(table: list[list[str]]) -> list[Row]:
        header = table[0]
        return [{h: (BNode(c[2:]) if c.startswith("_:") else Literal(c))
                 for h, c in zip(header, line, strict=False) if c != ""}
                for line in table[1:] if line]

    if not rows_isomorphic(rows(want), rows(got)):
        return f"CSV rows differ: got {got[1:4]}, expected {want[1:4]}"
    return None


def run_query_test(engine_name: str, test: QueryTest, folder: Path,
                   timeout: float = 20.0) -> Outcome:
    """Run one query test on one engine and judge it."""
    from alskg.errors import QuerySyntaxError
    from alskg.query.engines import open_engine

    started = time.monotonic()

    def done(status: str, detail: str = "") -> Outcome:
        return Outcome(test.iri, test.name, test.suite, status, detail,
                       time.monotonic() - started)

    try:
        text = query_text(test)
    except UnicodeDecodeError as exc:
        return done(SKIPPED, f"query file is not UTF-8: {exc}")
    engine = None
    try:
        dataset = write_test_dataset(test, folder)
        engine = open_engine(engine_name, dataset)
        if test.kind.endswith("syntax"):
            try:
                engine.run(text, dataset_spec(test, text), timeout=timeout)
            except QuerySyntaxError as exc:
                if test.kind == "negative-syntax":
                    return done(PASSED)
                return done(FAILED, f"rejected a valid query: {str(exc)[:200]}")
            except Exception as exc:  # noqa: BLE001 - parsed, then failed to evaluate
                if test.kind == "negative-syntax":
                    return done(FAILED, f"parsed an invalid query (then {type(exc).__name__})")
                return done(PASSED, f"parsed; evaluation then raised {type(exc).__name__}")
            if test.kind == "negative-syntax":
                return done(FAILED, "accepted an invalid query")
            return done(PASSED)
        if test.result is None:
            return done(SKIPPED, "no mf:result")
        outcome = engine.run(text, dataset_spec(test, text), max_rows=1_000_000,
                             timeout=timeout)
        suffix = test.result.suffix.lower()
        if test.kind == "csv" or suffix == ".csv":
            problem = compare_csv(test.result, outcome)
            return done(FAILED, problem) if problem else done(PASSED)
        expected = load_expected(test.result)
        if isinstance(expected, Graph):
            if outcome.form in ("SELECT", "ASK"):
                return done(FAILED, f"expected a graph, got a {outcome.form} result")
            if not isomorphic(expected, normalised_graph(outcome.triples)):
                got = normalised_graph(outcome.triples)
                return done(FAILED, f"graph of {len(got)} triples is not isomorphic to the "
                            f"expected {len(expected)}")
            return done(PASSED)
        if outcome.form not in ("SELECT", "ASK"):
            return done(FAILED, f"expected solutions, got a {outcome.form} graph")
        if test.suite in ("json-res", "csv-tsv-res"):
            actual = served_solutions(outcome, suffix)
        else:
            actual = outcome_solutions(outcome)
        keys = order_keys(text, actual.variables)
        problem = compare_solutions(expected, actual, keys)
        return done(FAILED, problem) if problem else done(PASSED)
    except QuerySyntaxError as exc:
        return done(FAILED, f"QuerySyntaxError: {str(exc)[:200]}")
    except Exception as exc:  # noqa: BLE001 - every engine error is a reported failure
        return done(FAILED, f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        if engine is not None:
            engine.close()


def run_query_suite(engine_name: str, tests: list[QueryTest] | None = None,
                    timeout: float = 20.0, progress: bool = False) -> Report:
    """Run every query test on one engine; return the report."""
    report = Report("W3C SPARQL 1.1 Query", engine_name)
    rdflib_log = logging.getLogger("rdflib")
    level = rdflib_log.level
    rdflib_log.setLevel(logging.ERROR)  # the suites hold IRIs rdflib warns about, on purpose
    with tempfile.TemporaryDirectory(prefix="alskg-w3c-") as tmp:
        for number, test in enumerate(tests if tests is not None else query_tests()):
            folder = Path(tmp) / str(number)
            folder.mkdir()
            report.outcomes.append(run_query_test(engine_name, test, folder, timeout))
            if progress and report.outcomes[-1].seconds > 2:
                print(f"  slow: {test.suite}/{local_name(test.iri)} "
                      f"{report.outcomes[-1].seconds:.1f} s", file=sys.stderr)
    rdflib_log.setLevel(level)
    return report


# --------------------------------------------------------------------------- command line

def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", choices=["query", "protocol"])
    parser.add_argument("--engine", action="append", choices=["oxigraph", "rdflib"],
                        help="engines to test (default both)")
    parser.add_argument("--earl", type=Path, help="write EARL Turtle into this folder")
    parser.add_argument("--failures", type=int, default=200, help="failures listed")
    args = parser.parse_args(argv)
    if suites_root() is None:
        print(f"W3C rdf-tests not found; set ${SUITES_ENV}", file=sys.stderr)
        return 2
    reports = []
    if args.suite == "query":
        suite = query_tests()
        for engine in args.engine or ["oxigraph", "rdflib"]:
            started = time.monotonic()
            reports.append(run_query_suite(engine, suite, progress=True))
            print(f"({engine}: {time.monotonic() - started:.1f} s)", file=sys.stderr)
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from conftest import LiveServer

        tests = protocol_tests()
        for engine in args.engine or ["oxigraph", "rdflib"]:
            with tempfile.TemporaryDirectory(prefix="alskg-w3c-protocol-") as tmp:
                write_protocol_build(Path(tmp), tests)
                server = LiveServer(Path(tmp), "--engine", engine, "--timeout", "5")
                try:
                    reports.append(run_protocol_suite(server.url, tests,
                                                      f"alskg serve --engine {engine}"))
                finally:
                    server.stop()
    for report in reports:
        print(report.summary(args.failures))
        if args.earl:
            print(f"  EARL: {report.write_earl(args.earl)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_main())
    except KeyboardInterrupt:
        traceback.print_exc()
        sys.exit(130)

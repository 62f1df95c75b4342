"""Issue 20, items 10, 12 and 13 against a live server and the real CLI.

* 10: a CONSTRUCT whose predicate has no XML local name (`<urn:x:p>`, an IRI ending in `/`)
  asked as RDF/XML answers 406 naming the formats that can carry it, not 500; the same query
  as Turtle answers the right triples; `alskg query --format rdfxml` exits 2 with one line.
* 12: an empty or comment-only query is 400 "Empty query" on every channel (it used to be 403
  "SPARQL Update is not allowed"); `alskg query --file` with a missing, binary, non-UTF-8 or
  folder path exits 2 with one line naming the file, never a traceback.
* 13: the time limit holds inside the writers: a CONSTRUCT with many alike blank nodes (rdflib's
  canonicalization takes seconds over it) as N-Triples, Turtle or N-Quads answers 503 at the
  limit without its query worker being killed, JSON-LD of it answers at once, and
  `alskg query --timeout 1` (no worker to kill there) exits 3 within the limit.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LiveServer
from faults import alskg, call, fresh, one_line_error, query
from prometheus_client.parser import text_string_to_metric_families
from rdflib import Graph, URIRef

from alskg.cli import main

TIMEOUT = 2.0
BLANKS = ("CONSTRUCT { _:b <urn:x:p> ?o . _:b <urn:x:q> ?s } WHERE { ?s ?p ?o } LIMIT 400")
NO_QNAME = {"urn": "urn:x:p", "slash": "http://example.org/a/"}


@pytest.fixture(scope="module")
def server(build_root: Path) -> Iterator[LiveServer]:
    """A live server with a 2 s time limit and one query worker."""
    live = LiveServer(build_root, "--timeout", str(TIMEOUT), "--query-workers", "1")
    yield live
    live.stop()


def restarts(server: LiveServer) -> float:
    """Return how many query workers the server has replaced (from /metrics)."""
    answer = call(server.url + "/metrics")
    assert answer.status == 200
    return sum(sample.value for family in text_string_to_metric_families(answer.text())
               for sample in family.samples
               if sample.name == "alskg_query_worker_restarts_total")


# --------------------------------------------------------------------------- 10: RDF/XML

@pytest.mark.parametrize("kind", sorted(NO_QNAME))
def test_rdfxml_without_a_qname_is_406_naming_the_formats(server: LiveServer, kind: str) -> None:
    predicate = NO_QNAME[kind]
    text = f"CONSTRUCT {{ ?s <{predicate}> ?o }} WHERE {{ ?s a ?o }} LIMIT 5"
    refused = query(server.url, fresh(text), accept="application/rdf+xml")
    assert refused.status == 406, (refused.status, refused.body[:300])
    message = refused.text()
    assert f"<{predicate}>" in message
    for media in ("text/turtle", "application/n-triples", "application/ld+json"):
        assert media in message, message
    carried = query(server.url, fresh(text), accept="text/turtle")
    assert carried.status == 200
    graph = Graph().parse(data=carried.text(), format="turtle")
    assert len(graph) == 5 and set(graph.predicates()) == {URIRef(predicate)}


def test_cli_rdfxml_without_a_qname_is_one_line(build_root: Path) -> None:
    done = alskg("query", "--build-dir", str(build_root), "--format", "rdfxml",
                 "CONSTRUCT { ?s <urn:x:p> ?o } WHERE { ?s a ?o } LIMIT 2")
    line = one_line_error(done)
    assert "<urn:x:p>" in line and "RDF/XML" in line


# --------------------------------------------------------------------------- 12: edges

@pytest.mark.parametrize("text", ["", "   \n", "# only a comment", "# one\n  # two\n"],
                         ids=["empty", "blank", "comment", "comments"])
def test_empty_or_comment_only_query_is_400_on_every_channel(server: LiveServer,
                                                             text: str) -> None:
    channels = {
        "get": call(server.url + "/sparql?" + urllib.parse.urlencode({"query": text})),
        "form": call(server.url + "/sparql", "POST", urllib.parse.urlencode(
            {"query": text}).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
        "direct": call(server.url + "/sparql", "POST", text.encode(),
                       {"Content-Type": "application/sparql-query"}),
    }
    for channel, answer in channels.items():
        assert answer.status == 400, (channel, answer.status, answer.body)
        assert answer.text().startswith("Empty query"), (channel, answer.body)
    after = query(server.url, fresh("ASK { ?s ?p ?o }"))
    assert after.status == 200 and after.json()["boolean"] is True


def test_cli_query_file_problems_are_one_line(build_root: Path, tmp_path: Path) -> None:
    """One real `alskg query` process (a binary file); the other files through click's runner
    (the same command in this process, its stderr apart)."""
    binary = tmp_path / "picture.rq"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    line = one_line_error(alskg("query", "--build-dir", str(build_root), "--file", str(binary)))
    assert line.startswith(f"error: --file {binary}: a binary file"), line
    latin = tmp_path / "latin.rq"
    latin.write_bytes("SELECT * WHERE { ?s ?p \"caf\xe9\" }".encode("latin-1"))
    comment = tmp_path / "comment.rq"
    comment.write_text("# nothing to run\n", encoding="utf-8")
    cases = {tmp_path / "missing.rq": "--file {}: No such file", latin: "--file {}: not UTF-8",
             tmp_path: "--file {}: Is a directory", comment: "empty query: "}
    runner = CliRunner()
    for path, reason in cases.items():
        done = runner.invoke(main, ["query", "--build-dir", str(build_root), "--file",
                                    str(path)])
        lines = done.stderr.strip().splitlines()
        assert done.exit_code == 2 and len(lines) == 1, (done.exit_code, done.output)
        assert lines[0].startswith("error: " + reason.format(path)), lines


# --------------------------------------------------------------------------- 13: writers

def test_time_limit_holds_inside_the_canonical_writer(server: LiveServer) -> None:
    """N-Triples here; Turtle and N-Quads go through the same canonicalization (and the CLI
    test below writes Turtle)."""
    before = restarts(server)
    answer = query(server.url, fresh(BLANKS), accept="application/n-triples")
    assert answer.status == 503, (answer.status, answer.body[:300])
    assert "limit" in answer.text()
    assert TIMEOUT - 0.2 < answer.seconds < TIMEOUT + 0.45, answer.seconds
    assert restarts(server) == before, "the worker was killed: the writer ignored the deadline"
    quick = query(server.url, fresh(BLANKS), accept="application/ld+json")
    assert quick.status == 200 and quick.seconds < TIMEOUT
    nodes = json.loads(quick.body)["@graph"]
    assert len(nodes) == 400 and all(node["@id"].startswith("_:") for node in nodes)


def test_cli_time_limit_holds_inside_the_writer(build_root: Path) -> None:
    started = time.monotonic()
    done = alskg("query", "--build-dir", str(build_root), "--timeout", "1", "--format", "turtle",
                 BLANKS)
    line = one_line_error(done, code=3)
    assert "time limit" in line
    assert time.monotonic() - started < 6, "the writer ran past the limit"

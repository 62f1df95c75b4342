"""Comunica (npm @comunica/query-sparql v4), an integrator's federated SPARQL engine, against a
live alskg server: a SELECT over the endpoint, and a federated join of the endpoint with a local
Turtle file (served from the test's folder on loopback; Comunica's query-sparql build reads sources
over HTTP only). Comunica's own JSON results are parsed.

`.ci/install-comunica.sh` installs it into ./node_modules; in CI (env CI set) a missing Comunica
fails the test, elsewhere the test is skipped with that reason."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, missing, serving

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/alskg/id/"
PREFIXES = ("PREFIX als: <https://w3id.org/alskg/vocab#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "PREFIX ex: <http://example.org/formulary#> ")

pytestmark = pytest.mark.comunica


@pytest.fixture(scope="module")
def comunica() -> str:
    """The comunica-sparql binary: $ALSKG_COMUNICA, ./node_modules/.bin, or on PATH."""
    candidates = [os.environ.get("ALSKG_COMUNICA"), str(ROOT / "node_modules/.bin/comunica-sparql"),
                  shutil.which("comunica-sparql")]
    found = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if found is None:
        missing("comunica-sparql not found: run .ci/install-comunica.sh")
    return found


def run_comunica(binary: str, sources: list[str], query: str) -> dict:  # type: ignore[type-arg]
    """Run a Comunica query over the sources; return its parsed SPARQL JSON results."""
    completed = subprocess.run(
        [binary, *sources, "-t", "application/sparql-results+json", "-q", query],
        capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


@pytest.fixture()
def turtle_file_url(tmp_path: Path) -> Iterator[str]:
    """A local Turtle file whose triples join the endpoint's drugs, served on 127.0.0.1."""
    (tmp_path / "formulary.ttl").write_text(
        "@prefix ex: <http://example.org/formulary#> .\n"
        f"<{ID}intervention/riluzole> ex:form \"tablet\" ; ex:strengthMg 50 .\n"
        f"<{ID}intervention/edaravone> ex:form \"intravenous infusion\" .\n"
        "<http://example.org/not-in-alskg> ex:form \"capsule\" .\n", encoding="utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {".ttl": "text/turtle"}

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            """Keep the test output quiet."""

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path)))
    with serving(server) as port:
        yield f"http://127.0.0.1:{port}/formulary.ttl"


def values(results: dict, name: str) -> set[str]:  # type: ignore[type-arg]
    """Return the values of one variable in SPARQL JSON results."""
    return {row[name]["value"] for row in results["results"]["bindings"] if name in row}


def test_comunica_select_against_the_endpoint(comunica: str, live_server: LiveServer) -> None:
    """Comunica reads the endpoint's answer whole: the same drug-label pairs the endpoint gives
    a plain HTTP client, the four approved drugs of the 2017 slice among them."""
    query = PREFIXES + "SELECT ?drug ?label WHERE { ?drug a als:Drug ; rdfs:label ?label }"
    results = run_comunica(comunica, [f"sparql@{live_server.url}/sparql"], query)
    assert results["head"]["vars"] == ["drug", "label"]
    direct = json.loads(urllib.request.urlopen(  # noqa: S310 - the test's own loopback server
        urllib.request.Request(f"{live_server.url}/sparql?" + urllib.parse.urlencode(
            {"query": query}), headers={"Accept": "application/sparql-results+json"}),
        timeout=60).read())

    def pairs(answer: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
        return {(row["drug"]["value"], row["label"]["value"])
                for row in answer["results"]["bindings"]}

    assert pairs(results) == pairs(direct)
    drugs = ("riluzole", "edaravone", "tofersen", "sodium-phenylbutyrate-taurursodiol")
    assert {ID + "intervention/" + slug for slug in drugs} <= values(results, "drug")
    assert len(values(results, "drug")) > len(drugs)


def test_comunica_federates_the_endpoint_with_a_local_turtle_file(
        comunica: str, live_server: LiveServer, turtle_file_url: str) -> None:
    results = run_comunica(
        comunica, [f"sparql@{live_server.url}/sparql", turtle_file_url],
        PREFIXES + "SELECT ?drug ?label ?form WHERE { ?drug a als:Drug ; rdfs:label ?label ; "
        "ex:form ?form }")
    rows = {(row["drug"]["value"], row["label"]["value"], row["form"]["value"])
            for row in results["results"]["bindings"]}
    # Types and labels come from the endpoint, forms from the file: only the join answers.
    assert rows == {(ID + "intervention/riluzole", "riluzole", "tablet"),
                    (ID + "intervention/edaravone", "edaravone", "intravenous infusion")}

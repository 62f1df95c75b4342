"""The evidence matrix: the pure function, the cells the source states, links that resolve,
asserted vs inferred, and its three views (HTML, JSON, `alskg evidence`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from alskg.cli import main
from alskg.query.evidence import EvidenceMatrix, compute_matrix, matrix_from_results, render_text

ID = "https://w3id.org/alskg/id/"
VOCAB = "https://w3id.org/alskg/vocab#"
# What the 2017 review says (its claim is in the cell, beside later study findings).
EXPECTED = [("riluzole", "survival", "established"), ("msc-therapy", "safety", "supported"),
            ("msc-therapy", "effectiveness", "unproven"),
            ("edaravone", "slowing-progression", "suggested"),
            ("riluzole", "function", "not-shown"), ("edaravone", "cure", "not-shown")]
REVIEW_DATE = "2017-03-21"


@pytest.fixture(scope="module")
def matrix(app: Flask) -> EvidenceMatrix:
    """The matrix computed through the app's Service."""
    return compute_matrix(app.extensions["alskg"])


def existing(client: FlaskClient, iris: set[str]) -> set[str]:
    """Return which IRIs occur as a subject in any graph of the endpoint."""
    values = " ".join(f"<{iri}>" for iri in sorted(iris))
    response = client.get("/sparql", query_string={"query": (
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} "
        "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")})
    assert response.status_code == 200
    return {b["s"]["value"] for b in json.loads(response.get_data())["results"]["bindings"]}


# --- the pure function ------------------------------------------------------------------------

def test_pure_function_tells_asserted_from_inferred() -> None:
    interventions = [
        {"intervention": ID + "intervention/a", "interventionLabel": "alpha",
         "class": VOCAB + "CellTherapy", "classLabel": "cell therapy", "inferred": "false"},
        {"intervention": ID + "intervention/a", "interventionLabel": "alpha",
         "class": VOCAB + "InvestigationalIntervention", "classLabel": "investigational",
         "inferred": "true"},
        {"intervention": ID + "intervention/d", "interventionLabel": "delta",
         "class": VOCAB + "Drug", "classLabel": "drug", "inferred": "false"},
    ]
    claims = [
        {"intervention": ID + "intervention/a", "claim": ID + "claim/a-safety",
         "claimLabel": "a safe", "aspect": ID + "aspect/safety", "aspectLabel": "safety",
         "status": ID + "status/supported", "statusLabel": "supported", "asserted": "true",
         "evidence": ID + "study/s1", "evidenceLabel": "S1"},
        {"intervention": ID + "intervention/a", "claim": ID + "claim/a-safety",
         "claimLabel": "a safe", "aspect": ID + "aspect/safety", "aspectLabel": "safety",
         "status": ID + "status/supported", "statusLabel": "supported", "asserted": "true",
         "evidence": ID + "publication/p1", "evidenceLabel": "P1"},
        {"intervention": ID + "intervention/a", "claim": ID + "claim/a-derived",
         "aspect": ID + "aspect/safety", "status": ID + "status/suggested", "asserted": "false"},
        {"intervention": ID + "intervention/d", "claim": ID + "claim/d-x",
         "aspect": ID + "aspect/novel-aspect", "aspectLabel": "novel aspect",
         "status": ID + "status/established", "asserted": "1"},
    ]
    summaries = [{"summary": ID + "summary/a--cure", "intervention": ID + "intervention/a",
                  "aspect": ID + "aspect/cure", "status": ID + "status/not-shown",
                  "statusLabel": "not shown", "claimCount": "0", "asserted": "false"}]
    result = matrix_from_results(interventions, claims, summaries)
    # by group (no approval here: both investigational), then by name
    assert [r.intervention.label for r in result.rows] == ["alpha", "delta"]
    assert [a.key for a in result.aspects][:2] == ["safety", "feasibility"]
    assert result.aspects[-1].key == "novel-aspect"  # unknown aspects follow the known ones
    safety = result.cell("a", "safety")
    assert safety is not None and safety.status == "supported" and safety.asserted
    assert [c.claim.href for c in safety.claims] == ["/id/claim/a-safety", "/id/claim/a-derived"]
    assert [s.href for s in safety.claims[0].studies] == ["/id/study/s1"]
    assert [p.href for p in safety.claims[0].publications] == ["/id/publication/p1"]
    assert safety.claims[1].asserted is False
    cure = result.cell("a", "cure")
    assert cure is not None and not cure.claims and cure.asserted is False
    assert cure.status == "not-shown" and cure.link.href == "/id/summary/a--cure"
    assert cure.text() == "✕ not shown*"
    row = result.row(ID + "intervention/a")
    # investigational is computed for the date shown (no approval in force), not read from
    # the class the reasoner derived for the date the evidence was last checked
    assert row is not None and row.inferred_classes == () and row.investigational
    assert result.cell("a", "survival") is None
    document = result.to_json()
    assert document["rows"][0]["cells"]["cure"]["graph"] == "inferred"
    assert document["rows"][0]["cells"]["survival"] is None
    text = render_text(result)
    assert "◕ supported +1" in text and "investigational*" in text
    regulatory = [{"event": ID + "regulatory/x", "intervention": ID + "intervention/d",
                   "agencyShort": "FDA", "actionLabel": "approval", "grantsApproval": "true",
                   "indicationLabel": "ALS", "validFrom": "2001-01-01",
                   "endedOn": "2010-01-01"}]
    then = matrix_from_results(interventions, claims, summaries, regulatory_rows=regulatory,
                               as_of="2005-01-01")
    delta = then.row(ID + "intervention/d")
    assert delta is not None and not delta.investigational
    assert [r.state for r in delta.regulatory] == ["approved"]
    now = matrix_from_results(interventions, claims, summaries, regulatory_rows=regulatory)
    assert [r.state for r in now.row(ID + "intervention/d").regulatory] == ["withdrawn"]


# --- the real data ----------------------------------------------------------------------------

@pytest.mark.parametrize(("intervention", "aspect", "status"), EXPECTED)
def test_cells_state_what_the_source_says(matrix: EvidenceMatrix, intervention: str,
                                          aspect: str, status: str) -> None:
    cell = matrix.cell(intervention, aspect)
    assert cell is not None, (intervention, aspect)
    review = [c for c in cell.claims if c.valid_from == REVIEW_DATE
              and c.kind == "source assertion"]
    assert [c.status.key for c in review] == [status]
    assert all(c.asserted for c in review)  # the curators' claim, not a derivation


def test_columns_are_the_aspects(matrix: EvidenceMatrix) -> None:
    keys = [a.key for a in matrix.aspects]
    for core in ("safety", "feasibility", "survival", "slowing-progression", "function",
                 "quality-of-life", "cure", "effectiveness", "neuromuscular-improvement"):
        assert core in keys
    assert keys.index("safety") < keys.index("survival") < keys.index("cure")


def test_inferred_information_is_marked(matrix: EvidenceMatrix) -> None:
    msc = matrix.row("msc-therapy")
    assert msc is not None and msc.investigational and not msc.regulatory
    riluzole = matrix.row("riluzole")
    assert riluzole is not None and not riluzole.inferred_classes
    assert not riluzole.investigational and riluzole.regulatory
    summary = matrix.cell("riluzole", "survival").summary  # type: ignore[union-attr]
    assert summary is not None and summary.asserted is False


def test_every_cell_links_to_its_claims_studies_and_publications(
        matrix: EvidenceMatrix) -> None:
    safety = matrix.cell("msc-therapy", "safety")
    assert safety is not None
    claim = safety.claims[0]
    assert claim.claim.href == "/id/claim/msc-therapy-safety"
    assert {"/id/study/karussis-2010", "/id/study/deda-2009"} <= {s.href for s in claim.studies}
    assert "/id/publication/bonafede-mariotti-2017" in {p.href for p in claim.publications}


def test_every_link_resolves_to_a_resource_in_the_graph(client: FlaskClient,
                                                        matrix: EvidenceMatrix) -> None:
    links = {link.iri: link.href for link in matrix.links()}
    assert all(href.startswith("/") for href in links.values())
    assert set(links) <= existing(client, set(links))
    html = client.get("/evidence").get_data(as_text=True)
    paths = set(re.findall(r'href="(/(?:id|vocab)[^"#]*(?:#[^"]*)?)"', html))
    assert paths, "the page links to no resource"
    iris = {"https://w3id.org/alskg" + path for path in paths}
    assert iris <= existing(client, iris)


def test_inference_off_shows_only_asserted(app: Flask) -> None:
    asserted = compute_matrix(app.extensions["alskg"], inference=False)
    assert not any(row.inferred_classes for row in asserted.rows)
    assert all(cell.summary is None for row in asserted.rows for _, cell in row.cells)
    assert asserted.cell("riluzole", "survival").status == "established"  # type: ignore[union-attr]


# --- the views --------------------------------------------------------------------------------

def test_html_view(client: FlaskClient) -> None:
    response = client.get("/evidence")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '{% extends' not in html and "<table class=\"matrix\">" in html
    for word, symbol in (("established", "●"), ("supported", "◕"), ("suggested", "◑"),
                         ("unproven", "○"), ("not shown", "✕")):
        assert symbol in html and word in html  # colour plus text plus a symbol
    assert 'href="/id/claim/riluzole-survival"' in html
    assert "investigational*" in html
    assert "site.css" in html  # its print rules: landscape page, black borders, no links list
    assert "@media print" in client.get("/static/site.css").get_data(as_text=True)
    assert 'data-status="established"' in html
    assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize(("path", "headers"), [("/evidence.json", {}),
                                               ("/evidence", {"Accept": "application/json"})])
def test_json_view(client: FlaskClient, path: str, headers: dict[str, str]) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["ok"] is True
    rows = {r["intervention"]["href"].rsplit("/", 1)[-1]: r for r in data["rows"]}
    survival = rows["riluzole"]["cells"]["survival"]
    assert survival["status"] == "established" and survival["graph"] == "asserted"
    assert survival["claims"][0]["href"] == "/id/claim/riluzole-survival"
    assert survival["summary"]["graph"] == "inferred"
    assert rows["riluzole"]["cells"]["safety"] is None


def test_json_view_without_inference(client: FlaskClient) -> None:
    data = client.get("/evidence.json?inference=false").get_json()
    assert data["inference"] is False
    assert all(not r["inferred_classes"] for r in data["rows"])


def test_views_negotiate_and_cache(client: FlaskClient) -> None:
    assert client.get("/evidence", headers={"Accept": "text/csv"}).status_code == 406
    first = client.get("/evidence.json")
    again = client.get("/evidence.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    home = client.get("/").get_data(as_text=True)
    assert 'href="/evidence?group=approved"' in home  # the landing page leads to the matrix


def test_cli_table(build_root: Path) -> None:
    result = CliRunner().invoke(main, ["evidence", "--build-dir", str(build_root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header, rule = lines[0], lines[1]
    assert header.startswith("intervention") and set(rule) <= {"-", " "}
    riluzole = next(line for line in lines if line.startswith("riluzole"))
    start = header.index("survival")
    assert riluzole[start:].startswith("● established")  # aligned under its column
    assert "investigational*" in result.output
    assert "legend:" in result.output


@pytest.mark.parametrize("engine", ["oxigraph", pytest.param("rdflib", marks=pytest.mark.slow)])
def test_cli_json(build_root: Path, engine: str) -> None:
    """The matrix as JSON from the command line, on each engine (rdflib's takes ~7 s: slow)."""
    result = CliRunner().invoke(main, ["evidence", "--format", "json", "--engine", engine,
                                       "--build-dir", str(build_root)])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    rows = {r["intervention"]["label"]: r for r in data["rows"]}
    claims = rows["edaravone"]["cells"]["slowing-progression"]["claims"]
    assert {c["status"] for c in claims if c["valid_from"] == REVIEW_DATE} == {"suggested"}
    # the trial's finding is graded by its design; the review's word, citing no study, as such
    levels = {c["iri"].rsplit("/", 1)[-1]: c["evidence_level"]["key"] for c in claims}
    assert levels["edaravone-slowing-progression"] == "review-assertion"
    assert "phase-3-rct" in levels.values()

"""The therapy landscape holds what issue 19 promises, asked of the served graph over SPARQL.

At least 40 trials of phase 2/3 or later, each with its design, its outcome (or "ongoing") and
the pages it was checked against; at least 35 regulatory events from at least 5 agencies, each
checked against a page; every curated study and regulatory event names the page it was checked
against; the failures are there beside the successes.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from test_evidence_time import sparql

PREFIXES = """PREFIX als: <https://w3id.org/alskg/vocab#>
PREFIX design: <https://w3id.org/alskg/id/design/>
PREFIX outcome: <https://w3id.org/alskg/id/outcome/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
LATE_PHASES = "VALUES ?phase { design:phase-2-3 design:phase-3 design:phase-3b design:phase-4 }"


def select(client: FlaskClient, query: str) -> list[dict[str, str]]:
    """Run a SELECT (with this module's prefixes) and return its rows."""
    return sparql(client, PREFIXES + query)


def test_at_least_forty_late_phase_trials_each_checked(client: FlaskClient) -> None:
    trials = select(client, f"""
        SELECT ?study (SAMPLE(?o) AS ?outcome) (COUNT(DISTINCT ?page) AS ?pages)
               (COUNT(DISTINCT ?design) AS ?designs) (COUNT(DISTINCT ?level) AS ?levels)
        WHERE {{
          {LATE_PHASES}
          ?study als:phase ?phase ; als:investigates ?intervention .
          OPTIONAL {{ ?study als:primaryOutcome ?o }}
          OPTIONAL {{ ?study als:checkedAgainst ?page }}
          OPTIONAL {{ ?study als:design ?design }}
          OPTIONAL {{ ?study als:evidenceLevel ?level }}
        }} GROUP BY ?study""")
    assert len(trials) >= 40, f"{len(trials)} late-phase trials"
    assert all(int(t["pages"]) >= 1 for t in trials), [t["study"] for t in trials
                                                       if t["pages"] == "0"]
    # a design no page showed stays unrecorded, and then the trial gets no level (never a lower)
    assert [t for t in trials if t["designs"] == "0" and t["levels"] != "0"] == []
    assert sum(t["designs"] != "0" for t in trials) >= 40
    randomised = select(client, f"""
        SELECT DISTINCT ?study WHERE {{
          {LATE_PHASES}
          ?study als:phase ?phase ; als:design design:randomised }}""")
    assert len(randomised) >= 40
    outcomes = {t["outcome"].rsplit("/", 1)[-1] for t in trials if "outcome" in t}
    # the record of failures stands beside the successes
    assert {"met", "not-met", "ongoing"} <= outcomes
    missed = [t for t in trials if t.get("outcome", "").endswith("/not-met")]
    met = [t for t in trials if t.get("outcome", "").endswith("/met")]
    assert len(missed) > len(met) >= 3
    assert {"jetals", "edaravone-phase-3-2017"} <= {t["study"].rsplit("/", 1)[-1] for t in met}


def test_at_least_thirty_five_regulatory_events_from_five_agencies(client: FlaskClient) -> None:
    events = select(client, """
        SELECT ?event ?agency (COUNT(DISTINCT ?page) AS ?pages) WHERE {
          ?event a als:RegulatoryEvent ; als:agency ?agency .
          OPTIONAL { ?event als:checkedAgainst ?page }
        } GROUP BY ?event ?agency""")
    assert len({e["event"] for e in events}) >= 35
    assert len({e["agency"] for e in events}) >= 5
    assert all(int(e["pages"]) >= 1 for e in events), [e["event"] for e in events
                                                       if e["pages"] == "0"]


def test_every_curated_trial_and_act_names_a_page_it_was_checked_against(
        client: FlaskClient) -> None:
    unchecked = select(client, """
        SELECT ?record WHERE {
          { ?record a als:RegulatoryEvent } UNION { ?record a als:Study ; als:phase ?phase }
          FILTER NOT EXISTS { ?record als:checkedAgainst ?page }
        }""")
    assert unchecked == []
    pages = select(client, """
        SELECT DISTINCT ?page WHERE { ?record als:checkedAgainst ?page }""")
    assert pages and all(p["page"].startswith(("https://", "http://")) for p in pages)
    # an address, never a raw IP (Martinez 2012 was once sourced to one)
    assert not [p for p in pages if p["page"].split("/")[2].replace(".", "").isdigit()]


def test_the_readme_counts_are_the_graphs(client: FlaskClient) -> None:
    """The figures the README opens with are what the graph answers (kept true on every change
    of the data)."""
    import re
    from pathlib import Path

    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(
        encoding="utf-8").split())
    stated = re.search(r"holds (\d+) studies and trials, (\d+) regulatory events \((\d+) acts by "
                       r"(\d+) agencies, (\d+) sponsors' discontinuations\), (\d+) therapies and "
                       r"(\d+) claims", readme)
    assert stated, "the README's opening figures are not where this test reads them"
    counts = {row["c"].rsplit("#", 1)[-1]: int(row["n"]) for row in select(client, """
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
          VALUES ?c { als:Study als:RegulatoryEvent als:Agency als:Intervention als:Claim }
          ?s a ?c FILTER(isIRI(?s)) } GROUP BY ?c""")}
    by_agencies = int(select(client, """
        SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
          ?e a als:RegulatoryEvent ; als:agency ?agency . ?agency a als:Agency }""")[0]["n"])
    discontinued = int(select(client, """
        PREFIX action: <https://w3id.org/alskg/id/regulatory-action/>
        SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
          ?e a als:RegulatoryEvent ; als:action action:development-discontinued
          FILTER NOT EXISTS { ?e als:agency ?agency . ?agency a als:Agency } }""")[0]["n"])
    assert [int(n) for n in stated.groups()] == [
        counts["Study"], counts["RegulatoryEvent"], by_agencies, counts["Agency"], discontinued,
        counts["Intervention"], counts["Claim"]]
    assert by_agencies + discontinued == counts["RegulatoryEvent"]

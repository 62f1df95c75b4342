"""The curation records (data/*.yaml): the template's RDF, and every bad record named by
`alskg validate` with its file, line and rule, the previous build kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from alskg.assembly.store import open_build
from alskg.curation import paths as resources
from alskg.curation.namespaces import ALS, DEFAULT_BASE
from alskg.curation.records.fields import parse_date
from alskg.curation.sources import load_sources
from tests.test_build import run_cli

ID = DEFAULT_BASE + "id/"

# Each bad record, the file it goes in, and the rule `alskg validate` must name for it.
BAD_STUDIES = '''
- id: zz-met-without-endpoint
  interventions: [riluzole]
  outcome: met
  checked: [{url: https://example.org/a, facts: [outcome]}]
- id: zz-single-value-dissent
  interventions: [riluzole]
  participants: 10
  participants_kind: enrolled
  checked: [{url: https://example.org/b, facts: [participants]}]
  disagreements:
    - fact: participants
      values: [{value: 10, url: https://example.org/b}, {value: 10, url: https://example.org/c}]
- id: zz-unknown-design
  interventions: [riluzole]
  allocation: quasi-random
  checked: [{url: https://example.org/d, facts: [allocation]}]
- id: zz-without-source
  interventions: [riluzole]
  phase: phase-3
- id: zz-unverified-registry
  interventions: [riluzole]
  registry: [NCT09999999]
  checked: [{url: https://example.org/e, facts: [registry]}]
- id: zz-fact-without-page
  interventions: [riluzole]
  phase: phase-2
  checked: [{url: https://example.org/f, facts: [registry]}]
'''
BAD_ACTS = '''
- id: zz-sponsor-act-as-agency
  agency: fda
  actor: agency
  action: market-withdrawal
  intervention: riluzole
  date: '2001-01-01'
  checked: [{url: https://example.org/g, facts: [action, date]}]
- id: zz-act-in-the-future
  agency: fda
  action: approval
  intervention: riluzole
  date: '2099-01-01'
  checked: [{url: https://example.org/h, facts: [action, date]}]
'''
EXPECTED = {  # record id → (file, rule)
    "zz-met-without-endpoint": ("studies.yaml", "outcome-without-endpoint"),
    "zz-single-value-dissent": ("studies.yaml", "contested-single-value"),
    "zz-unknown-design": ("studies.yaml", "scheme-value"),
    "zz-without-source": ("studies.yaml", "record-source"),
    "zz-unverified-registry": ("studies.yaml", "verified-id"),
    "zz-fact-without-page": ("studies.yaml", "fact-source"),
    "zz-sponsor-act-as-agency": ("regulatory.yaml", "actor-kind"),
    "zz-act-in-the-future": ("regulatory.yaml", "date-in-future"),
}


@pytest.fixture()
def broken_sources(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of ontology/ and data/ with every bad record appended to the record files."""
    ontology, data = tmp_path / "ontology", tmp_path / "data"
    shutil.copytree(resources.ontology_dir(), ontology)
    shutil.copytree(resources.data_dir(), data)
    with (data / "studies.yaml").open("a", encoding="utf-8") as handle:
        handle.write(BAD_STUDIES)
    with (data / "regulatory.yaml").open("a", encoding="utf-8") as handle:
        handle.write(BAD_ACTS)
    return ontology, data


def _record_lines(path: Path) -> dict[str, range]:
    """Return the 1-based lines each record spans (its `- id:` line to the next record's)."""
    starts = [(number, line.split("id:", 1)[1].strip())
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if line.startswith("- id:")]
    ends = [number for number, _ in starts[1:]] + [10**9]
    return {record: range(start, end) for (start, record), end in zip(starts, ends, strict=True)}


def test_every_bad_record_is_named_with_file_line_and_rule(
        broken_sources: tuple[Path, Path], build_root: Path, tmp_path: Path) -> None:
    """`alskg validate` exits 1 and prints `file:line: node: [rule] …` for each bad record;
    `alskg build` refuses the same sources and the build served before stays current."""
    ontology, data = broken_sources
    result = run_cli("validate", "--ontology-dir", str(ontology), "--data-dir", str(data))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = {**_record_lines(data / "studies.yaml"), **_record_lines(data / "regulatory.yaml")}
    problems = result.stdout.splitlines()
    for record, (kind_file, rule) in EXPECTED.items():
        hits = [p for p in problems if f"{record}:" in p and f"[{rule}]" in p]
        assert hits, (record, rule, result.stdout[-3000:])
        where = [h.split(": ", 1)[0].rsplit(":", 1) for h in hits]
        assert any(path.endswith(f"/data/{kind_file}") and int(line) in lines[record]
                   for path, line in where), hits
    root = tmp_path / "builds"
    shutil.copytree(build_root, root, symlinks=True)
    before = open_build(root).content_hash
    built = run_cli("build", "--no-reason", "--ontology-dir", str(ontology), "--data-dir",
                    str(data), "--build-dir", str(root))
    assert built.returncode != 0 and "Traceback" not in built.stderr
    assert open_build(root).content_hash == before


@pytest.fixture(scope="module")
def sources() -> Graph:
    """The asserted graph of the project's own sources (records included)."""
    return load_sources().asserted


def test_trial_record_becomes_design_outcome_dates_and_sources(sources: Graph) -> None:
    """EMPOWER: randomised, double-blind, placebo; 943 enrolled; not met (a false boolean);
    result public 2013-01-03 apart from its paper's date; each page names the facts it showed."""
    study = URIRef(ID + "study/empower")
    designs = set(sources.objects(study, ALS.design))
    assert {URIRef(ID + "design/randomised"), URIRef(ID + "design/double-blind"),
            URIRef(ID + "design/placebo-controlled")} <= designs
    assert (study, ALS.primaryOutcome, URIRef(ID + "outcome/not-met")) in sources
    assert (study, ALS.primaryEndpointMet, Literal(False)) in sources
    assert int(sources.value(study, ALS.participantsEnrolled)) == 943  # as the registry counts
    assert int(sources.value(study, ALS.sampleSize)) == 943
    assert str(sources.value(study, ALS.resultDate)) == "2013-01-03"
    checks = list(sources.objects(study, ALS.sourceCheck))
    backed = {fact for check in checks for fact in sources.objects(check, ALS.backsFact)}
    assert {ALS.primaryOutcome, ALS.design, ALS.phase} <= backed
    assert all((check, ALS.page, None) in sources for check in checks)


def test_no_outcome_on_record_is_not_not_met(sources: Graph) -> None:
    """A study with no recorded outcome has neither als:primaryOutcome nor a false boolean."""
    rushkevich = URIRef(ID + "study/rushkevich-2015")
    assert (rushkevich, ALS.primaryOutcome, None) not in sources
    assert (rushkevich, ALS.primaryEndpointMet, None) not in sources


def test_contested_fact_keeps_every_value_with_its_source(sources: Graph) -> None:
    """NurOwn's phase 3: the participant count on which sources disagree is a ContestedFact
    with at least two values, each reported by a page."""
    facts = list(sources.objects(URIRef(ID + "study/nurown-phase-3"), ALS.hasContestedFact))
    assert facts
    for fact in facts:
        values = list(sources.objects(fact, ALS.reportedValue))
        assert len({str(sources.value(v, ALS.value)) for v in values}) >= 2
        assert all(isinstance(sources.value(v, ALS.reportedBy), URIRef) for v in values)


def test_sponsor_act_is_the_sponsors(sources: Graph) -> None:
    """Relyvrio's 2024 market withdrawal was Amylyx's act; the FDA withdrew the approval itself
    from 2025-08-29, and both end the 2022 approval."""
    market = URIRef(ID + "regulatory/fda-sodium-phenylbutyrate-taurursodiol-withdrawal-2024")
    actor = sources.value(market, ALS.actor)
    assert (actor, RDF.type, ALS.Sponsor) in sources
    approval = URIRef(ID + "regulatory/fda-sodium-phenylbutyrate-taurursodiol-approval-2022")
    enders = set(sources.subjects(ALS.ends, approval))
    revoked = URIRef(ID + "regulatory/fda-relyvrio-approval-withdrawn-2025")
    assert {market, revoked} <= enders
    assert str(sources.value(revoked, ALS.validFrom)) == "2025-08-29"


@pytest.mark.parametrize(("text", "literal", "day"), [
    ("2015-06-26", "2015-06-26", "2015-06-26"), ("2024-02", "2024-02", "2024-02-29"),
    ("2014", "2014", "2014-12-31")])
def test_dates_keep_their_precision_and_count_from_the_period_end(
        text: str, literal: str, day: str) -> None:
    """A date as the source gives it; the day it certainly holds from is the period's last."""
    parsed = parse_date(text)
    assert parsed is not None
    assert str(parsed.literal) == literal and parsed.day.isoformat() == day
    assert parse_date("2014-13") is None and parse_date("soon") is None

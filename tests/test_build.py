"""Build and validation: the receipt, atomic builds, and each bad-input case named precisely."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from alskg.assembly.store import open_build
from alskg.cli import main
from alskg.curation import paths as resources
from alskg.curation.namespaces import graph_iri

CLAIM_PREFIXES = """
@prefix als: <https://w3id.org/alskg/vocab#> .
@prefix claim: <https://w3id.org/alskg/id/claim/> .
@prefix phenotype: <https://w3id.org/alskg/id/phenotype/> .
@prefix intervention: <https://w3id.org/alskg/id/intervention/> .
@prefix disease: <https://w3id.org/alskg/id/disease/> .
@prefix aspect: <https://w3id.org/alskg/id/aspect/> .
@prefix status: <https://w3id.org/alskg/id/status/> .
@prefix publication: <https://w3id.org/alskg/id/publication/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix agent: <https://w3id.org/alskg/id/agent/> .
@prefix study: <https://w3id.org/alskg/id/study/> .
@prefix regulatory: <https://w3id.org/alskg/id/regulatory/> .
@prefix agency: <https://w3id.org/alskg/id/agency/> .
@prefix action: <https://w3id.org/alskg/id/regulatory-action/> .
"""

GOOD_CLAIM = """
claim:test-claim a als:Claim , als:SourceAssertion ;
    rdfs:label "test claim" ;
    als:aboutIntervention intervention:riluzole ;
    als:aboutCondition disease:als ;
    als:aspect aspect:safety ;
    als:status status:supported ;
    als:supportedByPublication publication:bonafede-mariotti-2017 ;
    als:evidenceType obo:ECO_0000304 ;
    dcterms:date "2017-03-21"^^xsd:date ;
    als:validFrom "2017-03-21"^^xsd:date ;
    dcterms:source publication:bonafede-mariotti-2017 ;
    prov:wasAttributedTo agent:alskg-curators .
"""

GOOD_EVENT = """
regulatory:test-event a als:RegulatoryEvent ;
    rdfs:label "test approval" ;
    als:agency agency:fda ;
    als:action action:approval ;
    als:regulates intervention:riluzole ;
    als:indication disease:als ;
    dcterms:date "2001-01-01"^^xsd:date ;
    als:validFrom "2001-01-01"^^xsd:date ;
    als:checkedAgainst <https://example.org/checked> .
"""

# A study finding about MSC therapy that cites Deda 2009 (hematopoietic progenitor cells).
WRONG_STUDY_FINDING = GOOD_CLAIM.replace("als:SourceAssertion", "als:StudyFinding").replace(
    "intervention:riluzole", "intervention:msc-therapy").replace(
    "    als:supportedByPublication publication:bonafede-mariotti-2017 ;\n",
    "    als:supportedByStudy study:deda-2009 ;\n")

BAD_CASES = {
    "claim-without-source": (
        GOOD_CLAIM.replace("    als:supportedByPublication publication:bonafede-mariotti-2017 ;\n",
                           ""), "claim/test-claim"),
    "unknown-status": (GOOD_CLAIM.replace("status:supported", "status:miraculous"),
                       "claim/test-claim"),
    "malformed-curie": ("""
phenotype:test-phenotype a als:Phenotype ; rdfs:label "test phenotype" ;
    skos:exactMatch obo:HP_12 .
""", "phenotype/test-phenotype"),
    "hp-label-mismatch": ("""
phenotype:test-phenotype a als:Phenotype ; rdfs:label "tremor of the test" ;
    skos:exactMatch obo:HP_0002015 .
""", "phenotype/test-phenotype"),
    "duplicate-label": ("""
phenotype:test-one a als:Phenotype ; rdfs:label "doubled name" .
phenotype:test-two a als:Phenotype ; rdfs:label "doubled name" .
""", "phenotype/test-two"),
}
# Issue 11's bad inputs: each must name file, node and this rule.
EVIDENCE_CASES = {
    "study-finding-intervention": (WRONG_STUDY_FINDING, "claim/test-claim"),
    "regulatory-event-agency": (GOOD_EVENT.replace("    als:agency agency:fda ;\n", ""),
                                "regulatory/test-event"),
    "regulatory-event-date": (GOOD_EVENT.replace(
        '    dcterms:date "2001-01-01"^^xsd:date ;\n    als:validFrom "2001-01-01"^^xsd:date ;\n',
        ""), "regulatory/test-event"),
    "regulatory-event-source": (GOOD_EVENT.replace(
        "    als:checkedAgainst <https://example.org/checked> .", "    rdfs:comment \"x\" ."),
        "regulatory/test-event"),
    "date-in-future": (GOOD_EVENT.replace("2001-01-01", "2099-01-01"), "regulatory/test-event"),
    "verified-id": ("""
publication:test-paper a als:Publication ; rdfs:label "test paper" ;
    skos:exactMatch <https://doi.org/10.9999/not.verified> .
""", "publication/test-paper"),
}
BAD_CASES.update({name: case for name, case in EVIDENCE_CASES.items()})
# The rule each case breaks, as the report names it (an evidence case is named for its rule).
RULE_OF = {"claim-without-source": "claim-support", "unknown-status": "claim-status",
           "malformed-curie": "curie-pattern", "hp-label-mismatch": "hpo-label",
           "duplicate-label": "unique-label", **{rule: rule for rule in EVIDENCE_CASES}}


@pytest.fixture()
def sources_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of ontology/ and data/ that a test may break."""
    ontology = tmp_path / "ontology"
    data = tmp_path / "data"
    shutil.copytree(resources.ontology_dir(), ontology)
    shutil.copytree(resources.data_dir(), data)
    return ontology, data


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `alskg` command line in this process (click's runner: the same command, without
    a second interpreter importing everything again); an uncaught exception's traceback is
    added to stderr, as the real command would print it."""
    result = CliRunner().invoke(main, list(args))
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["alskg", *args], result.exit_code, result.stdout, stderr)


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build root holding one good build of the project's sources (no reasoning)."""
    root = tmp_path_factory.mktemp("good") / "builds"
    good = run_cli("build", "--no-reason", "--build-dir", str(root))
    assert good.returncode == 0, good.stderr
    return root


def test_receipt_records_inputs_versions_counts_and_hash(build_root: Path) -> None:
    built = open_build(build_root)
    receipt = built.receipt
    assert len(receipt["content_hash"]) == 64
    paths = {entry["path"] for entry in receipt["inputs"]}
    assert "ontology/als.ttl" in paths and "ontology/shapes.ttl" in paths
    assert any(p.startswith("data/") for p in paths)
    assert all(len(entry["sha256"]) == 64 for entry in receipt["inputs"])
    assert {"rdflib", "owlrl", "pyshacl", "alskg"} <= set(receipt["packages"])
    for name in ("ontology", "asserted", "inferred", "meta"):
        assert receipt["graphs"][graph_iri(name)] > 0
    assert receipt["validated"] is True


@pytest.mark.slow  # a second full run of the same work (the suite's time)
def test_build_is_deterministic(tmp_path: Path) -> None:
    from alskg.assembly.pipeline import BuildOptions, build

    first = build(BuildOptions(root=tmp_path / "one"))
    second = build(BuildOptions(root=tmp_path / "two"))
    assert first.content_hash == second.content_hash
    assert first.dataset_file.read_bytes() == second.dataset_file.read_bytes()


def test_malformed_turtle_names_file_and_line_and_keeps_previous_build(
        sources_copy: tuple[Path, Path], tmp_path: Path) -> None:
    ontology, data = sources_copy
    root = tmp_path / "builds"
    good = run_cli("build", "--no-reason", "--ontology-dir", str(ontology), "--data-dir",
                   str(data), "--build-dir", str(root))
    assert good.returncode == 0, good.stderr
    before = open_build(root).content_hash
    broken = data / "zz-broken.ttl"
    broken.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "oops .\n')
    bad = run_cli("build", "--no-reason", "--ontology-dir", str(ontology), "--data-dir",
                  str(data), "--build-dir", str(root))
    assert bad.returncode != 0
    assert "zz-broken.ttl:3" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert open_build(root).content_hash == before
    assert not list((root / "builds").glob(".tmp-*"))


def case_body(case: str) -> tuple[str, str]:
    """The case's Turtle and the node it breaks, renamed so that every case can sit beside the
    others in one data directory (its own nodes and labels, its own file)."""
    body, node = BAD_CASES[case]
    renamed = body.replace("test-", f"test-{case}-").replace('"test ', f'"{case} test ')
    return CLAIM_PREFIXES + renamed, node.replace("test-", f"test-{case}-")


def write_cases(data: Path, cases: list[str]) -> None:
    """Each case in its own file, data/zz-<case>.ttl."""
    for case in cases:
        (data / f"zz-{case}.ttl").write_text(case_body(case)[0])


def problem_lines(output: str, case: str, rule: str | None = None) -> list[str]:
    """The report's lines that name the case's file and node (and the rule, when given)."""
    node = case_body(case)[1]
    return [line for line in output.splitlines()
            if line.split(":", 1)[0].endswith(f"zz-{case}.ttl") and f"{node}: [" in line
            and (rule is None or f"{node}: [{rule}]" in line)]


@pytest.fixture(scope="module")
def broken_validation(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`alskg validate` once over the project's sources with every bad case added (one file
    each): one run checks that every case is reported with its own file, node and rule."""
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(resources.ontology_dir(), root / "ontology")
    shutil.copytree(resources.data_dir(), root / "data")
    write_cases(root / "data", sorted(BAD_CASES))
    return run_cli("validate", "--ontology-dir", str(root / "ontology"), "--data-dir",
                   str(root / "data"))


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_validation_reports_file_node_and_rule(
        broken_validation: subprocess.CompletedProcess[str], case: str) -> None:
    assert broken_validation.returncode == 1, broken_validation.stdout + broken_validation.stderr
    assert "Traceback" not in broken_validation.stderr
    assert problem_lines(broken_validation.stdout, case, RULE_OF[case]), broken_validation.stdout


@pytest.fixture(scope="module")
def refused_build(good_build: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> tuple[subprocess.CompletedProcess[str], str, Path]:
    """A build over sources holding every evidence-rule case, into a copy of a good build
    root: the command's result, the good build's content hash, and the root."""
    tmp = tmp_path_factory.mktemp("refused")
    shutil.copytree(resources.ontology_dir(), tmp / "ontology")
    shutil.copytree(resources.data_dir(), tmp / "data")
    root = tmp / "builds"
    shutil.copytree(good_build, root, symlinks=True)
    before = open_build(root).content_hash
    write_cases(tmp / "data", sorted(EVIDENCE_CASES))
    built = run_cli("build", "--no-reason", "--ontology-dir", str(tmp / "ontology"),
                    "--data-dir", str(tmp / "data"), "--build-dir", str(root))
    return built, before, root


@pytest.mark.parametrize("rule", sorted(EVIDENCE_CASES))
def test_evidence_rule_named_and_previous_build_kept(
        refused_build: tuple[subprocess.CompletedProcess[str], str, Path], rule: str) -> None:
    built, before, root = refused_build
    assert built.returncode != 0
    assert "Traceback" not in built.stderr
    assert problem_lines(built.stdout + built.stderr, rule, rule), built.stdout + built.stderr
    assert open_build(root).content_hash == before
    assert not list((root / "builds").glob(".tmp-*"))


def test_good_extra_claim_validates(sources_copy: tuple[Path, Path]) -> None:
    ontology, data = sources_copy
    (data / "zz-test.ttl").write_text(CLAIM_PREFIXES + GOOD_CLAIM + GOOD_EVENT)
    result = run_cli("validate", "--ontology-dir", str(ontology), "--data-dir", str(data))
    assert result.returncode == 0, result.stdout


def test_validate_clean_on_project_data() -> None:
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("in_process", [True, False])
def test_query_with_bad_sparql_exits_2_without_traceback(build_root: Path,
                                                         in_process: bool) -> None:
    """Also through `python -m alskg` in its own process: the installed entry point."""
    args = ["query", "--build-dir", str(build_root), "SELECT ?s WHERE { ?s"]
    result = run_cli(*args) if in_process else subprocess.run(
        [sys.executable, "-m", "alskg", *args], capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 2
    assert "malformed query" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_query_formats_from_the_cli(build_root: Path, fmt: str) -> None:
    result = CliRunner().invoke(main, ["query", "--build-dir", str(build_root), "--format", fmt,
                                       "SELECT ?d WHERE { ?d a als:Drug } ORDER BY ?d"])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        rows = json.loads(result.output)["results"]["bindings"]
        assert any(r["d"]["value"].endswith("/riluzole") for r in rows)
    else:
        delimiter = "," if fmt == "csv" else "\t"
        rows = list(csv.reader(io.StringIO(result.output), delimiter=delimiter))
        assert rows[0] == (["d"] if fmt == "csv" else ["?d"])
        assert any(r[0].strip("<>").endswith("/riluzole") for r in rows[1:])


def test_query_table_with_predeclared_prefixes(build_root: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--build-dir", str(build_root),
                                       "SELECT ?d WHERE { ?d a als:Drug } ORDER BY ?d"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].strip() == "d"
    assert "intervention:riluzole" in [line.strip() for line in lines]


def test_registry_cache_gives_the_same_verdicts(sources_copy: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    """The registry checks (CURIE patterns, HPO labels) reach the same verdicts from a warm
    cache as from a cold one."""
    from alskg.curation.registry_cache import CACHE_FILE
    from alskg.curation.sources import load_sources
    from alskg.curation.validate import validate_sources

    ontology, data = sources_copy
    cases = ["malformed-curie", "hp-label-mismatch"]
    write_cases(data, cases)
    cold = validate_sources(load_sources(ontology, data), cache_dir=tmp_path / "root")
    cache = json.loads((tmp_path / "root" / CACHE_FILE).read_text())
    # the patterns are kept; the HPO labels come from the current import (test_hpo_import)
    assert cache["patterns"] and cache["hpo_labels"] == {}
    warm = validate_sources(load_sources(ontology, data), cache_dir=tmp_path / "root")
    assert warm == cold
    for case in cases:
        assert any(p.node.endswith(case_body(case)[1]) for p in warm), case


def test_registry_cache_from_other_library_versions_is_ignored(tmp_path: Path) -> None:
    from alskg.curation.registry_cache import CACHE_FILE, Registries

    poisoned = {"versions": {"bioregistry": "0", "hpo3": "0"},
                "patterns": {"HP": ["hp", "^x$"]}, "hpo_labels": {"HP:0002015": "wrong"}}
    (tmp_path / CACHE_FILE).write_text(json.dumps(poisoned))
    registries = Registries(tmp_path / CACHE_FILE)
    assert registries.curie_is_well_formed("HP:0002015")
    assert registries.hpo_label("HP:0002015") == "Dysphagia"

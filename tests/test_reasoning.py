"""Reasoning: named inferences, noise filtering, explanations, determinism, modes agreeing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from alskg.curation.sources import load_sources
from alskg.reasoning import (
    ReasoningError,
    ReasoningResult,
    default_rules_dir,
    explain,
    explain_text,
    load_rules,
    reason,
)
from alskg.reasoning.derivation_file import DerivationFile
from alskg.reasoning.domain import RuleError, parse_rule
from alskg.reasoning.explain import render_text
from alskg.reasoning.noise import NoiseFilter
from alskg.reasoning.terms import DERIVATION, PREMISE, ROUND, derivation_iri

ROOT = Path(__file__).resolve().parent.parent
ALS = Namespace("https://w3id.org/alskg/vocab#")
ID = Namespace("https://w3id.org/alskg/id/")
DISEASE_ALS = ID["disease/als"]

PREFIXES = """
@prefix als: <https://w3id.org/alskg/vocab#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix disease: <https://w3id.org/alskg/id/disease/> .
@prefix anatomy: <https://w3id.org/alskg/id/anatomy/> .
@prefix intervention: <https://w3id.org/alskg/id/intervention/> .
@prefix study: <https://w3id.org/alskg/id/study/> .
@prefix claim: <https://w3id.org/alskg/id/claim/> .
@prefix aspect: <https://w3id.org/alskg/id/aspect/> .
@prefix status: <https://w3id.org/alskg/id/status/> .
@prefix design: <https://w3id.org/alskg/id/design/> .
@prefix publication: <https://w3id.org/alskg/id/publication/> .
@prefix level: <https://w3id.org/alskg/id/evidence-level/> .
"""

# A small ontology using the contract's names (docs/data-model.md).
FIXTURE_ONTOLOGY = (
    PREFIXES
    + """
als:Disease a owl:Class . als:Phenotype a owl:Class . als:AnatomicalEntity a owl:Class .
als:BodyRegion a owl:Class ; rdfs:subClassOf als:AnatomicalEntity .
als:Intervention a owl:Class .
als:Drug a owl:Class ; rdfs:subClassOf als:Intervention .
als:CellTherapy a owl:Class ; rdfs:subClassOf als:Intervention .
als:StemCellTherapy a owl:Class ; rdfs:subClassOf als:CellTherapy .
als:MesenchymalStemCellTherapy a owl:Class ; rdfs:subClassOf als:StemCellTherapy .
als:Study a owl:Class . als:Publication a owl:Class .
als:Review a owl:Class ; rdfs:subClassOf als:Publication .
als:Claim a owl:Class .
als:Aspect a owl:Class ; rdfs:subClassOf skos:Concept .
als:Status a owl:Class ; rdfs:subClassOf skos:Concept .
als:StudyDesign a owl:Class ; rdfs:subClassOf skos:Concept .
als:SupportedSafetyClaim a owl:Class ; owl:equivalentClass [ a owl:Class ;
  owl:intersectionOf ( als:Claim
    [ a owl:Restriction ; owl:onProperty als:aspect ; owl:hasValue aspect:safety ]
    [ a owl:Restriction ; owl:onProperty als:status ; owl:hasValue status:supported ] ) ] .
als:UnprovenEffectivenessClaim a owl:Class ; owl:equivalentClass [ a owl:Class ;
  owl:intersectionOf ( als:Claim
    [ a owl:Restriction ; owl:onProperty als:aspect ; owl:hasValue aspect:effectiveness ]
    [ a owl:Restriction ; owl:onProperty als:status ; owl:hasValue status:unproven ] ) ] .
als:InvestigationalIntervention a owl:Class ; owl:equivalentClass [ a owl:Class ;
  owl:intersectionOf ( als:Intervention
    [ a owl:Restriction ; owl:onProperty als:hasClaim ;
      owl:someValuesFrom als:SupportedSafetyClaim ]
    [ a owl:Restriction ; owl:onProperty als:hasClaim ;
      owl:someValuesFrom als:UnprovenEffectivenessClaim ] ) ] .
als:hasPhenotype a owl:ObjectProperty ; rdfs:domain als:Disease ; rdfs:range als:Phenotype ;
  rdfs:subPropertyOf obo:RO_0002200 .
als:partOf a owl:ObjectProperty, owl:TransitiveProperty ; rdfs:domain als:AnatomicalEntity ;
  rdfs:range als:AnatomicalEntity ; rdfs:subPropertyOf obo:BFO_0000050 .
als:studiedFor a owl:ObjectProperty ; rdfs:domain als:Intervention ; rdfs:range als:Disease .
als:treats a owl:ObjectProperty ; rdfs:subPropertyOf als:studiedFor ; rdfs:domain als:Drug .
als:inClinicalTrialsFor a owl:ObjectProperty ; rdfs:subPropertyOf als:studiedFor .
als:investigates a owl:ObjectProperty ; rdfs:domain als:Study ; rdfs:range als:Intervention ;
  owl:inverseOf als:investigatedIn .
als:investigatedIn a owl:ObjectProperty .
als:concerns a owl:ObjectProperty ; rdfs:domain als:Study ; rdfs:range als:Disease ;
  owl:propertyChainAxiom ( als:investigates als:studiedFor ) .
als:design a owl:ObjectProperty ; rdfs:domain als:Study ; rdfs:range als:StudyDesign .
als:phase a owl:ObjectProperty ; rdfs:domain als:Study ; rdfs:range als:StudyDesign .
als:year a owl:DatatypeProperty ; rdfs:domain als:Study ; rdfs:range xsd:gYear .
als:sampleSize a owl:DatatypeProperty ; rdfs:range xsd:integer .
als:hasClaim a owl:ObjectProperty ; owl:inverseOf als:aboutIntervention .
als:aboutIntervention a owl:ObjectProperty ; rdfs:domain als:Claim ; rdfs:range als:Intervention .
als:aspect a owl:ObjectProperty ; rdfs:domain als:Claim ; rdfs:range als:Aspect .
als:status a owl:ObjectProperty ; rdfs:domain als:Claim ; rdfs:range als:Status .
als:supportedBy a owl:ObjectProperty ; rdfs:domain als:Claim .
als:supportedByStudy a owl:ObjectProperty ; rdfs:subPropertyOf als:supportedBy ;
  rdfs:range als:Study .
als:supportedByPublication a owl:ObjectProperty ; rdfs:subPropertyOf als:supportedBy ;
  rdfs:range als:Publication .
"""
)

FIXTURE_DATA = (
    PREFIXES
    + """
disease:als a als:Disease ; rdfs:label "amyotrophic lateral sclerosis" .
anatomy:hand a als:BodyRegion ; rdfs:label "hand" ; als:partOf anatomy:arm .
anatomy:arm a als:BodyRegion ; rdfs:label "arm" ; als:partOf anatomy:limb .
anatomy:limb a als:BodyRegion ; rdfs:label "limb" .
aspect:safety a als:Aspect ; rdfs:label "safety" .
aspect:effectiveness a als:Aspect ; rdfs:label "effectiveness" .
aspect:survival a als:Aspect ; rdfs:label "survival" .
status:supported a als:Status ; rdfs:label "supported" .
status:unproven a als:Status ; rdfs:label "unproven" .
status:established a als:Status ; rdfs:label "established" .
design:open-label a als:StudyDesign ; rdfs:label "open-label" .
design:single-arm a als:StudyDesign ; rdfs:label "single-arm" .
design:phase-1 a als:StudyDesign ; rdfs:label "phase I" .
design:randomised a als:StudyDesign ; rdfs:label "randomised" .
level:rct a als:EvidenceLevel ; rdfs:label "randomised trial" ; als:rank 3 .
level:uncontrolled a als:EvidenceLevel ; rdfs:label "uncontrolled study" ; als:rank 5 .
intervention:riluzole a als:Drug ; rdfs:label "riluzole" ; als:treats disease:als .
intervention:msc-therapy a als:MesenchymalStemCellTherapy ; rdfs:label "MSC therapy" ;
  als:inClinicalTrialsFor disease:als ; als:hasClaim claim:msc-safety, claim:msc-effectiveness .
study:deda-2009 a als:Study ; rdfs:label "Deda 2009" ; als:investigates intervention:msc-therapy ;
  als:year "2009"^^xsd:gYear ; als:design design:open-label, design:single-arm ;
  als:phase design:phase-1 ;
  als:sampleSize 13 .
study:karussis-2010 a als:Study ; rdfs:label "Karussis 2010" ;
  als:investigates intervention:msc-therapy ; als:design design:open-label, design:single-arm ;
  als:sampleSize 19 .
study:riluzole-trial a als:Study ; rdfs:label "riluzole trial" ;
  als:investigates intervention:riluzole ; als:design design:randomised .
publication:review a als:Review ; rdfs:label "review" .
claim:msc-safety a als:Claim ; rdfs:label "MSC safety" ; als:aspect aspect:safety ;
  als:status status:supported ; als:supportedByStudy study:deda-2009, study:karussis-2010 .
claim:msc-effectiveness a als:Claim ; rdfs:label "MSC effectiveness" ;
  als:aspect aspect:effectiveness ; als:status status:unproven ;
  als:supportedByPublication publication:review .
claim:msc-survival a als:Claim ; rdfs:label "MSC survival, overstated" ;
  als:aboutIntervention intervention:msc-therapy ; als:aspect aspect:survival ;
  als:status status:established ; als:supportedByStudy study:deda-2009 .
claim:riluzole-survival a als:Claim ; rdfs:label "riluzole survival" ;
  als:aboutIntervention intervention:riluzole ; als:aspect aspect:survival ;
  als:status status:established ; als:supportedByStudy study:riluzole-trial .
"""
)

# Constructs the ALS ontology does not use yet, to hold the compiled rules to owlrl's results.
CONSTRUCTS_ONTOLOGY = """
@prefix : <https://example.org/t#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
:A a owl:Class . :B a owl:Class . :C a owl:Class . :D a owl:Class . :E a owl:Class .
:AorB a owl:Class ; owl:unionOf ( :A :B ) .
:sym a owl:ObjectProperty, owl:SymmetricProperty .
:p1 a owl:ObjectProperty . :p2 a owl:ObjectProperty . :p3 a owl:ObjectProperty .
:long a owl:ObjectProperty ; owl:propertyChainAxiom ( :p1 :p2 :p3 ) .
:q a owl:ObjectProperty ; owl:equivalentProperty :r .
:r a owl:ObjectProperty .
:C owl:equivalentClass :D .
:HasRed a owl:Class ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty :colour ;
  owl:hasValue :red ] .
:colour a owl:ObjectProperty .
:OnlyE a owl:Class ; rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :holds ;
  owl:allValuesFrom :E ] .
:holds a owl:ObjectProperty .
:AnyHolder a owl:Class ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty :holds ;
  owl:someValuesFrom owl:Thing ] .
:f a owl:ObjectProperty, owl:FunctionalProperty .
"""
CONSTRUCTS_DATA = """
@prefix : <https://example.org/t#> .
:a a :A . :b a :B . :c a :C . :d a :D .
:x :sym :y . :x :p1 :m1 . :m1 :p2 :m2 . :m2 :p3 :m3 . :x :q :z .
:painted a :HasRed . :apple :colour :red .
:box a :OnlyE ; :holds :thing1 .
:u :f :v1 . :u :f :v2 . :v1 :colour :blue .
"""


def _parse(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def _real_sources() -> tuple[Graph, Graph] | None:
    if not (ROOT / "ontology" / "als.ttl").is_file():
        return None
    sources = load_sources()   # the Turtle files and the curation records
    return sources.own_ontology(), sources.asserted


SOURCES = ["fixture", "als"]


@pytest.fixture(scope="module")
def inputs() -> dict[str, tuple[Graph, Graph]]:
    """The fixture and (when the curated files exist) the real ontology + data."""
    found = {"fixture": (_parse(FIXTURE_ONTOLOGY), _parse(FIXTURE_DATA))}
    real = _real_sources()
    if real is not None:
        found["als"] = real
    return found


class Results(dict[tuple[str, str], ReasoningResult]):
    """Reasoning results by (source, mode), each computed on first use."""

    def __init__(self, inputs: dict[str, tuple[Graph, Graph]]) -> None:
        super().__init__()
        self.inputs = inputs

    def __missing__(self, key: tuple[str, str]) -> ReasoningResult:
        source, mode = key
        ontology, data = self.inputs[source]
        self[key] = result = reason(ontology, data, mode=mode)
        return result


@pytest.fixture(scope="module")
def results(inputs: dict[str, tuple[Graph, Graph]]) -> Results:
    """Both modes over each input, on demand."""
    return Results(inputs)


def cases(*modes: str) -> list[Any]:
    """(source, mode) parameters; owlrl over the whole landscape is a slow run (minutes)."""
    return [pytest.param(source, mode, id=f"{source}-{mode}",
                         marks=[pytest.mark.slow] if (source, mode) == ("als", "owlrl") else [])
            for source in SOURCES for mode in modes]


def _get(results: Results, source: str, mode: str) -> ReasoningResult:
    if source not in results.inputs:
        pytest.skip("ontology/als.ttl or data/*.ttl not present yet")
    return results[(source, mode)]


def _rule_of(result: ReasoningResult, triple: tuple[Node, Node, Node]) -> str:
    rule = result.explanations.value(derivation_iri(triple), ALS.rule)
    assert rule is not None, f"no derivation for {triple}"
    return str(rule)


@pytest.mark.parametrize(("source", "mode"), cases("owlrl", "rules"))
def test_named_inferences(
    results: Results,
    inputs: dict[str, tuple[Graph, Graph]],
    source: str,
    mode: str,
) -> None:
    result = _get(results, source, mode)
    inferred = result.inferred
    riluzole, msc = ID["intervention/riluzole"], ID["intervention/msc-therapy"]
    assert (riluzole, RDF.type, ALS.Intervention) in inferred
    assert _rule_of(result, (riluzole, RDF.type, ALS.Intervention)) == "cax-sco"
    assert (msc, RDF.type, ALS.CellTherapy) in inferred
    assert (msc, RDF.type, ALS.InvestigationalIntervention) in inferred
    _, asserted = inputs[source]
    studies = set(asserted.subjects(ALS.investigates, None))
    assert studies
    sod1 = ID["disease/als-sod1"]
    for study in studies:  # tofersen's trials concern SOD1 ALS, a subtype of ALS
        disease = sod1 if (study, ALS.concerns, sod1) in inferred else DISEASE_ALS
        assert (study, ALS.concerns, disease) in inferred, study
        assert _rule_of(result, (study, ALS.concerns, disease)) == "prp-spo2"
    inverse = (msc, ALS.investigatedIn, min(asserted.subjects(ALS.investigates, msc), key=str))
    assert inverse in inferred
    assert _rule_of(result, inverse) in ("prp-inv1", "prp-inv2")
    if source == "fixture":
        limb = ID["anatomy/limb"]
        assert (ID["anatomy/hand"], ALS.partOf, limb) in inferred
        assert _rule_of(result, (ID["anatomy/hand"], ALS.partOf, limb)) == "prp-trp"
    else:  # transitive kind-of: lenzumestrocel ⊑ bone-marrow MSC therapy ⊑ MSC therapy
        lenzumestrocel = ID["intervention/lenzumestrocel"]
        assert (lenzumestrocel, ALS.kindOf, msc) in inferred
        assert _rule_of(result, (lenzumestrocel, ALS.kindOf, msc)) == "prp-trp"


@pytest.mark.parametrize("mode", ["owlrl", "rules"])
def test_domain_rules_on_fixture(
    results: Results, mode: str
) -> None:
    inferred = _get(results, "fixture", mode).inferred
    overstated, safety = ID["claim/msc-survival"], ID["claim/msc-safety"]
    assert (overstated, ALS.evidenceCeiling, ID["status/supported"]) in inferred
    assert (overstated, ALS.exceedsEvidence, Literal(True)) in inferred
    assert (safety, ALS.evidenceCeiling, ID["status/supported"]) in inferred
    assert (safety, ALS.exceedsEvidence, None) not in inferred
    assert (ID["claim/riluzole-survival"], ALS.evidenceCeiling, None) not in inferred
    summary = ID["summary/msc-therapy--safety"]
    assert (summary, RDF.type, ALS.EvidenceSummary) in inferred
    assert (summary, ALS.summaryIntervention, ID["intervention/msc-therapy"]) in inferred
    assert (summary, ALS.summaryAspect, ID["aspect/safety"]) in inferred
    assert (summary, ALS.summaryStatus, ID["status/supported"]) in inferred
    assert inferred.value(summary, ALS.claimCount) == Literal(1)
    assert inferred.value(safety, ALS.supportingStudyCount) == Literal(2)


@pytest.mark.parametrize(("source", "mode"), cases("owlrl", "rules"))
def test_no_noise_and_nothing_asserted(
    results: Results,
    inputs: dict[str, tuple[Graph, Graph]],
    source: str,
    mode: str,
) -> None:
    result = _get(results, source, mode)
    ontology, asserted = inputs[source]
    noise = NoiseFilter(ontology, asserted)
    noise.add_rule_literals(o for o in result.inferred.objects() if isinstance(o, Literal))
    for triple in result.inferred:
        assert triple not in asserted and triple not in ontology, triple
        assert noise.classify(triple) is None, triple
    inferred = result.inferred
    assert not list(inferred.triples((None, OWL.sameAs, None)))
    for thing in (OWL.Thing, RDFS.Resource, RDFS.Class, OWL.Class):
        assert (None, RDF.type, thing) not in inferred
    assert all(not isinstance(s, Literal) for s in inferred.subjects())
    assert result.noise_counts["anonymous-class"] > 0
    if mode == "owlrl":
        for kind in (
            "already-asserted",
            "reflexive",
            "thing-typing",
            "literal-subject",
            "datatype-axiom",
            "builtin-vocabulary",
        ):
            assert result.noise_counts[kind] > 0, kind


@pytest.mark.parametrize(("source", "mode"), cases("owlrl", "rules"))
def test_every_inference_explained_without_cycles(
    results: Results,
    inputs: dict[str, tuple[Graph, Graph]],
    source: str,
    mode: str,
) -> None:
    result = _get(results, source, mode)
    ontology, asserted = inputs[source]
    expl = result.explanations
    assert len(set(expl.subjects(RDF.type, DERIVATION))) == len(result.inferred)
    assert sum(result.counts_by_rule.values()) == len(result.inferred)
    for triple in result.inferred:
        node = derivation_iri(triple)
        assert (node, RDF.type, DERIVATION) in expl, triple
        round_ = int(str(expl.value(node, ROUND)))
        premises = list(expl.objects(node, PREMISE))
        assert premises, triple
        for statement in premises:
            s, p, o = (
                expl.value(statement, RDF.subject),
                expl.value(statement, RDF.predicate),
                expl.value(statement, RDF.object),
            )
            assert s is not None and p is not None and o is not None
            premise = (s, p, o)
            if premise in result.inferred:
                assert int(str(expl.value(derivation_iri(premise), ROUND))) < round_
            else:
                assert premise in asserted or premise in ontology, (triple, premise)


@pytest.mark.parametrize("source", [
    "fixture", pytest.param("als", marks=pytest.mark.slow)])
def test_modes_agree(results: Results, source: str) -> None:
    owl, rules = _get(results, source, "owlrl"), _get(results, source, "rules")
    only_owlrl = set(owl.inferred) - set(rules.inferred)
    only_rules = set(rules.inferred) - set(owl.inferred)
    assert not only_owlrl and not only_rules
    assert owl.counts_by_rule == rules.counts_by_rule


def test_modes_agree_on_other_constructs() -> None:
    ontology, asserted = _parse(CONSTRUCTS_ONTOLOGY), _parse(CONSTRUCTS_DATA)
    empty = ROOT / "tests"  # a folder with no *.rq: OWL 2 RL only
    owl = reason(ontology, asserted, mode="owlrl", rules_dir=empty)
    rules = reason(ontology, asserted, mode="rules", rules_dir=empty)
    assert set(owl.inferred) == set(rules.inferred)
    t = Namespace("https://example.org/t#")
    expected = {
        (t.a, RDF.type, t.AorB): "cax-sco",
        (t.y, t.sym, t.x): "prp-symp",
        (t.x, t.long, t.m3): "prp-spo2",
        (t.x, t.r, t.z): "prp-spo1",
        (t.painted, t.colour, t.red): "cls-hv1",
        (t.apple, RDF.type, t.HasRed): "cax-sco",
        (t.thing1, RDF.type, t.E): "cls-avf",
        (t.box, RDF.type, t.AnyHolder): "cax-sco",
        (t.v1, OWL.sameAs, t.v2): "prp-fp",
        (t.v2, t.colour, t.blue): "eq-rep-s",
    }
    for triple, rule in expected.items():
        assert triple in rules.inferred, triple
        assert _rule_of(rules, triple) == rule, triple
    assert (t.c, RDF.type, t.D) in rules.inferred and (t.d, RDF.type, t.C) in rules.inferred


@pytest.mark.parametrize("mode", ["owlrl", "rules"])
def test_deterministic(inputs: dict[str, tuple[Graph, Graph]], mode: str) -> None:
    ontology, asserted = inputs["fixture"]
    first = reason(ontology, asserted, mode=mode)
    second = reason(ontology, asserted, mode=mode)
    for a, b in ((first.inferred, second.inferred), (first.explanations, second.explanations)):
        assert sorted(a.serialize(format="nt").splitlines()) == sorted(
            b.serialize(format="nt").splitlines()
        )
    assert first.noise_counts == second.noise_counts


def test_same_explanations_after_reparsing() -> None:
    """Blank-node labels change with every parse; derivation and statement IRIs must not."""
    runs = [reason(_parse(FIXTURE_ONTOLOGY), _parse(FIXTURE_DATA), mode="rules") for _ in range(2)]
    nodes = [sorted(str(s) for s in set(r.explanations.subjects())) for r in runs]
    assert nodes[0] == nodes[1]
    assert isomorphic(runs[0].explanations, runs[1].explanations)
    assert set(runs[0].inferred) == set(runs[1].inferred)


def test_explain_tree_reaches_asserted_triples(
    results: Results, inputs: dict[str, tuple[Graph, Graph]]
) -> None:
    result = _get(results, "fixture", "rules")
    ontology, asserted = inputs["fixture"]
    msc = ID["intervention/msc-therapy"]
    triple = (msc, RDF.type, ALS.InvestigationalIntervention)
    tree = explain(ontology, asserted, result.inferred, result.explanations, *triple)
    assert tree.rule == "cax-sco" and "cls-int1" in tree.via and "cls-svf1" in tree.via
    leaves = [node for node in tree.walk() if not node.premises]
    assert leaves and all(node.rule is None for node in leaves)
    assert all(node.asserted_in for node in leaves)
    text = explain_text(ontology, asserted, result.inferred, result.explanations, *triple)
    lines = text.splitlines()
    assert lines[0].startswith("intervention:msc-therapy a als:InvestigationalIntervention")
    assert "claim:msc-safety a als:SupportedSafetyClaim" in text
    assert "[asserted: asserted]" in text and "[asserted: ontology]" in text
    with pytest.raises(LookupError):
        explain(result.inferred, result.explanations, msc, RDF.type, ALS.Drug)


def test_rule_files_have_headers_and_parse() -> None:
    rules = load_rules(default_rules_dir())
    assert {r.name for r in rules} >= {"evidence-ceiling.rq", "evidence-summary.rq"}
    assert all(r.summary for r in rules)
    with pytest.raises(RuleError):
        parse_rule("x.rq", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    with pytest.raises(RuleError):
        parse_rule("x.rq", "#+ summary: s\nCONSTRUCT { [] ?p ?o } WHERE { ?s ?p ?o }")


def test_bad_mode(inputs: dict[str, tuple[Graph, Graph]]) -> None:
    ontology, asserted = inputs["fixture"]
    with pytest.raises(ReasoningError):
        reason(ontology, asserted, mode="hermit")


def _bnodes_unlabelled(text: str) -> list[str]:
    """The tree's lines with blank nodes unlabelled, sorted: the in-memory run and the file
    label blank nodes differently (the file canonically), and siblings sort by label."""
    lines = (re.sub(r"[├└]── ", "+-- ", line.replace("│", " ")) for line in text.splitlines())
    return sorted(re.sub(r"_:[A-Za-z0-9]+", "_:b", line) for line in lines)


@pytest.mark.parametrize(("source", "mode"), [
    ("fixture", "rules"), ("als", "rules"), pytest.param("als", "owlrl", marks=pytest.mark.slow)])
def test_derivation_file_gives_the_trees_of_the_explanations_graph(
    results: Results, inputs: dict[str, tuple[Graph, Graph]],
    tmp_path: Path, source: str, mode: str
) -> None:
    """Every inferred triple's tree read from the derivation file is the RDF graph's tree."""
    result = _get(results, source, mode)
    ontology, asserted = inputs[source]
    assert result.derivations is not None
    path = tmp_path / "explanations.sqlite"
    result.derivations.write(path)
    stored = DerivationFile(path)
    assert len(result.derivations) == len(result.inferred_triples) > 0
    for triple in sorted(result.inferred_triples):
        tree = stored.explain(triple)
        if tree is None:  # a blank node: the file knows it by its canonical label only
            assert any(isinstance(t, BNode) for t in triple)
            continue
        expected = explain(ontology, asserted, result.inferred, result.explanations, *triple)
        assert _bnodes_unlabelled(render_text(tree)) == _bnodes_unlabelled(render_text(expected))
    assert stored.explain((ID["nothing"], RDF.type, ALS.Drug)) is None
    assert DerivationFile(tmp_path / "absent.sqlite").explain(result.inferred_triples[0]) is None

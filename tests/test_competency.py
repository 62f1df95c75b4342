"""Competency questions: each named query in queries/*.rq answers its question on the curated data.

The queries run on what a user asks: the build's default graph (ontology, asserted facts from the
Turtle files and the curation records, and what reasoning adds). The data checks read the curated
sources themselves (asserted only). Also checks the SHACL shapes (the data conforms; broken data
is caught and the rule named) and the graph's safety rules (a cell therapy `treats` only under an
approval in force; every claim dated and sourced).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery

from alskg.assembly.store import BuiltDataset
from alskg.curation.namespaces import graph_iri
from alskg.curation.sources import Sources, load_sources
from alskg.curation.validate import identity_problems
from alskg.query.engines import Engine, open_engine
from alskg.query.engines.base import DatasetSpec

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "als.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
QUERIES = ROOT / "queries"

ALS = Namespace("https://w3id.org/alskg/vocab#")
ID = "https://w3id.org/alskg/id/"
OBO = "http://purl.obolibrary.org/obo/"
SH = Namespace("http://www.w3.org/ns/shacl#")


def _query_files() -> list[Path]:
    return sorted(QUERIES.glob("*.rq"))


@pytest.fixture(scope="module")
def sources() -> Sources:
    return load_sources()


@pytest.fixture(scope="module")
def ontology(sources: Sources) -> Graph:
    return sources.ontology


@pytest.fixture(scope="module")
def data(sources: Sources) -> Graph:
    return sources.asserted


@pytest.fixture(scope="module")
def graph(built: BuiltDataset) -> Graph:
    """The build's default graph: ontology + asserted + inferred."""
    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    union = Graph()
    for name in ("ontology", "asserted", "inferred"):
        for triple in dataset.graph(URIRef(graph_iri(name))):
            union.add(triple)
    return union


@pytest.fixture(scope="module")
def engine(built: BuiltDataset) -> Iterator[Engine]:
    opened = open_engine("oxigraph", built.dataset_file)
    yield opened
    opened.close()


def run(engine: Engine, name: str, **bindings: str) -> list[dict[str, str]]:
    """Run queries/<name>.rq on the build; return rows as {variable: value} (unbound omitted)."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    outcome = engine.run(text, DatasetSpec(), timeout=30,
                         bindings={f"_{key}": URIRef(value) for key, value in bindings.items()})
    return [{name: str(value) for name, value in zip(outcome.variables, row, strict=True)
             if value is not None} for row in outcome.rows]


# --- the query files themselves -------------------------------------------------------------


def test_there_is_one_query_per_competency_question() -> None:
    names = [p.name for p in _query_files()]
    assert len(names) >= 10
    assert all(re.match(r"^\d{2}-[a-z0-9-]+\.rq$", name) for name in names), names


def _competency_files() -> list[Path]:
    return [p for p in _query_files() if re.match(r"^[01]\d-", p.name)]


@pytest.mark.parametrize("path", _competency_files(), ids=lambda p: p.name)
def test_query_parses_and_has_grlc_header(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#+ summary: ")
    assert re.search(r"^#\+ description: \S", text, re.M)
    assert re.search(r"^#\+ tags:\n#\+   - \S", text, re.M)
    assert "PREFIX als: <https://w3id.org/alskg/vocab#>" in text
    prepareQuery(text)
    for param in set(re.findall(r"\?_([A-Za-z0-9]+)", text)):
        assert "#+ params:" in text
        assert re.search(rf"^#\+   - name: {param}$", text, re.M), param
        assert re.search(r"^#\+     default: https://w3id\.org/alskg/id/", text, re.M)


# --- competency questions -------------------------------------------------------------------


def test_01_symptoms_of_als(engine: Engine) -> None:
    rows = run(engine, "01-als-symptoms")
    by_label = {r["label"]: r for r in rows}
    assert set(by_label) == {
        "upper limb muscle weakness", "muscle weakness", "slowed movement",
        "skeletal muscle atrophy", "spasticity", "dysphagia", "difficulty breathing",
    }
    assert by_label["upper limb muscle weakness"]["hpoExact"] == OBO + "HP_0003484"
    assert by_label["muscle weakness"]["hpoExact"] == OBO + "HP_0001324"
    assert by_label["skeletal muscle atrophy"]["hpoExact"] == OBO + "HP_0003202"
    assert by_label["spasticity"]["hpoExact"] == OBO + "HP_0001257"
    assert by_label["spasticity"]["bodyRegions"] == "limb"
    assert by_label["dysphagia"]["hpoExact"] == OBO + "HP_0002015"
    assert by_label["dysphagia"]["stage"] == "later stages"
    # Loose mappings stay close matches, never exact.
    assert "hpoExact" not in by_label["slowed movement"]
    assert by_label["slowed movement"]["hpoClose"] == OBO + "HP_0002067"
    assert "hpoExact" not in by_label["difficulty breathing"]
    assert by_label["difficulty breathing"]["hpoClose"] == OBO + "HP_0002093"
    assert by_label["difficulty breathing"]["stage"] == "later stages"


def test_02_first_symptom_and_laterality(engine: Engine) -> None:
    rows = run(engine, "02-first-symptom")
    assert len(rows) == 1
    row = rows[0]
    assert row["label"] == "upper limb muscle weakness"
    assert row["hpo"] == OBO + "HP_0003484"
    assert row["laterality"] == "asymmetric"
    assert "HPO has no class" in row["lateralityDefinition"]
    assert set(row["bodyRegions"].split(", ")) == {"hand", "arm"}


def test_02_hands_and_arms_are_parts_of_the_limbs(graph: Graph) -> None:
    hand, arm, limb = (URIRef(f"{ID}anatomy/{n}") for n in ("hand", "arm", "limb"))
    assert (hand, ALS.partOf, limb) in graph
    assert (arm, ALS.partOf, limb) in graph
    assert (hand, ALS.partOf, arm) not in graph  # the source names "hands or arms", side by side
    assert (ALS.partOf, RDF.type, OWL.TransitiveProperty) in graph


def test_03_what_als_destroys_and_where(engine: Engine) -> None:
    rows = run(engine, "03-what-als-destroys")
    assert {(r["cellLabel"], r["locationLabel"]) for r in rows} == {("motor neuron", "spinal cord")}
    assert rows[0]["cellId"] == OBO + "CL_0000100"
    assert rows[0]["locationId"] == OBO + "UBERON_0002240"


def test_04_approved_drugs_do_and_do_not(engine: Engine) -> None:
    rows = run(engine, "04-approved-drugs")
    approved = {r["drugLabel"] for r in rows}
    # every approval in force: the 2017 two, tofersen, and the national ones (Korea's conditional
    # approval of lenzumestrocel, Japan's of methylcobalamin); the product taken off the US
    # market and refused in the EU is not among them
    assert approved == {"riluzole", "edaravone", "tofersen", "lenzumestrocel", "methylcobalamin"}
    review = {(r["drugLabel"], r["aspect"]): r["status"] for r in rows
              if r.get("source") == "Bonafede & Mariotti 2017"}
    assert review[("riluzole", "survival")] == "established"
    assert review[("riluzole", "function and symptom improvement")] == "not shown"
    assert review[("riluzole", "cure")] == "not shown"
    assert review[("edaravone", "slowing of progression")] == "suggested"
    assert review[("edaravone", "cure")] == "not shown"
    pathways = {(r["drugLabel"], r["pathwayLabel"]) for r in rows}
    assert ("lenzumestrocel", "conditional approval") in pathways


def test_05_msc_therapy_safety_supported_effectiveness_unproven(engine: Engine) -> None:
    rows = run(engine, "05-intervention-evidence",
               intervention=f"{ID}intervention/msc-therapy")
    review = [r for r in rows if r["date"] == "2017-03-21"
              and r["claimIntervention"] == f"{ID}intervention/msc-therapy"]
    by_aspect = {r["aspect"]: r for r in review}
    assert {r["kind"] for r in review} == {"source assertion"}
    assert by_aspect["safety"]["status"] == "supported"
    assert by_aspect["feasibility"]["status"] == "supported"
    assert by_aspect["effectiveness"]["status"] == "unproven"
    safety_studies = by_aspect["safety"]["studies"]
    for group in ("Deda", "Karussis", "Mazzini", "Blanquer", "Baek"):
        assert group in safety_studies
    # what a review says is a traceable author statement, not clinical study evidence
    assert by_aspect["safety"]["evidenceTypes"] == OBO + "ECO_0000304"
    assert "studies" not in by_aspect["effectiveness"]
    assert by_aspect["effectiveness"]["publications"] == "Bonafede & Mariotti 2017"
    # narrower interventions count for MSC therapy: the MSC-NTF phase 3 finding is included
    later = {r["claim"] for r in rows if r["claimIntervention"] != f"{ID}intervention/msc-therapy"}
    assert f"{ID}claim/msc-ntf-effectiveness-nurown-phase-3" in later


def test_05_parameter_selects_another_intervention(engine: Engine) -> None:
    rows = run(engine, "05-intervention-evidence", intervention=f"{ID}intervention/riluzole")
    survival = {r["kind"]: r for r in rows if r["aspect"] == "survival"}
    # the review's word and the trials' own finding stay two claims
    assert survival["source assertion"]["status"] == "established"
    assert survival["source assertion"]["publications"] == "Bonafede & Mariotti 2017"
    assert "studies" not in survival["source assertion"]
    assert survival["study finding"]["status"] == "supported"
    assert "Bensimon 1994" in survival["study finding"]["studies"]


def test_06_which_study_reported_what(engine: Engine) -> None:
    rows = run(engine, "06-study-outcomes")
    reported = {r["aspect"]: (r["group"], r["year"]) for r in rows}
    assert reported == {
        "survival": ("Martinez", "2012"),
        "quality of life": ("Rushkevich", "2015"),
        "neuromuscular improvement": ("Deda", "2009"),
    }
    tested = {r["aspect"]: (r["interventionLabel"], r["testedLabel"]) for r in rows}
    assert tested["survival"] == ("bone-marrow-derived stem cell therapy",
                                  "CD133+ peripheral-blood cell therapy")


def test_07_cell_sources_and_routes(graph: Graph, engine: Engine) -> None:
    rows = {r["interventionLabel"]: r for r in run(engine, "07-cell-sources-and-routes")}
    bone_marrow = rows["bone-marrow-derived stem cell therapy"]
    assert bone_marrow["cellSource"] == "bone marrow"
    assert "intraspinal" in bone_marrow["routes"].split(", ")
    msc = rows["mesenchymal stem cell therapy"]
    assert msc["cellType"] == "mesenchymal stem cell"
    assert {"intrathecal", "intravenous"} <= set(msc["routes"].split(", "))
    assert rows["hematopoietic progenitor cell therapy"]["cellSource"] == "bone marrow"
    assert rows["CD133+ peripheral-blood cell therapy"]["cellSource"] == "peripheral blood"
    # narrower interventions count one kindOf step here (asserted only; the reasoner adds the
    # transitive closure, so the served graph reaches Baek's intraventricular route too)
    stem_routes = set(rows["stem cell therapy"]["routes"].split(", "))
    assert {"into the frontal motor cortex", "intrathecal"} <= stem_routes
    vesicles = rows["mesenchymal stem cell-derived exosome therapy"]
    assert vesicles["derivedFrom"] == "mesenchymal stem cell"
    assert "extracellular exosome" in vesicles["vesicleType"]
    assert vesicles["inClinicalTrials"] == "false"
    assert "routes" not in vesicles
    for label in ("bone-marrow-derived stem cell therapy", "mesenchymal stem cell therapy"):
        assert rows[label]["inClinicalTrials"] == "true"


def test_08_hypothesis_about_stem_cells_and_exosomes(engine: Engine) -> None:
    rows = run(engine, "08-hypothesis")
    assert len(rows) == 1
    row = rows[0]
    assert set(row["effects"].split(", ")) == {"protect", "preserve", "regenerate"}
    assert "mesenchymal stem cell-derived exosome therapy" in row["interventions"]
    assert row["targetCells"] == "motor neuron"
    assert row["source"] == "Bonafede & Mariotti 2017"


def test_09_source_review_and_date(engine: Engine) -> None:
    rows = run(engine, "09-source-review", review=f"{ID}publication/bonafede-mariotti-2017")
    assert len(rows) == 1
    row = rows[0]
    assert row["issued"] == "2017-03-21"
    assert row["doi"] == "https://doi.org/10.3389/fncel.2017.00080"
    assert set(row["authors"].split(", ")) == {"Roberta Bonafede", "Raffaella Mariotti"}
    assert row["title"].startswith("ALS Pathogenesis and Therapeutic Approaches")
    assert int(row["claims"]) == 12


def test_10_studies_by_group_and_year(graph: Graph, engine: Engine) -> None:
    rows = run(engine, "10-studies-by-group")
    groups = {(r["group"], r["year"]) for r in rows if "group" in r}
    for expected in [("Deda", "2009"), ("Karussis", "2010"), ("Mazzini", "2010"),
                     ("Blanquer", "2012"), ("Baek", "2012"), ("Martinez", "2009"),
                     ("Rushkevich", "2015")]:
        assert expected in groups
    karussis = next(r for r in rows if r.get("group") == "Karussis")
    assert karussis["phase"] == "phase I/II"
    assert karussis["identifier"] == "https://doi.org/10.1001/archneurol.2010.248"
    blanquer = next(r for r in rows if r.get("group") == "Blanquer")
    assert blanquer["phase"] == "phase I"
    assert set(blanquer["designs"].split(", ")) == {"open-label", "single-arm"}
    deda = next(r for r in rows if r.get("group") == "Deda")
    assert deda["identifier"] == "https://doi.org/10.1080/14653240802549470"
    pmids = {r["identifier"] for r in rows if "identifier" in r and "pubmed" in r["identifier"]}
    assert {"https://identifiers.org/pubmed:8302340",
            "https://identifiers.org/pubmed:28522181"} <= pmids


# --- safety rules of the graph --------------------------------------------------------------


def test_a_cell_or_vesicle_therapy_treats_only_under_an_approval_in_force(graph: Graph,
                                                                          data: Graph) -> None:
    select = """
        PREFIX als: <https://w3id.org/alskg/vocab#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?therapy WHERE {
          ?therapy a/rdfs:subClassOf* ?class ; als:treats ?disease .
          VALUES ?class { als:CellTherapy als:ExtracellularVesicleTherapy }
        }"""
    treating = {str(row[0]) for row in graph.query(select)}  # type: ignore[index]
    # only the product Korea approved conditionally (2014); never MSC therapy as a whole
    assert treating == {f"{ID}intervention/lenzumestrocel"}
    lenzumestrocel = URIRef(f"{ID}intervention/lenzumestrocel")
    pathways = {(str(graph.value(status, ALS.approvingAgency)),
                 str(graph.value(status, ALS.approvalPathway)))
                for status in graph.objects(lenzumestrocel, ALS.approvalStatus)}
    assert pathways == {(f"{ID}agency/korea", f"{ID}regulatory-action/conditional-approval")}
    # treats is derived from regulatory acts, never asserted (rule treats-derived)
    assert set(data.subjects(ALS.treats, None)) == set()
    assert set(data.subjects(ALS.approvedFor, None)) == set()


def test_every_claim_has_date_source_and_support(data: Graph) -> None:
    claims = set(data.subjects(RDF.type, ALS.Claim))
    review = URIRef(f"{ID}publication/bonafede-mariotti-2017")
    from_review = {c for c in claims if (c, DCTERMS.source, review) in data}
    assert len(from_review) == 12 and len(claims) > 12
    curators = URIRef(f"{ID}agent/alskg-curators")
    for claim in claims:
        dates = list(data.objects(claim, DCTERMS.date))
        assert len(dates) == 1, claim
        assert dates[0].datatype in (XSD.date, XSD.gYearMonth, XSD.gYear), claim
        valid_from = list(data.objects(claim, ALS.validFrom))
        assert len(valid_from) == 1 and valid_from[0].datatype == XSD.date, claim
        assert str(valid_from[0]).startswith(str(dates[0])[:4]), claim
        assert (claim, PROV.wasAttributedTo, curators) in data, claim
        assert list(data.objects(claim, DCTERMS.source)), claim
        if claim in from_review:
            assert dates == [Literal("2017-03-21", datatype=XSD.date)], claim
        support = set(data.objects(claim, ALS.supportedByStudy)) | set(
            data.objects(claim, ALS.supportedByPublication))
        assert support, claim
        assert list(data.objects(claim, ALS.sourceStatement)), claim
        assert all(str(e).startswith(OBO + "ECO_") for e in data.objects(claim, ALS.evidenceType))


def test_effectiveness_of_msc_therapy_is_never_stronger_than_unproven(graph: Graph) -> None:
    rank = {s: int(graph.value(s, ALS.rank)) for s in graph.subjects(RDF.type, ALS.Status)}
    unproven = rank[URIRef(f"{ID}status/unproven")]
    msc = URIRef(f"{ID}intervention/msc-therapy")
    msc_like = {msc} | {i for i in graph.subjects(ALS.kindOf * "+", msc)}  # type: ignore[operator]
    statuses = {
        graph.value(claim, ALS.status)
        for intervention in msc_like
        for claim in graph.subjects(ALS.aboutIntervention, intervention)
        if graph.value(claim, ALS.aspect) == URIRef(f"{ID}aspect/effectiveness")
    }
    assert statuses and all(rank[status] >= unproven for status in statuses)


def test_every_vocabulary_term_has_one_label_and_a_definition(ontology: Graph) -> None:
    terms = {s for s in ontology.subjects() if isinstance(s, URIRef)
             and str(s).startswith(("https://w3id.org/alskg/vocab#", ID))}
    assert len(terms) > 90
    for term in terms:
        assert len(list(ontology.objects(term, RDFS.label))) == 1, term
        assert list(ontology.objects(term, SKOS.definition)), term
    for concept in ontology.subjects(RDF.type, SKOS.Concept):
        assert ontology.value(concept, SKOS.prefLabel) == ontology.value(concept, RDFS.label)
        assert ontology.value(concept, SKOS.inScheme) is not None


# --- SHACL ----------------------------------------------------------------------------------


def _validate(data_graph: Graph, ontology: Graph) -> tuple[bool, Graph]:
    from pyshacl import validate

    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, results, _text = validate(
        data_graph=data_graph, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=True,
    )
    assert isinstance(results, Graph)
    return bool(conforms), results


def test_data_conforms_to_shapes(data: Graph, ontology: Graph) -> None:
    conforms, results = _validate(data, ontology)
    messages = sorted(str(m) for m in results.objects(None, SH.resultMessage))
    assert conforms, messages


def test_every_shape_is_named_and_has_a_message() -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.objects(None, SH.property))
    assert nodes
    for shape in nodes:  # sh:or alternatives report through their named parent shape
        assert shapes.value(shape, SH.name) is not None, shape
        assert shapes.value(shape, SH.message) is not None, shape


def test_shapes_catch_broken_data(sources: Sources, data: Graph, ontology: Graph) -> None:
    broken = Graph()
    for triple in data:
        broken.add(triple)
    bad_claim = URIRef(f"{ID}claim/broken")
    broken.add((bad_claim, RDF.type, ALS.Claim))
    broken.add((bad_claim, RDFS.label, Literal("broken claim")))
    broken.add((bad_claim, ALS.status, URIRef(f"{ID}status/proven")))
    broken.add((bad_claim, ALS.evidenceType, URIRef("http://example.org/evidence")))
    msc = URIRef(f"{ID}intervention/msc-therapy")
    broken.add((msc, ALS.treats, URIRef(f"{ID}disease/als")))
    broken.add((msc, SKOS.exactMatch, URIRef("http://purl.obolibrary.org/obo/CL_0000134x")))
    bad_study = URIRef(f"{ID}study/two-years")
    broken.add((bad_study, RDF.type, ALS.Study))
    broken.add((bad_study, RDFS.label, Literal("study with two years")))
    broken.add((bad_study, ALS.year, Literal("2001", datatype=XSD.gYear)))
    broken.add((bad_study, ALS.year, Literal("2002", datatype=XSD.gYear)))
    broken.add((bad_study, ALS.investigates, URIRef(f"{ID}intervention/undescribed")))
    broken.add((URIRef("http://example.org/outside"), RDFS.comment, Literal("outside")))
    conforms, results = _validate(broken, ontology)
    assert not conforms
    shapes = Graph().parse(SHAPES, format="turtle")
    rules = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        name = shapes.value(results.value(result, SH.sourceShape), SH.name)
        rules.add(str(name))
    assert {
        "claim-about-intervention", "claim-about-condition", "claim-aspect", "claim-status",
        "claim-evidence-type", "claim-date", "claim-attribution", "claim-support",
        "no-treats-for-experimental", "treats-derived", "external-iri-form", "study-year",
        "study-reference", "study-investigates",
    } <= rules, rules
    # entity identity is checked in Python, on the same broken graph
    identity = {(p.node, p.rule) for p in identity_problems(
        replace(sources, asserted=broken))}
    assert ("id/intervention/undescribed", "one-label") in identity, identity
    assert ("http://example.org/outside", "subject-under-base") in identity, identity

"""Validate curated data: SHACL shapes and identifier checks, naming file, node and rule."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from . import paths as resources
from .hpo_import import imported_labels
from .namespaces import ALS, DEFAULT_BASE, SH
from .registry_cache import CACHE_FILE, Registries
from .sources import Sources

OBO_PURL = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z]+)_([^/#]+)$")
# External IRI forms accepted in the data, mapped to CURIE prefixes.
EXTERNAL_FORMS: tuple[tuple[str, str], ...] = (
    ("https://doi.org/", "DOI"),
    ("https://identifiers.org/pubmed:", "PMID"),
    ("https://go.drugbank.com/drugs/", "DRUGBANK"),
    ("http://id.nlm.nih.gov/mesh/", "MESH"),
    ("http://www.orpha.net/ORDO/Orphanet_", "ORPHA"),
    ("https://www.omim.org/entry/", "OMIM"),
    ("https://clinicaltrials.gov/study/", "NCT"),
)
DATE_TYPES = (XSD.date, XSD.gYearMonth, XSD.gYear, XSD.dateTime)
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
                      SKOS.relatedMatch)


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding: where (file, node), which rule, and what is wrong."""

    file: str
    node: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.node}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class VerifiedId:
    """A row of the verified identifier table (ontology/identifiers.tsv)."""

    curie: str
    label: str
    confidence: str


@lru_cache(maxsize=4)
def verified_ids(path: Path) -> dict[str, VerifiedId]:
    """Read the verified identifier table, keyed by CURIE."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {r["curie"]: VerifiedId(r["curie"], r["label"], r["confidence"]) for r in rows}


def iri_to_curie(iri: str) -> str | None:
    """Return the CURIE for an external IRI (OBO PURL, DOI, PubMed, DrugBank, MeSH), else None."""
    match = OBO_PURL.match(iri)
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    for prefix, curie_prefix in EXTERNAL_FORMS:
        if iri.startswith(prefix):
            return f"{curie_prefix}:{iri[len(prefix):]}"
    return None


def curie_is_well_formed(curie: str) -> bool:
    """Check a CURIE's local part against its registry pattern (bioregistry, offline)."""
    return Registries().curie_is_well_formed(curie)


def shacl_problems(sources: Sources) -> list[Problem]:
    """Run the SHACL shapes over the asserted data and return one Problem per result."""
    if len(sources.shapes) == 0:
        return []
    from pyshacl import validate as shacl_validate

    # the ontology read beside the data, not copied into it (pyshacl's ont_graph mixes a copy)
    data = ReadOnlyGraphAggregate([sources.asserted, sources.own_ontology()])
    conforms, results, _text = shacl_validate(
        data_graph=data, shacl_graph=sources.shapes, inference="none", advanced=True,
        allow_warnings=True, inplace=True,
    )
    if conforms:
        return []
    assert isinstance(results, Graph)
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        shape = results.value(result, SH.sourceShape)
        name = sources.shapes.value(shape, SH.name) if shape is not None else None
        rule = str(name) if name else _short(shape)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage) or "shape violated"
        detail = f"{message}" + (f" (path {_short(path)})" if path is not None else "")
        problems.append(Problem(_file_of(sources, focus), _short(focus), rule, detail))
    return problems


def identifier_problems(sources: Sources, table_path: Path | None = None,
                        registries: Registries | None = None) -> list[Problem]:
    """Check every external identifier: well-formed, verified, and HPO labels matching (HPO's
    labels from a current HPO import among the sources, else from hpo3)."""
    table = verified_ids(table_path or resources.ontology_dir() / "identifiers.tsv")
    registries = registries or Registries(known_hpo_labels=imported_labels(sources.ontology))
    problems: list[Problem] = []
    graph = ReadOnlyGraphAggregate([sources.ontology, sources.asserted])
    for subject, predicate, obj in _all_triples(sources):
        if not isinstance(obj, URIRef):
            continue
        curie = iri_to_curie(str(obj))
        if curie is None:
            continue
        where = _file_of(sources, subject)
        node = _short(subject)
        if not registries.curie_is_well_formed(curie):
            problems.append(Problem(where, node, "curie-pattern",
                                    f"{curie} does not match its registry's identifier pattern"))
            continue
        if curie.startswith("HP:"):
            label = registries.hpo_label(curie)
            if label is None:
                problems.append(Problem(where, node, "hpo-exists", f"{curie} is not an HPO term"))
            elif predicate == SKOS.exactMatch and not _has_label(graph, subject, label):
                problems.append(Problem(
                    where, node, "hpo-label",
                    f"{curie} is labelled {label!r} in HPO; give the entity that label as "
                    "rdfs:label or skos:altLabel, or use skos:closeMatch"))
            continue
        if curie not in table:
            problems.append(Problem(where, node, "verified-id",
                                    f"{curie} is not in the verified identifier table "
                                    "(ontology/identifiers.tsv)"))
    return problems


def _all_triples(sources: Sources) -> Iterable[tuple[Node, Node, Node]]:
    """Yield the ontology's triples, then the asserted ones (no copy of either graph)."""
    yield from sources.ontology
    yield from sources.asserted


def date_problems(sources: Sources, today: date | None = None) -> list[Problem]:
    """Report dates after the data's als:evidenceCurrentTo (or today): facts from the future."""
    today = today or date.today()
    graph = sources.asserted
    bounds = [lit.toPython() for lit in graph.objects(None, ALS.evidenceCurrentTo)
              if isinstance(lit, Literal) and isinstance(lit.toPython(), date)]
    problems = []
    for subject in graph.subjects(ALS.evidenceCurrentTo, None):
        for bound in bounds:
            if bound > today:
                problems.append(Problem(_file_of(sources, subject), _short(subject),
                                        "date-in-future",
                                        f"als:evidenceCurrentTo {bound} is after today ({today})"))
    limit = min([*bounds, today])
    for subject, predicate, obj in graph:
        earliest = _earliest_day(obj)
        if earliest is not None and earliest > limit:
            problems.append(Problem(
                _file_of(sources, subject), _short(subject), "date-in-future",
                f"{_short(predicate)} {obj} is after the date the evidence was last checked "
                f"({limit}); a fact cannot be dated later"))
    return problems


def _earliest_day(node: Node) -> date | None:
    """The first day a date, year-month or year literal can name; None for other terms."""
    if not isinstance(node, Literal) or node.datatype not in DATE_TYPES:
        return None
    text = str(node)
    match = re.match(r"^(-?\d{4,})(?:-(\d{2}))?(?:-(\d{2}))?", text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


ID_ROOT = DEFAULT_BASE + "id/"
LIST_AND_CLASS_PREDICATES = (RDF.first, RDF.rest, OWL.intersectionOf, OWL.unionOf,
                             OWL.onProperty, OWL.propertyChainAxiom)


def identity_problems(sources: Sources) -> list[Problem]:
    """Report entities under `id/` without exactly one label, and subjects outside the base.

    The rules `one-label` and `subject-under-base` (ontology/shapes.ttl explains why they are
    checked here rather than as SHACL shapes with SPARQL targets).
    """
    graphs = (sources.asserted, sources.own_ontology())
    problems = []
    entities = {term for graph in graphs for triple in graph for term in (triple[0], triple[2])
                if isinstance(term, URIRef) and str(term).startswith(ID_ROOT)}
    for entity in sorted(entities, key=str):
        labels = {label for graph in graphs for label in graph.objects(entity, RDFS.label)}
        if len(labels) != 1 or not all(isinstance(label, Literal) for label in labels):
            problems.append(Problem(_file_of(sources, entity), _short(entity), "one-label",
                                    f"needs exactly one rdfs:label, has {len(labels)} (a reference "
                                    "to an undescribed IRI also fails here)"))
    for subject in set(sources.asserted.subjects()):
        if isinstance(subject, URIRef) and str(subject).startswith(DEFAULT_BASE):
            continue
        predicates = set(sources.asserted.predicates(subject))
        if predicates <= {RDFS.label} or predicates & set(LIST_AND_CLASS_PREDICATES) or \
                (subject, RDF.type, OWL.Restriction) in sources.asserted:
            continue
        problems.append(Problem(_file_of(sources, subject), str(subject), "subject-under-base",
                                "every subject must be an IRI under https://w3id.org/alskg/ (no "
                                "blank nodes, no statements about external IRIs other than their "
                                "rdfs:label)"))
    return problems


def finding_problems(sources: Sources) -> list[Problem]:
    """Report study findings that cite a study none of whose arms gave the claim's intervention
    or a narrower one (rule `study-finding-intervention`).

    Checked here rather than as a SHACL-SPARQL constraint, which pyshacl parsed and ran once per
    finding (half a second of every build); ontology/shapes.ttl says so.
    """
    graph = sources.asserted
    broader: dict[Node, set[Node]] = defaultdict(set)
    for child, parent in graph.subject_objects(ALS.kindOf):
        broader[child].add(parent)
    lineage: dict[Node, set[Node]] = {}   # an intervention, itself and all it is a kind of

    def covers(tested: Node, intervention: Node) -> bool:
        if tested not in lineage:
            seen, todo = {tested}, [tested]
            while todo:
                for parent in broader[todo.pop()] - seen:
                    seen.add(parent)
                    todo.append(parent)
            lineage[tested] = seen
        return intervention in lineage[tested]

    problems = []
    for claim in sorted(set(graph.subjects(RDF.type, ALS.StudyFinding)), key=str):
        interventions = set(graph.objects(claim, ALS.aboutIntervention))
        for study in sorted(set(graph.objects(claim, ALS.supportedByStudy)), key=str):
            tested = sorted(set(graph.objects(study, ALS.investigates)), key=str)
            if any(covers(t, i) for t in tested for i in interventions):
                continue
            for given in tested:
                problems.append(Problem(
                    _file_of(sources, claim), _short(claim), "study-finding-intervention",
                    "A study finding may cite only studies that gave its intervention or a "
                    f"narrower one (als:kindOf); {_short(study)} gave {_short(given)}. Make it "
                    "a source assertion, or cite another study."))
    return problems


def label_problems(sources: Sources) -> list[Problem]:
    """Report entities under the base sharing one label within a class (ambiguous names)."""
    graph = sources.asserted
    by_label: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for subject, label in graph.subject_objects(RDFS.label):
        if not str(subject).startswith(DEFAULT_BASE) or not isinstance(label, Literal):
            continue
        classes = [str(c) for c in graph.objects(subject, RDF.type)] or ["(untyped)"]
        for cls in classes:
            by_label[(cls, str(label).casefold())].append(subject)
    problems = []
    for (_cls, name), subjects in sorted(by_label.items()):
        unique = sorted(set(subjects), key=str)
        for subject in unique[1:]:
            problems.append(Problem(_file_of(sources, subject), _short(subject), "unique-label",
                                    f"label {name!r} is also used by {_short(unique[0])}"))
    return problems


def record_problems(sources: Sources) -> list[Problem]:
    """Return the problems the curation records' template found, located by `file:line`."""
    return [Problem(p.where, p.node, p.rule, p.message) for p in sources.record_problems]


def validate_sources(sources: Sources, cache_dir: Path | None = None) -> list[Problem]:
    """Run every check and return the problems found, sorted by file and node.

    `cache_dir` (the machine's cache folder, assembly.store.default_cache_dir) keeps the registry
    answers for the identifiers checked, so a later run loads bioregistry or HPO only for
    identifiers it has not seen (registry_cache).
    """
    registries = Registries(cache_dir / CACHE_FILE if cache_dir is not None else None,
                            known_hpo_labels=imported_labels(sources.ontology))
    problems = (record_problems(sources) + shacl_problems(sources) + identity_problems(sources)
                + finding_problems(sources) + identifier_problems(sources, registries=registries)
                + label_problems(sources) + date_problems(sources))
    registries.save()
    return sorted(set(problems))


def _has_label(graph: Graph, subject: Node, label: str) -> bool:
    names: Iterable[Node] = list(graph.objects(subject, RDFS.label)) + list(
        graph.objects(subject, SKOS.altLabel))
    return any(str(name).casefold() == label.casefold() for name in names)


def _file_of(sources: Sources, node: Node | None) -> str:
    if node is None:
        return "?"
    return sources.subject_files.get(node, "?")


def _short(node: Node | None) -> str:
    if node is None:
        return "?"
    text = str(node)
    return text[len(DEFAULT_BASE):] if text.startswith(DEFAULT_BASE) else text

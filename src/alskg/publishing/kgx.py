"""Biolink KGX export: `nodes.tsv` and `edges.tsv` of the graph's biomedical entities and relations.

Biolink is mapped at export only; none of its domain/range axioms enter the reasoner's closure.

Nodes: diseases, phenotypes, anatomy, cell types and interventions, each with one Biolink category
(the most specific that fits) and, as its id, the external CURIE of its `skos:exactMatch` in the
category's preferred prefix order (MONDO:0004976 for ALS), else `alskg.<kind>:<slug>`. Claims,
studies and publications are not nodes: they become the edges' `publications`.

Edges: the rule for treatments — `biolink:treats` only where the reasoner derived `als:treats`
from an approval in force for that indication, of any pathway (`als:approvedFor`,
queries/rules/approved-for.rq: riluzole, edaravone, lenzumestrocel (conditional, Korea) and
methylcobalamin (Japan) for ALS, tofersen for SOD1 ALS; sodium phenylbutyrate and taurursodiol no
longer), with each approval's pathway, agency and date in the edge's `approval` column, and then no
second edge for the same pair; an intervention a clinical study gave (or a narrower one) without
an approval in force is `in_clinical_trials_for`; one only proposed is `studied_to_treat`; the
disease `has_phenotype` each symptom. Asserted edges are
knowledge_assertion / manual_agent; inferred ones (treats, transitive part-of) logical_entailment /
automated_agent. An edge's `publications` cite, for an intervention, only the reports of studies
that gave it or a narrower one (als:kindOf), and the sources of its claims and approvals; its
`description` lists the derived discrepancies of those claims (a source naming a study of another
intervention), so the nuance travels with the edge.

Our own ids are CURIEs with one prefix per kind, `alskg.<kind>:<slug>` expanding to
`<base>id/<kind>/<slug>` (`alskg.phenotype:slowed-movement`), because KGX's validator accepts no
`/` in a CURIE's local part (`alskg:phenotype/slowed-movement` is "not a proper CURIE"); dotted
prefixes follow Biolink's own (`OMIM.PS`, `KEGG.DISEASE`). Each node's `iri` column gives the IRI.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from ..curation.namespaces import ALS, DEFAULT_BASE
from .sssom import external_id, local_curie

KNOWLEDGE_SOURCE = "infores:alskg"
NODE_COLUMNS = ("id", "category", "name", "description", "synonym", "xref", "iri",
                "provided_by")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "original_subject",
                "original_predicate", "original_object", "knowledge_level", "agent_type",
                "primary_knowledge_source", "publications", "approval", "description")

# Most specific first: the first class a node has decides its category.
CATEGORIES = (
    (ALS.Drug, "biolink:Drug"),
    (ALS.Intervention, "biolink:Treatment"),
    (ALS.Disease, "biolink:Disease"),
    (ALS.Phenotype, "biolink:PhenotypicFeature"),
    (ALS.CellType, "biolink:Cell"),
    (ALS.BodyRegion, "biolink:GrossAnatomicalStructure"),
    (ALS.AnatomicalEntity, "biolink:AnatomicalEntity"),
)
# Anatomical entities mapped to these ontologies get the narrower category.
ANATOMY_BY_PREFIX = {"GO": "biolink:CellularComponent",
                     "UBERON": "biolink:GrossAnatomicalStructure"}
# Preferred id prefixes (the order of the categories' Biolink id_prefixes).
ID_PREFERENCE = {
    "biolink:Disease": ("MONDO", "DOID", "ORDO", "MESH", "NCIT", "HP"),
    "biolink:PhenotypicFeature": ("HP", "NCIT", "MESH"),
    "biolink:Drug": ("CHEBI", "DRUGBANK", "MESH"),
    "biolink:Cell": ("CL", "NCIT", "MESH", "UBERON"),
    "biolink:CellularComponent": ("GO", "MESH", "NCIT", "CL", "UBERON"),
    "biolink:GrossAnatomicalStructure": ("UBERON", "MESH", "NCIT"),
    "biolink:AnatomicalEntity": ("UBERON", "GO", "CL", "MESH", "NCIT"),
}
# als predicate -> Biolink predicate (treats is decided by the rule in `biolink_predicate`).
PREDICATES = {
    ALS.hasPhenotype: "biolink:has_phenotype",
    ALS.destroys: "biolink:disrupts",
    ALS.affectsAnatomy: "biolink:disease_has_location",
    ALS.locatedIn: "biolink:located_in",
    ALS.partOf: "biolink:part_of",
    ALS.treats: "biolink:treats",
    ALS.inClinicalTrialsFor: "biolink:in_clinical_trials_for",
    ALS.studiedFor: "biolink:studied_to_treat",
    ALS.usesCellType: "biolink:related_to",
    ALS.usesVesicleType: "biolink:related_to",
    ALS.cellSource: "biolink:related_to",
    ALS.derivedFrom: "biolink:related_to",
}
TREATMENT_PREDICATES = (ALS.treats, ALS.inClinicalTrialsFor, ALS.studiedFor)


@dataclass(frozen=True)
class KgxNode:
    """One row of nodes.tsv."""

    iri: str
    id: str
    category: str
    name: str
    description: str
    synonyms: tuple[str, ...]
    xrefs: tuple[str, ...]


@dataclass(frozen=True)
class KgxEdge:
    """One row of edges.tsv."""

    id: str
    subject: str
    predicate: str
    object: str
    original_subject: str
    original_predicate: str
    original_object: str
    knowledge_level: str
    agent_type: str
    publications: tuple[str, ...]
    description: str = ""
    approval: tuple[str, ...] = ()


def kgx_curie(iri: str, base: str = DEFAULT_BASE) -> str | None:
    """Return `alskg.<kind>:<slug>` for one of our resource IRIs (a KGX-valid CURIE), else None."""
    local = local_curie(iri, base)
    if local is None:
        return None
    kind, _, slug = local[len("alskg:"):].partition("/")
    return f"alskg.{kind}:{slug}" if slug and "/" not in slug else None


def _union(graphs: Mapping[str, Graph], names: Iterable[str]) -> Graph:
    merged = Graph()
    for name in names:
        for triple in graphs.get(name, Graph()):
            merged.add(triple)
    return merged


def _text(graph: Graph, node: Node, *predicates: URIRef) -> str:
    for predicate in predicates:
        values = sorted(str(v) for v in graph.objects(node, predicate)
                        if isinstance(v, Literal))
        if values:
            return " ".join(values[0].split())
    return ""


def class_closure(graph: Graph, node: URIRef) -> set[Node]:
    """Return the node's types and all their named superclasses (rdfs:subClassOf*)."""
    found: set[Node] = set()
    todo = [t for t in graph.objects(node, RDF.type) if isinstance(t, URIRef)]
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.add(cls)
        todo.extend(s for s in graph.objects(cls, RDFS.subClassOf) if isinstance(s, URIRef))
    return found


def category_of(graph: Graph, node: URIRef) -> str | None:
    """Return the Biolink category of one of our resources, or None if it is not exported."""
    types = class_closure(graph, node)
    for cls, category in CATEGORIES:
        if cls in types:
            if category == "biolink:AnatomicalEntity":
                for match in _matches(graph, node, SKOS.exactMatch, SKOS.closeMatch):
                    narrower = ANATOMY_BY_PREFIX.get(match.split(":", 1)[0])
                    if narrower:
                        return narrower
            return category
    return None


def _matches(graph: Graph, node: URIRef, *predicates: URIRef) -> list[str]:
    found: list[str] = []
    for predicate in predicates:
        for value in sorted(graph.objects(node, predicate), key=str):
            ext = external_id(str(value)) if isinstance(value, URIRef) else None
            if ext is not None:
                found.append(ext.curie)
    return found


def kgx_nodes(graph: Graph, base: str = DEFAULT_BASE) -> dict[URIRef, KgxNode]:
    """Return the exported nodes of a graph (union of asserted, inferred, ontology) by IRI."""
    candidates: dict[URIRef, tuple[str, list[str]]] = {}
    for node in sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}):
        if kgx_curie(str(node), base) is None:
            continue
        category = category_of(graph, node)
        if category is not None:
            candidates[node] = (category, _matches(graph, node, SKOS.exactMatch))
    chosen: dict[URIRef, str | None] = {}
    for node, (category, exact) in candidates.items():
        preference = ID_PREFERENCE.get(category, ())
        ranked = sorted((preference.index(c.split(":", 1)[0]), c) for c in exact
                        if c.split(":", 1)[0] in preference)
        chosen[node] = ranked[0][1] if ranked else None
    taken: dict[str, int] = {}
    for curie in chosen.values():
        if curie:
            taken[curie] = taken.get(curie, 0) + 1
    nodes: dict[URIRef, KgxNode] = {}
    for node, (category, exact) in candidates.items():
        own = kgx_curie(str(node), base)
        assert own is not None
        curie = chosen[node]
        node_id = curie if curie and taken[curie] == 1 else own
        xrefs = tuple(sorted({c for c in exact if c != node_id} | ({own} - {node_id})))
        synonyms = tuple(sorted(" ".join(str(v).split())
                                for v in graph.objects(node, SKOS.altLabel)))
        nodes[node] = KgxNode(str(node), node_id, category,
                              _text(graph, node, RDFS.label, SKOS.prefLabel),
                              _text(graph, node, DCTERMS.description, SKOS.definition),
                              synonyms, xrefs)
    return nodes


def biolink_predicate(graph: Graph, subject: URIRef, predicate: URIRef) -> str | None:
    """Map an als predicate to Biolink, applying the treatment rule.

    `als:treats` exists only under an approval in force (any pathway), so it maps to
    `biolink:treats`; an intervention merely studied for the disease is `in_clinical_trials_for`
    when a clinical study gave it (or a narrower one), else `studied_to_treat`.
    """
    if predicate == ALS.studiedFor and _in_trials(graph, subject):
        return "biolink:in_clinical_trials_for"
    return PREDICATES.get(predicate)


def _in_trials(graph: Graph, intervention: URIRef) -> bool:
    narrower = {intervention} | set(graph.subjects(ALS.kindOf, intervention))
    return any((study, RDF.type, ALS.Study) in graph
               for given in narrower for study in graph.subjects(ALS.investigates, given))


def edge_approvals(graph: Graph, s: URIRef, o: URIRef) -> tuple[str, ...]:
    """Return the approvals in force behind a treats edge: `pathway (agency, date)` each."""
    found = set()
    for status in graph.objects(s, ALS.approvalStatus):
        if (status, ALS.approvedIndication, o) not in graph:
            continue
        pathway = _text(graph, graph.value(status, ALS.approvalPathway) or status, RDFS.label)
        agency = graph.value(status, ALS.approvingAgency)
        who = _text(graph, agency, SKOS.altLabel) or _text(graph, agency, RDFS.label) \
            if agency is not None else ""
        since = graph.value(status, ALS.validFrom)
        found.add(f"{pathway} ({who}, {since})")
    return tuple(sorted(found))


def _publications(graph: Graph, node: Node) -> set[Node]:
    return set(graph.objects(node, PROV.wasDerivedFrom)) | set(graph.objects(node, DCTERMS.source))


def tested(graph: Graph, study: Node, intervention: Node) -> bool:
    """Return True when a study gave the intervention or a narrower one (als:kindOf, transitive)."""
    return any(given == intervention or (given, ALS.kindOf, intervention) in graph
               for given in graph.objects(study, ALS.investigates))


def edge_publications(graph: Graph, s: URIRef, p: URIRef, o: URIRef) -> tuple[str, ...]:
    """Return the PMID:/doi: CURIEs behind an asserted edge (its claims, sources, associations)."""
    works = _publications(graph, s)
    if p == ALS.hasPhenotype:
        for association in graph.objects(s, ALS.hasPhenotypeAssociation):
            if (association, ALS.phenotype, o) in graph:
                works |= _publications(graph, association)
    if p in TREATMENT_PREDICATES:
        for claim in graph.subjects(ALS.aboutIntervention, s):
            if (claim, ALS.aboutCondition, o) not in graph:
                continue
            works |= _publications(graph, claim)
            for study in graph.objects(claim, ALS.supportedByStudy):
                if tested(graph, study, s):
                    works |= set(graph.objects(study, ALS.reportedIn))
        for event in graph.subjects(ALS.regulates, s):
            if (event, ALS.indication, o) in graph:
                for study in graph.objects(event, ALS.basisStudy):
                    works |= set(graph.objects(study, ALS.reportedIn))
    curies: set[str] = set()
    for work in works:
        for match in graph.objects(work, SKOS.exactMatch):
            ext = external_id(str(match))
            if ext is not None and ext.prefix in ("PMID", "doi"):
                curies.add(ext.curie)
    return tuple(sorted(curies))


def edge_discrepancies(graph: Graph, s: URIRef, p: URIRef, o: URIRef) -> str:
    """Return the derived discrepancies of the claims behind a treatment edge, as one text."""
    if p not in TREATMENT_PREDICATES:
        return ""
    labels = sorted({str(label) for claim in graph.subjects(ALS.aboutIntervention, s)
                     if (claim, ALS.aboutCondition, o) in graph
                     for found in graph.objects(claim, ALS.hasDiscrepancy)
                     for label in graph.objects(found, RDFS.label)})
    return ("Discrepancies between a source and the studies it names: " + " ".join(labels)
            if labels else "")


def kgx_edges(graphs: Mapping[str, Graph], nodes: Mapping[URIRef, KgxNode],
              base: str = DEFAULT_BASE) -> list[KgxEdge]:
    """Return the exported edges: asserted relations, then inferred ones (except studiedFor)."""
    union = _union(graphs, ("ontology", "asserted", "inferred"))
    edges: dict[tuple[str, str, str], KgxEdge] = {}
    for graph_name, level, agent in (("asserted", "knowledge_assertion", "manual_agent"),
                                     ("inferred", "logical_entailment", "automated_agent")):
        graph = graphs.get(graph_name, Graph())
        for predicate in PREDICATES:
            if graph_name == "inferred" and predicate == ALS.studiedFor:
                continue  # entailed by treats / inClinicalTrialsFor: already exported
            for s, o in sorted(graph.subject_objects(predicate)):
                if s not in nodes or o not in nodes:
                    continue
                if predicate == ALS.studiedFor and (s, ALS.treats, o) in union:
                    continue  # the approval's treats edge says more
                assert isinstance(s, URIRef) and isinstance(o, URIRef)
                mapped = biolink_predicate(union, s, predicate)
                if mapped is None:
                    continue
                subject, obj = nodes[s].id, nodes[o].id
                key = (subject, mapped, obj)
                if key in edges:
                    continue
                pubs = edge_publications(union, s, predicate, o) \
                    if graph_name == "asserted" or predicate == ALS.treats else ()
                digest = hashlib.sha1(" ".join((str(s), str(predicate), str(o))).encode())
                approvals = edge_approvals(union, s, o) if predicate == ALS.treats else ()
                edges[key] = KgxEdge(
                    f"alskg.edge:{digest.hexdigest()[:16]}", subject, mapped, obj,
                    kgx_curie(str(s), base) or "",
                    "als:" + str(predicate).rsplit("#", 1)[-1],
                    kgx_curie(str(o), base) or "", level, agent, pubs,
                    edge_discrepancies(union, s, predicate, o), approvals)
    return sorted(edges.values(), key=lambda e: (e.subject, e.predicate, e.object))


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def kgx_tables(graphs: Mapping[str, Graph], base: str = DEFAULT_BASE) -> tuple[bytes, bytes]:
    """Return (nodes.tsv, edges.tsv) as bytes: header row, then rows sorted by id."""
    union = _union(graphs, ("ontology", "asserted", "inferred"))
    nodes = kgx_nodes(union, base)
    edges = kgx_edges(graphs, nodes, base)
    node_lines = ["\t".join(NODE_COLUMNS)]
    for node in sorted(nodes.values(), key=lambda n: n.id):
        node_lines.append("\t".join((
            node.id, node.category, _cell(node.name), _cell(node.description),
            "|".join(_cell(s) for s in node.synonyms), "|".join(node.xrefs), node.iri,
            KNOWLEDGE_SOURCE)))
    edge_lines = ["\t".join(EDGE_COLUMNS)]
    for edge in edges:
        edge_lines.append("\t".join((
            edge.id, edge.subject, edge.predicate, edge.object, edge.original_subject,
            edge.original_predicate, edge.original_object, edge.knowledge_level,
            edge.agent_type, KNOWLEDGE_SOURCE, "|".join(edge.publications),
            "|".join(_cell(a) for a in edge.approval), _cell(edge.description))))
    return (("\n".join(node_lines) + "\n").encode("utf-8"),
            ("\n".join(edge_lines) + "\n").encode("utf-8"))

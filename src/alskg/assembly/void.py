"""VoID description of the dataset and its named graphs, computed at build time (graph/meta).

The dataset `<base>dataset` describes the union the SPARQL endpoint queries by default (ontology,
asserted and inferred graphs) and has one `void:subset` per content graph (ontology, asserted,
inferred, explanations); the subset's IRI is the graph's own IRI. The meta graph holding this
description is not counted (it would have to count itself).

Counts, exactly as a SPARQL COUNT over the build gives them:
- `void:triples` — triples; `void:distinctSubjects` / `void:distinctObjects` — distinct subject
  and object terms (IRIs, blank nodes and, for objects, literals);
- `void:entities` — distinct IRI subjects (resources described, blank nodes excluded);
- `void:classes` / `void:properties` — distinct objects of rdf:type / distinct predicates;
- class partition (one per rdf:type object): `void:entities` = distinct IRI subjects typed with
  the class, `void:triples` = triples whose subject is typed with the class (types in that graph);
- property partition: `void:triples`, `void:distinctSubjects`, `void:distinctObjects` of the
  predicate.
The ontology subset names each import (ontology/imports/*.ttl, e.g. the HPO extract) with
`dcterms:source`; the import's own header (release as `owl:versionInfo`, licence, source, title)
is repeated beside it, so the external releases a build contains are readable from VoID alone.
Partitions are hash IRIs of the dataset document (`<base>dataset#asserted-class-…`), so they
dereference with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..curation.namespaces import DEFAULT_BASE, SD, VOID, graph_iri

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
CREATOR = Literal("alskg contributors")
CONTENT_GRAPHS = ("ontology", "asserted", "inferred", "explanations")
UNION_GRAPHS = ("ontology", "asserted", "inferred")
GRAPH_TITLES = {
    "ontology": "The alskg ontology and its SKOS concept schemes",
    "asserted": "Curated facts (asserted)",
    "inferred": "Facts added by reasoning (OWL 2 RL and domain rules)",
    "explanations": "How each inferred triple was derived (rule, premises)",
}
FORMATS = "http://www.w3.org/ns/formats/"
RDF_DUMPS = ("alskg.nq", "alskg.trig", "alskg.ttl", "alskg.nt.gz", "alskg.jsonld",
             "alskg-ontology.ttl", "alskg-ontology.owl")
FEATURES = ("N-Quads", "TriG", "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
KNOWN_VOCABULARIES = (str(RDF), str(RDFS), str(OWL), str(SKOS), str(DCTERMS), str(PROV),
                      str(VOID), str(SD), "http://www.w3.org/ns/shacl#", "https://schema.org/",
                      "http://spdx.org/rdf/terms#")


def dataset_iri(base: str = DEFAULT_BASE) -> URIRef:
    """Return the IRI of the dataset as a whole."""
    return URIRef(base + "dataset")


def dump_url(name: str, base: str = DEFAULT_BASE) -> URIRef:
    """Return the published URL of a dump file."""
    return URIRef(f"{base}downloads/{name}")


def partition_iri(base: str, graph_name: str, kind: str, term: Node) -> URIRef:
    """Return the hash IRI of a class or property partition of a graph's subset."""
    digest = hashlib.sha1(str(term).encode("utf-8")).hexdigest()[:12]
    return URIRef(f"{base}dataset#{graph_name}-{kind}-{digest}")


def _count(graph: Graph, node: URIRef, predicate: URIRef, value: int) -> None:
    graph.add((node, predicate, Literal(value, datatype=XSD.integer)))


def describe_counts(out: Graph, node: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    """Add triples, entities, distinct subjects/objects, classes and properties of a set."""
    subjects: set[Node] = set()
    objects: set[Node] = set()
    predicates: set[Node] = set()
    classes: set[Node] = set()
    count = 0
    for s, p, o in triples:
        count += 1
        subjects.add(s)
        objects.add(o)
        predicates.add(p)
        if p == RDF.type:
            classes.add(o)
    _count(out, node, VOID.triples, count)
    _count(out, node, VOID.entities, sum(1 for s in subjects if isinstance(s, URIRef)))
    _count(out, node, VOID.distinctSubjects, len(subjects))
    _count(out, node, VOID.distinctObjects, len(objects))
    _count(out, node, VOID.classes, len(classes))
    _count(out, node, VOID.properties, len(predicates))


def describe_partitions(out: Graph, node: URIRef, graph: Graph, base: str, name: str) -> None:
    """Add one void:classPartition per class and one void:propertyPartition per predicate."""
    instances: dict[Node, set[Node]] = {}
    for s, o in graph.subject_objects(RDF.type):
        instances.setdefault(o, set()).add(s)
    by_subject: dict[Node, int] = {}
    by_predicate: dict[Node, tuple[int, set[Node], set[Node]]] = {}
    for s, p, o in graph:
        by_subject[s] = by_subject.get(s, 0) + 1
        count, subjects, objects = by_predicate.get(p, (0, set(), set()))
        subjects.add(s)
        objects.add(o)
        by_predicate[p] = (count + 1, subjects, objects)
    for cls, members in instances.items():
        part = partition_iri(base, name, "class", cls)
        out.add((node, VOID.classPartition, part))
        out.add((part, VOID["class"], cls))
        _count(out, part, VOID.entities, sum(1 for m in members if isinstance(m, URIRef)))
        _count(out, part, VOID.triples, sum(by_subject[m] for m in members))
    for predicate, (count, subjects, objects) in by_predicate.items():
        part = partition_iri(base, name, "property", predicate)
        out.add((node, VOID.propertyPartition, part))
        out.add((part, VOID.property, predicate))
        _count(out, part, VOID.triples, count)
        _count(out, part, VOID.distinctSubjects, len(subjects))
        _count(out, part, VOID.distinctObjects, len(objects))


def vocabularies(graphs: Iterable[Graph], base: str) -> list[URIRef]:
    """Return the vocabularies whose predicates or classes the graphs use (namespace IRIs)."""
    known = [(base + "vocab#", base + "vocab")] + [
        (ns, ns[:-1] if ns.endswith("#") else ns) for ns in KNOWN_VOCABULARIES]
    used: set[str] = set()
    for graph in graphs:
        terms = set(graph.predicates()) | set(graph.objects(None, RDF.type))
        for term in terms:
            for namespace, vocabulary in known:
                if isinstance(term, URIRef) and str(term).startswith(namespace):
                    used.add(vocabulary)
    return [URIRef(v) for v in sorted(used)]


IMPORT_DETAILS = (OWL.versionInfo, OWL.versionIRI, DCTERMS.license, DCTERMS.source,
                  DCTERMS.title)


def describe_imports(out: Graph, subset: URIRef, ontology: Graph, base: str) -> None:
    """Name each ontology import (`<base>vocab/imports/…`) as a source of the ontology subset."""
    prefix = base + "vocab/imports/"
    for header in sorted(ontology.subjects(RDF.type, OWL.Ontology), key=str):
        if not (isinstance(header, URIRef) and str(header).startswith(prefix)):
            continue
        out.add((subset, DCTERMS.source, header))
        out.add((header, RDF.type, VOID.Dataset))
        for predicate in IMPORT_DETAILS:
            for value in ontology.objects(header, predicate):
                out.add((header, predicate, value))


def void_graph(graphs: Mapping[str, Graph], version: str, base: str = DEFAULT_BASE) -> Graph:
    """Return the VoID triples describing `graphs` (dataset, subsets, partitions).

    Blank nodes are counted as the build writes them: the graphs come with canonical labels
    (formats.nquads.canonical, run once by the pipeline), so the figures match SPARQL over the
    published N-Quads.
    """
    out = Graph()
    ds = dataset_iri(base)
    out.add((ds, RDF.type, VOID.Dataset))
    out.add((ds, DCTERMS.license, LICENSE))
    out.add((ds, DCTERMS.creator, CREATOR))
    out.add((ds, OWL.versionInfo, Literal(version)))
    out.add((ds, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    out.add((ds, VOID.uriSpace, Literal(base + "id/")))
    out.add((ds, VOID.rootResource, URIRef(base + "vocab")))
    out.add((ds, VOID.exampleResource, URIRef(base + "id/disease/als")))
    for name in RDF_DUMPS:
        out.add((ds, VOID.dataDump, dump_url(name, base)))
    for feature in FEATURES:
        out.add((ds, VOID.feature, URIRef(FORMATS + feature)))
    present = [graphs[name] for name in CONTENT_GRAPHS if name in graphs]
    for vocabulary in vocabularies(present, base):
        out.add((ds, VOID.vocabulary, vocabulary))
    union: set[tuple[Node, Node, Node]] = set()
    for name in UNION_GRAPHS:
        union.update(graphs.get(name, Graph()))
    describe_counts(out, ds, union)
    for name in CONTENT_GRAPHS:
        if name not in graphs:
            continue
        subset = URIRef(graph_iri(name, base))
        out.add((ds, VOID.subset, subset))
        out.add((subset, RDF.type, VOID.Dataset))
        out.add((subset, DCTERMS.title, Literal(GRAPH_TITLES[name])))
        out.add((subset, RDFS.label, Literal(f"graph/{name}")))
        describe_counts(out, subset, graphs[name])
        describe_partitions(out, subset, graphs[name], base, name)
        if name == "ontology":
            describe_imports(out, subset, graphs[name], base)
    return out

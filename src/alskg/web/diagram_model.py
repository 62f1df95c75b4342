"""What the data-model picture shows, read from the ontology: class boxes, arrows, loose names."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..curation.namespaces import ALS


@dataclass
class ClassBox:
    """A class to draw: its IRI, name, attribute lines, tooltip and whether it is a SKOS concept."""

    iri: str
    name: str
    attributes: list[str] = field(default_factory=list)
    tooltip: str = ""
    concept: bool = False


@dataclass(frozen=True)
class Link:
    """An arrow between two classes: a property (with its label) or a subclass relation."""

    source: str
    target: str
    label: str
    subclass: bool = False


@dataclass
class Model:
    """What the diagram shows, read from the ontology."""

    boxes: dict[str, ClassBox]
    links: list[Link]
    loose: list[str]
    defined: list[str]


def _local(iri: Node | str) -> str:
    text = str(iri)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[-1]
    return text


def _named(graph: Graph, node: Node, predicate: URIRef) -> list[URIRef]:
    return sorted((v for v in graph.objects(node, predicate)
                   if isinstance(v, URIRef)), key=str)


def read_model(ontology: Graph, namespace: str = str(ALS)) -> Model:
    """Extract classes, property arrows, subclass arrows and unplaced properties from a graph."""
    classes = sorted(c for c in ontology.subjects(RDF.type, OWL.Class)
                     if isinstance(c, URIRef) and str(c).startswith(namespace))
    defined = sorted(_local(c) for c in classes if (c, OWL.equivalentClass, None) in ontology)
    boxes: dict[str, ClassBox] = {}
    for cls in classes:
        if _local(cls) in defined:
            continue
        tip = next((str(v) for v in ontology.objects(cls, SKOS.definition)
                    if isinstance(v, Literal)), "")
        concept = (cls, RDFS.subClassOf, SKOS.Concept) in ontology
        boxes[str(cls)] = ClassBox(str(cls), _local(cls), [], " ".join(tip.split()), concept)
    links: dict[tuple[str, str, bool], list[str]] = {}
    loose: list[str] = []
    skip: set[URIRef] = set()
    properties = sorted(p for p in ontology.subjects(RDF.type, OWL.ObjectProperty)
                        if isinstance(p, URIRef) and str(p).startswith(namespace))
    # Of an inverse pair, draw the active one (`investigates`, not `investigatedIn`).
    properties.sort(key=lambda p: (_local(p).endswith(("In", "By")), str(p)))
    for prop in properties:
        if prop in skip:
            continue
        domains = [str(d) for d in _named(ontology, prop, RDFS.domain) if str(d) in boxes]
        ranges = [str(r) for r in _named(ontology, prop, RDFS.range) if str(r) in boxes]
        label = _local(prop)
        for inverse in _named(ontology, prop, OWL.inverseOf) + \
                sorted(ontology.subjects(OWL.inverseOf, prop), key=str):
            if isinstance(inverse, URIRef) and inverse != prop:
                skip.add(inverse)
                label = f"{label} / {_local(inverse)}"
                break
        if not domains or not ranges:
            target = f" → {_local(ranges[0])}" if ranges else ""
            loose.append(f"{label}{target}")
            continue
        for d in domains:
            for r in ranges:
                links.setdefault((d, r, False), []).append(label)
    for prop in sorted(p for p in ontology.subjects(RDF.type, OWL.DatatypeProperty)
                       if isinstance(p, URIRef) and str(p).startswith(namespace)):
        kinds = [_local(r) for r in _named(ontology, prop, RDFS.range)]
        text = f"{_local(prop)}: {kinds[0]}" if kinds else _local(prop)
        owners = [str(d) for d in _named(ontology, prop, RDFS.domain) if str(d) in boxes]
        if not owners:
            loose.append(text)
        for owner in owners:
            boxes[owner].attributes.append(text)
    for key in boxes:
        for parent in _named(ontology, URIRef(key), RDFS.subClassOf):
            if str(parent) in boxes:
                links.setdefault((key, str(parent), True), [])
    arrows = [Link(s, t, ", ".join(labels), sub) for (s, t, sub), labels in sorted(links.items())]
    return Model(boxes, arrows, sorted(loose), defined)

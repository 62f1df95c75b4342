"""The vocabulary page: the ontology's header, classes, properties and concept schemes."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ...query.service import Service
from .present import compact, view


def _restriction_text(graph: Graph, node: Node, short: Any) -> str:
    """Render an OWL class expression (intersection, hasValue, someValuesFrom) as text."""
    if isinstance(node, URIRef):
        return str(short(node))
    members = graph.value(node, OWL.intersectionOf)
    if members is not None:
        parts = [_restriction_text(graph, m, short) for m in Collection(graph, members)]
        return " and ".join(parts)
    prop = graph.value(node, OWL.onProperty)
    for predicate, word in ((OWL.hasValue, "value"), (OWL.someValuesFrom, "some"),
                            (OWL.allValuesFrom, "only")):
        value = graph.value(node, predicate)
        if value is not None and prop is not None:
            return f"({short(prop)} {word} {_restriction_text(graph, value, short)})"
    return "(anonymous class)"


def vocabulary_model(svc: Service, ontology: Graph) -> dict[str, Any]:
    """Collect the vocabulary page: ontology header, classes, properties and concept schemes."""
    namespace = svc.prefixes["als"]
    labels = {str(s): str(o) for s, o in ontology.subject_objects(RDFS.label)}

    def short(term: Node) -> str:
        text = str(term)
        return text[len(namespace):] if text.startswith(namespace) else compact(svc, text)

    def link(term: Node) -> dict[str, Any]:
        return view(svc, term, labels) | {"text": short(term)} if isinstance(term, URIRef) \
            else {"text": "(anonymous)", "href": "", "title": "", "kind": "bnode"}

    def text_of(term: Node, predicate: URIRef) -> str:
        values = sorted(str(v) for v in ontology.objects(term, predicate))
        return values[0] if values else ""

    def terms(kind: URIRef) -> list[URIRef]:
        return sorted(t for t in ontology.subjects(RDF.type, kind)
                      if isinstance(t, URIRef) and str(t).startswith(namespace))

    classes = []
    for cls in terms(OWL.Class):
        classes.append({
            "anchor": short(cls), "iri": str(cls), "label": labels.get(str(cls), ""),
            "definition": text_of(cls, SKOS.definition), "comment": text_of(cls, RDFS.comment),
            "parents": [link(p) for p in sorted(ontology.objects(cls, RDFS.subClassOf), key=str)
                        if isinstance(p, URIRef)],
            "children": [link(c) for c in sorted(ontology.subjects(RDFS.subClassOf, cls),
                                                 key=str)],
            "equivalent": [_restriction_text(ontology, e, short)
                           for e in ontology.objects(cls, OWL.equivalentClass)],
        })
    properties = []
    for kind, word in ((OWL.ObjectProperty, "object property"),
                       (OWL.DatatypeProperty, "datatype property")):
        for prop in terms(kind):
            characteristics = sorted(short(t) for t in ontology.objects(prop, RDF.type)
                                     if t not in (kind,))
            chains = []
            for chain in ontology.objects(prop, OWL.propertyChainAxiom):
                        chains.append(" ∘ ".join(short(m) for m in Collection(ontology, chain)))
            properties.append({
                "anchor": short(prop), "iri": str(prop), "kind": word,
                "label": labels.get(str(prop), ""),
                "definition": text_of(prop, SKOS.definition),
                "comment": text_of(prop, RDFS.comment),
                "domain": [link(d) for d in sorted(ontology.objects(prop, RDFS.domain), key=str)],
                "range": [link(r) for r in sorted(ontology.objects(prop, RDFS.range), key=str)],
                "parents": [link(p) for p in sorted(ontology.objects(prop, RDFS.subPropertyOf),
                                                    key=str)],
                "inverse": [link(i) for i in sorted(ontology.objects(prop, OWL.inverseOf),
                                                    key=str)],
                "characteristics": characteristics, "chains": chains,
            })
    schemes = []
    for scheme in sorted(s for s in ontology.subjects(RDF.type, SKOS.ConceptScheme)
                         if isinstance(s, URIRef)):
        concepts = sorted(ontology.subjects(SKOS.inScheme, scheme), key=str)
        schemes.append({"scheme": view(svc, scheme, labels),
                        "concepts": [view(svc, c, labels) for c in concepts]})
    header = URIRef(namespace.rstrip("#"))
    return {
        "iri": str(header), "title": text_of(header, DCTERMS.title) or "alskg vocabulary",
        "description": text_of(header, DCTERMS.description),
        "version": text_of(header, OWL.versionInfo),
        "license": text_of(header, DCTERMS.license),
        "classes": classes, "properties": properties, "schemes": schemes,
    }

"""The dataset page: the VoID description of the dataset and its named graphs (graph/meta)."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS
from rdflib.term import Node

from ...curation.namespaces import VOID
from ...query.service import Service
from .facts import graph_name, graph_quads
from .present import local_href, view


def void_summary(svc: Service) -> dict[str, Any]:
    """Return the dataset's VoID description (from graph/meta) as page data."""
    meta = Graph()
    for quad in graph_quads(svc, "meta"):
        meta.add((quad.s, quad.p, quad.o))
    dataset = URIRef(svc.base + "dataset")

    def number(node: Node, predicate: URIRef) -> int | None:
        value = meta.value(node, predicate)
        return int(value) if isinstance(value, Literal) else None

    def counts(node: Node) -> dict[str, int | None]:
        return {name: number(node, VOID[name]) for name in (
            "triples", "entities", "distinctSubjects", "distinctObjects", "classes",
            "properties")}

    labels = {str(s): str(o) for s, o in meta.subject_objects(RDFS.label)}
    subsets = []
    for subset in sorted(meta.objects(dataset, VOID.subset), key=str):
        name = graph_name(svc, subset)
        classes = sorted(
            ({"term": view(svc, meta.value(part, VOID["class"]) or part, labels),
              "entities": number(part, VOID.entities), "triples": number(part, VOID.triples)}
             for part in meta.objects(subset, VOID.classPartition)),
            key=_by_triples)
        props = sorted(
            ({"term": view(svc, meta.value(part, VOID.property) or part, labels),
              "triples": number(part, VOID.triples),
              "subjects": number(part, VOID.distinctSubjects),
              "objects": number(part, VOID.distinctObjects)}
             for part in meta.objects(subset, VOID.propertyPartition)),
            key=_by_triples)
        subsets.append({"name": name, "iri": str(subset),
                        "href": local_href(svc, str(subset)) or str(subset),
                        "title": str(meta.value(subset, DCTERMS.title) or name),
                        "counts": counts(subset), "classes": classes, "properties": props})
    return {
        "iri": str(dataset),
        "title": str(meta.value(dataset, DCTERMS.title) or "alskg"),
        "description": str(meta.value(dataset, DCTERMS.description) or ""),
        "license": str(meta.value(dataset, DCTERMS.license) or ""),
        "version": str(meta.value(dataset, OWL.versionInfo) or ""),
        "endpoint": str(meta.value(dataset, VOID.sparqlEndpoint) or ""),
        "dumps": [{"iri": str(d), "href": local_href(svc, str(d)) or str(d)}
                  for d in sorted(meta.objects(dataset, VOID.dataDump), key=str)],
        "vocabularies": sorted(str(v) for v in meta.objects(dataset, VOID.vocabulary)),
        "counts": counts(dataset), "subsets": subsets,
    }


def _by_triples(row: dict[str, Any]) -> tuple[int, str]:
    return (-int(row["triples"] or 0), str(row["term"]["title"]))

"""The meta graph: what the dataset is, its licence, version and build inputs."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ..curation.namespaces import DEFAULT_BASE, VOID
from ..curation.sources import Sources
from ..query.examples import examples_graph
from .void import void_graph

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
SOURCE_REVIEW_DOI = URIRef("https://doi.org/10.3389/fncel.2017.00080")


def dataset_iri(base: str = DEFAULT_BASE) -> URIRef:
    """Return the IRI of the dataset as a whole (described in VoID)."""
    return URIRef(base + "dataset")


def build_meta(graphs: dict[str, Graph], sources: Sources, version: str) -> Graph:
    """Return the meta graph: dataset description and the checksums of the build inputs."""
    meta = Graph()
    ds = dataset_iri()
    meta.add((ds, RDF.type, VOID.Dataset))
    meta.add((ds, RDF.type, PROV.Entity))
    meta.add((ds, DCTERMS.title, Literal("alskg: ALS therapies and the evidence behind them")))
    meta.add((ds, DCTERMS.description, Literal(
        "A knowledge graph of amyotrophic lateral sclerosis, its symptoms, approved drugs and "
        "experimental mesenchymal stem cell and extracellular vesicle therapies, with every claim "
        "attributed, dated and typed by its evidence.")))
    meta.add((ds, DCTERMS.license, LICENSE))
    meta.add((ds, DCTERMS.creator, Literal("alskg contributors")))
    meta.add((ds, DCTERMS.source, SOURCE_REVIEW_DOI))
    meta.add((ds, URIRef("http://www.w3.org/2002/07/owl#versionInfo"), Literal(version)))
    activity = URIRef(DEFAULT_BASE + "build/activity")
    meta.add((ds, PROV.wasGeneratedBy, activity))
    meta.add((activity, RDF.type, PROV.Activity))
    meta.add((activity, RDFS.label, Literal("alskg build")))
    for entry in sources.checksums():
        file_node = URIRef(DEFAULT_BASE + "build/input/" + entry["path"].replace("\\", "/"))
        meta.add((activity, PROV.used, file_node))
        meta.add((file_node, RDF.type, PROV.Entity))
        meta.add((file_node, RDFS.label, Literal(entry["path"])))
        meta.add((file_node, URIRef("http://spdx.org/rdf/terms#checksumValue"),
                  Literal(entry["sha256"], datatype=XSD.hexBinary)))
    meta += void_graph(graphs, version)
    meta += examples_graph()
    return meta

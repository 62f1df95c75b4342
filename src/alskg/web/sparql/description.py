"""The SPARQL 1.1 Service Description of this endpoint, generated from what it really supports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from ...curation.namespaces import SD, VOID, graph_iri

if TYPE_CHECKING:
    from ...query.service import Service

FORMATS_NS = "http://www.w3.org/ns/formats/"
ENTAILMENT_OWL_RL = URIRef("http://www.w3.org/ns/entailment/OWL-RL-D")
ENTAILMENT_SIMPLE = URIRef("http://www.w3.org/ns/entailment/Simple")
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD",
                  "RDF_XML")
SD_PREFIXES = {"sd": str(SD), "void": str(VOID), "dcterms": str(DCTERMS), "rdfs": str(RDFS),
               "formats": FORMATS_NS, "ent": "http://www.w3.org/ns/entailment/"}


def describe(service: Service, endpoint_url: str) -> Graph:
    """Return the service description graph for the endpoint at `endpoint_url`."""
    graph = Graph()
    node = URIRef(endpoint_url + "#service")
    endpoint = URIRef(endpoint_url)
    graph.add((node, RDF.type, SD.Service))
    graph.add((node, SD.endpoint, endpoint))
    graph.add((node, SD.supportedLanguage, SD.SPARQL11Query))
    for name in RESULT_FORMATS:
        graph.add((node, SD.resultFormat, URIRef(FORMATS_NS + name)))
    graph.add((node, SD.defaultEntailmentRegime, ENTAILMENT_OWL_RL))
    graph.add((node, RDFS.comment, Literal(
        "Read-only SPARQL 1.1 endpoint of the alskg knowledge graph. The default graph is the "
        "union of the ontology, the asserted data and the OWL 2 RL / rule inferences; add "
        "inference=false to a request to query the ontology and asserted data only, or name "
        "graphs with default-graph-uri / named-graph-uri. SERVICE, LOAD and updates are refused; "
        f"queries stop after {service.settings['ALSKG_QUERY_TIMEOUT']:g} s and results are cut "
        f"at {service.settings['ALSKG_MAX_ROWS']} rows.")))
    dataset = BNode("defaultDataset")
    graph.add((node, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode("defaultGraph")
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    counts = service.build.receipt.get("graphs", {})
    default_triples = sum(int(counts.get(graph_iri(n, service.base), 0))
                          for n in ("ontology", "asserted", "inferred"))
    graph.add((default_graph, VOID.triples, Literal(default_triples)))
    for iri, triples in sorted(counts.items()):
        named = BNode("g-" + iri.rsplit("/", 1)[-1])
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(iri)))
        regime = ENTAILMENT_OWL_RL if iri.endswith("/inferred") else ENTAILMENT_SIMPLE
        graph.add((named, SD.entailmentRegime, regime))
        body = BNode("gb-" + iri.rsplit("/", 1)[-1])
        graph.add((named, SD.graph, body))
        graph.add((body, RDF.type, SD.Graph))
        graph.add((body, VOID.triples, Literal(int(triples))))
    return graph

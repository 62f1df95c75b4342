"""VoID in graph/meta and at /.well-known/void: its counts equal SPARQL COUNTs over the build."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF
from rdflib.term import Node

from alskg.assembly.store import BuiltDataset
from alskg.curation.namespaces import DEFAULT_BASE, VOID, graph_iri
from alskg.query.engines import DatasetSpec, Engine, open_engine

DATASET = URIRef(DEFAULT_BASE + "dataset")
CONTENT = ("ontology", "asserted", "inferred", "explanations")


@pytest.fixture(scope="module")
def engine(built: BuiltDataset) -> Iterator[Engine]:
    """An Oxigraph engine over the session build (SPARQL over the published N-Quads)."""
    runner = open_engine("oxigraph", built.dataset_file)
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def meta(engine: Engine) -> Graph:
    """graph/meta of the build."""
    outcome = engine.run(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri('meta')}> "
                         "{ ?s ?p ?o } }", DatasetSpec(), max_rows=10**6, timeout=60)
    graph = Graph()
    for triple in outcome.triples:
        graph.add(triple)
    return graph


def rows(engine: Engine, text: str) -> list[tuple[object, ...]]:
    """Run a SELECT and return its rows as Python values (ints for numbers)."""
    outcome = engine.run(text, DatasetSpec(), max_rows=10**6, timeout=60)
    return [tuple(v.toPython() if isinstance(v, Literal) else v for v in row)
            for row in outcome.rows]


def count(meta: Graph, node: Node, predicate: str) -> int:
    """Read one VoID figure."""
    value = meta.value(node, VOID[predicate])
    assert isinstance(value, Literal), (node, predicate)
    return int(value)


FIGURES = """(COUNT(*) AS ?triples)
  (COUNT(DISTINCT IF(isIRI(?s), ?s, ?none)) AS ?entities)
  (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
  (COUNT(DISTINCT IF(?p = rdf:type, ?o, ?none)) AS ?classes)
  (COUNT(DISTINCT ?p) AS ?properties)"""
NAMES = ("triples", "entities", "distinctSubjects", "distinctObjects", "classes", "properties")


def test_dataset_counts_equal_sparql(engine: Engine, meta: Graph) -> None:
    """The dataset's figures are those of the default graph (ontology + asserted + inferred)."""
    text = f"SELECT {FIGURES} WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ ?s ?p ?o }} }}"
    (actual,) = rows(engine, text)
    for name, value in zip(NAMES, actual, strict=True):
        assert count(meta, DATASET, name) == value, name


@pytest.mark.parametrize("name", CONTENT)
def test_subset_counts_equal_sparql(engine: Engine, meta: Graph, name: str) -> None:
    """Each named graph's subset figures equal SPARQL COUNTs over that graph."""
    graph = URIRef(graph_iri(name))
    assert (DATASET, VOID.subset, graph) in meta
    (actual,) = rows(engine, f"SELECT {FIGURES} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    for figure, value in zip(NAMES, actual, strict=True):
        assert count(meta, graph, figure) == value, (name, figure)


@pytest.mark.parametrize("name", CONTENT)
def test_partitions_equal_sparql(engine: Engine, meta: Graph, name: str) -> None:
    """Class and property partitions: one per class / predicate, with the right counts."""
    graph = URIRef(graph_iri(name))
    properties = {p: (t, s, o) for p, t, s, o in rows(engine, f"""
        SELECT ?p (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do)
        WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} GROUP BY ?p""")}
    found: dict[object, tuple[int, int, int]] = {}
    for part in meta.objects(graph, VOID.propertyPartition):
        found[meta.value(part, VOID.property)] = (count(meta, part, "triples"),
                                                  count(meta, part, "distinctSubjects"),
                                                  count(meta, part, "distinctObjects"))
    assert found == properties
    classes = {c: (e, t) for c, e, t in rows(engine, f"""
        SELECT ?c (COUNT(DISTINCT IF(isIRI(?x), ?x, ?none)) AS ?e) (COUNT(?p) AS ?t) WHERE {{
          {{ SELECT DISTINCT ?c ?x WHERE {{ GRAPH <{graph}> {{ ?x a ?c }} }} }}
          GRAPH <{graph}> {{ ?x ?p ?o }}
        }} GROUP BY ?c""")}
    partitions: dict[object, tuple[int, int]] = {}
    for part in meta.objects(graph, VOID.classPartition):
        partitions[meta.value(part, VOID["class"])] = (count(meta, part, "entities"),
                                                       count(meta, part, "triples"))
    assert partitions == classes


def test_dataset_description(meta: Graph, built: BuiltDataset) -> None:
    """Licence, creator, version, endpoint, dumps, vocabularies and the URI space are stated."""
    assert meta.value(DATASET, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    assert meta.value(DATASET, DCTERMS.creator) is not None
    assert str(meta.value(DATASET, OWL.versionInfo)) == built.package_version
    assert meta.value(DATASET, VOID.sparqlEndpoint) == URIRef(DEFAULT_BASE + "sparql")
    assert meta.value(DATASET, VOID.uriSpace) == Literal(DEFAULT_BASE + "id/")
    assert URIRef(DEFAULT_BASE + "vocab") in set(meta.objects(DATASET, VOID.vocabulary))
    dumps = {str(d) for d in meta.objects(DATASET, VOID.dataDump)}
    assert DEFAULT_BASE + "downloads/alskg.nq" in dumps
    assert (DATASET, RDF.type, VOID.Dataset) in meta


def test_well_known_void_and_dumps_resolve(client: FlaskClient, meta: Graph) -> None:
    """/.well-known/void serves the description; every void:dataDump resolves on the server."""
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    served = Graph()
    served.parse(data=response.data, format="turtle")
    assert len(served) == len(meta)
    for dump in meta.objects(DATASET, VOID.dataDump):
        path = "/" + str(dump)[len(DEFAULT_BASE):]
        assert client.head(path).status_code == 200, path
    endpoint = "/" + str(meta.value(DATASET, VOID.sparqlEndpoint))[len(DEFAULT_BASE):]
    assert client.get(endpoint, headers={"Accept": "text/turtle"}).status_code == 200

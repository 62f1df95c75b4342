"""Biolink KGX export: valid against the Biolink model shipped in PyPI `biolink-model`, and the
treats rule (only approved drugs treat; cell therapies are in clinical trials)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

from alskg.assembly.store import BuiltDataset
from alskg.curation.namespaces import ALS, DEFAULT_BASE, graph_iri
from alskg.publishing.dumps import load_build
from alskg.publishing.kgx import EDGE_COLUMNS, NODE_COLUMNS, kgx_tables

biolink_model = pytest.importorskip("biolink_model")
PACKAGE_DIR = Path(next(iter(biolink_model.__path__)))  # a namespace package: no __file__
SCHEMA_DIR = PACKAGE_DIR / "schema"
PREFIX_MAP = PACKAGE_DIR / "prefixmaps" / "biolink-model-prefix-map.json"
CELL_THERAPIES = ("msc-therapy", "bone-marrow-stem-cell-therapy", "stem-cell-therapy")
EV_THERAPY = "msc-extracellular-vesicle-therapy"


def _load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    """The Biolink model YAML from the installed biolink-model package."""
    loaded: dict[str, Any] = _load(SCHEMA_DIR / "biolink_model.yaml")
    return loaded


@pytest.fixture(scope="module")
def tables(built: BuiltDataset) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """nodes.tsv and edges.tsv of the session build, parsed as TSV."""
    build = load_build(built)
    nodes, edges = kgx_tables(build.graphs, build.base)
    return _rows(nodes), _rows(edges)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter="\t"))


def camel(name: str) -> str:
    """Biolink class name to its CURIE local part: 'phenotypic feature' -> 'PhenotypicFeature'."""
    return "".join(word[:1].upper() + word[1:] for word in name.split())


def ancestors(table: dict[str, Any], name: str) -> list[str]:
    """Return a class's or slot's is_a chain (itself first)."""
    chain = [name]
    while table.get(chain[-1], {}).get("is_a"):
        chain.append(table[chain[-1]]["is_a"])
    return chain


def required_slots(model: dict[str, Any], cls: str) -> set[str]:
    """Return the slots the model requires on a class (slot definitions or slot_usage)."""
    found: set[str] = set()
    for name in ancestors(model["classes"], cls):
        definition = model["classes"][name]
        for slot in definition.get("slots") or []:
            if (model["slots"].get(slot) or {}).get("required"):
                found.add(slot.replace(" ", "_"))
        for slot, usage in (definition.get("slot_usage") or {}).items():
            if (usage or {}).get("required"):
                found.add(slot.replace(" ", "_"))
    return found


def test_required_columns_present(model: dict[str, Any],
                                  tables: tuple[list[dict[str, str]], list[dict[str, str]]]
                                  ) -> None:
    """Every slot the model requires on nodes (named thing) and edges (association) is a column."""
    nodes, edges = tables
    node_required = required_slots(model, "named thing")
    edge_required = required_slots(model, "association")
    assert {"id", "category"} <= node_required
    assert {"subject", "predicate", "object", "knowledge_level", "agent_type"} <= edge_required
    assert node_required <= set(NODE_COLUMNS)
    assert edge_required <= set(EDGE_COLUMNS)
    for row in nodes:
        assert all(row[c] for c in node_required), row
    for row in edges:
        assert all(row[c] for c in edge_required), row
        assert row["primary_knowledge_source"] == "infores:alskg"


def test_categories_and_predicates_exist(model: dict[str, Any],
                                         tables: tuple[list[dict[str, str]],
                                                       list[dict[str, str]]]) -> None:
    """Each category is a concrete Biolink class under named thing; each predicate a Biolink
    predicate (a slot under `related to`); knowledge level and agent type from their enums."""
    nodes, edges = tables
    classes = {camel(name): name for name in model["classes"]}
    for row in nodes:
        category = row["category"]
        assert category.startswith("biolink:")
        name = classes.get(category.split(":", 1)[1])
        assert name is not None, category
        definition = model["classes"][name]
        assert not definition.get("abstract") and not definition.get("mixin"), category
        assert "named thing" in ancestors(model["classes"], name), category
    slots = model["slots"]
    levels = set(model["enums"]["KnowledgeLevelEnum"]["permissible_values"])
    agents = set(model["enums"]["AgentTypeEnum"]["permissible_values"])
    for row in edges:
        predicate = row["predicate"]
        assert predicate.startswith("biolink:")
        name = predicate.split(":", 1)[1].replace("_", " ")
        assert name in slots, predicate
        assert "related to" in ancestors(slots, name), predicate
        assert row["knowledge_level"] in levels
        assert row["agent_type"] in agents


def test_ids_use_preferred_prefixes(model: dict[str, Any],
                                    tables: tuple[list[dict[str, str]], list[dict[str, str]]]
                                    ) -> None:
    """Node ids are external CURIEs the category accepts (else alskg.<kind>:), ALS is MONDO:0004976;
    every prefix used is in Biolink's prefix map; edges only join exported nodes."""
    nodes, edges = tables
    prefix_map = json.loads(PREFIX_MAP.read_text(encoding="utf-8"))
    classes = {camel(name): name for name in model["classes"]}
    by_iri = {row["iri"]: row for row in nodes}
    assert by_iri[DEFAULT_BASE + "id/disease/als"]["id"] == "MONDO:0004976"
    for row in nodes:
        prefix = row["id"].split(":", 1)[0]
        if prefix.startswith("alskg."):
            continue
        accepted: list[str] = []
        for name in ancestors(model["classes"], classes[row["category"].split(":", 1)[1]]):
            accepted.extend(model["classes"][name].get("id_prefixes") or [])
        assert prefix in accepted, (row["id"], row["category"])
        for curie in [row["id"]] + [x for x in row["xref"].split("|") if x]:
            assert curie.split(":", 1)[0] in prefix_map or curie.startswith("alskg."), curie
    ids = {row["id"] for row in nodes}
    assert len(ids) == len(nodes)
    for row in edges:
        assert row["subject"] in ids and row["object"] in ids, row
        for publication in filter(None, row["publications"].split("|")):
            assert publication.split(":", 1)[0] in ("PMID", "doi"), publication


def test_treats_rule(built: BuiltDataset,
                     tables: tuple[list[dict[str, str]], list[dict[str, str]]]) -> None:
    """biolink:treats only under an approval in force (riluzole, edaravone, tofersen for SOD1
    ALS, and the national approvals); cell and vesicle therapies with trials in clinical trials
    for ALS; ALS has each symptom."""
    nodes, edges = tables
    by_iri = {row["iri"]: row for row in nodes}
    by_id = {row["id"]: row for row in nodes}

    def node(kind: str, slug: str) -> str:
        return by_iri[f"{DEFAULT_BASE}id/{kind}/{slug}"]["id"]

    treats = {(e["subject"], e["object"]) for e in edges if e["predicate"] == "biolink:treats"}
    als = node("disease", "als")
    # every approval in force: Korea's conditional approval of lenzumestrocel and Japan's of
    # methylcobalamin count as much as the FDA's (the pathway is on the edge)
    assert treats == {(node("intervention", "riluzole"), als),
                      (node("intervention", "edaravone"), als),
                      (node("intervention", "tofersen"), node("disease", "als-sod1")),
                      (node("intervention", "lenzumestrocel"), als),
                      (node("intervention", "methylcobalamin"), als)}
    withdrawn = node("intervention", "sodium-phenylbutyrate-taurursodiol")
    assert not {s for s, _ in treats} & {withdrawn}  # approval withdrawn in 2024
    categories = {subject: by_id[subject]["category"] for subject, _ in treats}
    # the one cell therapy that treats is the product under an approval, never a class of them
    assert {s for s, c in categories.items() if c != "biolink:Drug"} == {
        node("intervention", "lenzumestrocel")}
    assert (node("intervention", "msc-therapy"), als) not in treats
    approvals = {e["subject"]: e["approval"] for e in edges
                 if e["predicate"] == "biolink:treats"}
    assert "conditional approval" in approvals[node("intervention", "lenzumestrocel")]
    trials = {(e["subject"], e["object"]) for e in edges
              if e["predicate"] == "biolink:in_clinical_trials_for"}
    for slug in CELL_THERAPIES:
        assert (node("intervention", slug), als) in trials, slug
    ev = [e["predicate"] for e in edges if e["subject"] == node("intervention", EV_THERAPY)
          and e["object"] == als]
    # first a hypothesis (2017); the landscape records its small human trials since
    assert ev == ["biolink:in_clinical_trials_for"]
    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    asserted = dataset.graph(URIRef(graph_iri("asserted")))
    symptoms = {str(o) for o in asserted.objects(URIRef(DEFAULT_BASE + "id/disease/als"),
                                                 ALS.hasPhenotype)}
    phenotype_edges = {e["object"] for e in edges if e["subject"] == als
                       and e["predicate"] == "biolink:has_phenotype"}
    assert symptoms and {by_iri[s]["id"] for s in symptoms} == phenotype_edges
    for e in edges:
        if e["predicate"] == "biolink:has_phenotype":
            assert e["knowledge_level"] == "knowledge_assertion"
            assert e["agent_type"] == "manual_agent"
        if e["predicate"] == "biolink:treats":  # derived from the regulatory events by a rule
            assert e["knowledge_level"] == "logical_entailment"
            assert e["agent_type"] == "automated_agent"
    treats_rows = [e for e in edges if e["predicate"] == "biolink:treats"
                   and e["object"] == als]
    assert all(any(p.startswith("PMID:") for p in e["publications"].split("|"))
               for e in treats_rows)


def test_biolink_stays_out_of_the_closure(built: BuiltDataset) -> None:
    """No Biolink IRI enters the build: Biolink is mapped at export only."""
    text = built.dataset_file.read_text(encoding="utf-8")
    assert "w3id.org/biolink" not in text


def test_every_category_covered(tables: tuple[list[dict[str, str]], list[dict[str, str]]],
                                built: BuiltDataset) -> None:
    """Diseases, phenotypes, anatomy, cells and interventions are all exported as nodes."""
    nodes, _ = tables
    categories = {row["category"] for row in nodes}
    assert {"biolink:Disease", "biolink:PhenotypicFeature", "biolink:Drug", "biolink:Treatment",
            "biolink:Cell"} <= categories
    graph = Graph()
    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    for name in ("asserted", "inferred"):
        for triple in dataset.graph(URIRef(graph_iri(name))):
            graph.add(triple)
    interventions = {str(s) for s in graph.subjects(RDF.type, ALS.Intervention)}
    assert interventions <= {row["iri"] for row in nodes}

"""SSSOM mapping table: the metadata block and columns the SSSOM spec requires, every curated
skos:exactMatch / closeMatch present, and CURIEs that expand back to the data's IRIs."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Dataset, URIRef
from rdflib.namespace import SKOS

from alskg.assembly.store import BuiltDataset
from alskg.curation.namespaces import DEFAULT_BASE, graph_iri
from alskg.publishing.dumps import load_build
from alskg.publishing.sssom import sssom_table

# Required slots of the SSSOM schema (sssom_schema.yaml, `required: true`): on a Mapping
# subject_id, predicate_id, object_id and mapping_justification; on a MappingSet
# mapping_set_id and license. curie_map is required to expand the CURIEs used.
REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
REQUIRED_METADATA = ("mapping_set_id", "license", "curie_map")
SEMAPV_JUSTIFICATIONS = {"semapv:ManualMappingCuration", "semapv:LexicalMatching",
                         "semapv:LogicalReasoning", "semapv:UnspecifiedMatching",
                         "semapv:MappingReview", "semapv:BackgroundKnowledgeBasedMatching"}


@pytest.fixture(scope="module")
def sssom_file(built: BuiltDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mapping table of the session build, written to a file."""
    build = load_build(built)
    path = tmp_path_factory.mktemp("sssom") / "mappings.sssom.tsv"
    path.write_bytes(sssom_table(build.graphs, build.version, build.base))
    return path


def split(path: Path) -> tuple[dict[str, Any], list[dict[str, str]], list[str]]:
    """Return (metadata from the `#` YAML block, rows, columns)."""
    text = path.read_text(encoding="utf-8")
    header = [line[2:] if line.startswith("# ") else line[1:]
              for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    reader = csv.DictReader(io.StringIO(body), delimiter="\t")
    rows = list(reader)
    return yaml.safe_load("\n".join(header)), rows, list(reader.fieldnames or [])


def expand(curie: str, curie_map: dict[str, str]) -> str:
    """Expand a CURIE with the table's curie_map (KeyError when the prefix is missing)."""
    prefix, local = curie.split(":", 1)
    return curie_map[prefix] + local


def test_metadata_and_columns(sssom_file: Path) -> None:
    """The YAML block has the required mapping-set slots; the table the required columns."""
    metadata, rows, columns = split(sssom_file)
    for slot in REQUIRED_METADATA:
        assert metadata.get(slot), slot
    assert metadata["license"].startswith("https://creativecommons.org/")
    assert metadata["mapping_set_id"].startswith("https://")
    assert metadata["creator_id"] == ["infores:alskg"]
    for column in REQUIRED_COLUMNS + ("author_id",):
        assert column in columns, column
    assert rows
    for row in rows:
        for column in REQUIRED_COLUMNS:
            assert row[column], (column, row)
        assert row["mapping_justification"] in SEMAPV_JUSTIFICATIONS
        assert row["mapping_justification"] == "semapv:ManualMappingCuration"
        assert row["predicate_id"] in ("skos:exactMatch", "skos:closeMatch")
        assert row["author_id"] == "infores:alskg"
        for column in ("subject_id", "predicate_id", "object_id", "mapping_justification",
                       "author_id"):
            expand(row[column], metadata["curie_map"])  # every prefix is declared


def test_every_mapping_present(sssom_file: Path, built: BuiltDataset) -> None:
    """Each exactMatch/closeMatch of our entities in the build is one row, and nothing else."""
    metadata, rows, _ = split(sssom_file)
    curie_map = metadata["curie_map"]
    found = {(expand(r["subject_id"], curie_map), expand(r["predicate_id"], curie_map),
              expand(r["object_id"], curie_map)) for r in rows}
    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    expected = set()
    for name in ("ontology", "asserted"):
        graph = dataset.graph(URIRef(graph_iri(name)))
        for predicate in (SKOS.exactMatch, SKOS.closeMatch):
            for s, o in graph.subject_objects(predicate):
                if str(s).startswith(DEFAULT_BASE + "id/"):
                    expected.add((str(s), str(predicate), str(o)))
    assert found == expected
    assert len(rows) == len(found)
    assert ("alskg:disease/als", "skos:exactMatch", "MONDO:0004976") in {
        (r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows}


def test_rows_sorted_and_deterministic(sssom_file: Path, built: BuiltDataset) -> None:
    """Rows are sorted; rendering again gives the same bytes."""
    _, rows, _ = split(sssom_file)
    keys = [(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows]
    assert keys == sorted(keys)
    build = load_build(built)
    assert sssom_table(build.graphs, build.version, build.base) == sssom_file.read_bytes()


def test_reads_with_an_sssom_library(sssom_file: Path) -> None:
    """An independent SSSOM reader (sssom-pydantic, when installed) accepts the file."""
    sssom_pydantic = pytest.importorskip("sssom_pydantic")
    mappings, _, metadata = sssom_pydantic.read(sssom_file)
    assert len(mappings) == len(split(sssom_file)[1])
    assert str(metadata.license).startswith("https://creativecommons.org/")

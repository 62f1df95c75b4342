"""The search index (alskg.search): written with the build, listed in its receipt, checked on
open, deterministic; what it holds about resources; the ranking tiers, identifiers and spelling
correction, asked in-process (the HTTP side is tests/test_search.py)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import make_app
from rdflib import Graph

from alskg.assembly.store import SEARCH_FILE, BuiltDataset, file_sha256, open_folder
from alskg.curation.namespaces import DEFAULT_BASE, prefixes
from alskg.errors import BadSearch, BuildCorrupt
from alskg.formats.terms import from_oxigraph
from alskg.search.documents import Document, documents
from alskg.search.identifiers import query_keys, unknown_prefix
from alskg.search.index_file import open_index, write_index
from alskg.search.results import MATCHES
from alskg.search.searcher import MAX_QUERY_CHARS, SearchIndex
from alskg.search.text import fold, within_one_edit

ID = DEFAULT_BASE + "id/"


def graphs_of(dataset: Path) -> dict[str, Graph]:
    """Read a build's N-Quads back into one rdflib Graph per named graph (by short name)."""
    graphs: dict[str, Graph] = {}
    for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
        name = str(quad.graph_name.value).rsplit("/", 1)[-1]
        graphs.setdefault(name, Graph()).add(
            (from_oxigraph(quad.subject), from_oxigraph(quad.predicate),
             from_oxigraph(quad.object)))
    return graphs


@pytest.fixture(scope="module")
def docs(built: BuiltDataset) -> list[Document]:
    """The documents of the session build, read again from its dataset."""
    return documents(graphs_of(built.dataset_file), DEFAULT_BASE)


@pytest.fixture(scope="module")
def index(built: BuiltDataset) -> SearchIndex:
    """The session build's search index, opened."""
    return SearchIndex(built.search_file)


def by_iri(docs: list[Document], iri: str) -> Document:
    """Return the document of one IRI."""
    return next(d for d in docs if d.iri == iri)


# --------------------------------------------------------------------------- the file

def test_the_index_sits_beside_the_dataset_and_in_the_receipt(built: BuiltDataset) -> None:
    """search.sqlite is written into the build folder and the receipt lists its size and
    SHA-256, like the other build files."""
    assert built.search_file == built.dataset_file.parent / SEARCH_FILE
    entry = built.receipt["search_file"]
    assert entry["name"] == SEARCH_FILE
    assert entry["bytes"] == built.search_file.stat().st_size
    assert entry["sha256"] == file_sha256(built.search_file)
    assert entry["documents"] > 900


def test_the_index_is_deterministic(built: BuiltDataset, docs: list[Document],
                                    tmp_path: Path) -> None:
    """The same documents give the same bytes, here and in the build's own process."""
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    assert write_index(first, docs, DEFAULT_BASE) == len(docs)
    write_index(second, docs, DEFAULT_BASE)
    assert file_sha256(first) == file_sha256(second) == built.receipt["search_file"]["sha256"]


@pytest.mark.parametrize("damage", ["overwritten", "removed"])
def test_a_damaged_index_refuses_to_open(built: BuiltDataset, tmp_path: Path,
                                         damage: str) -> None:
    """A search index that differs from the receipt (or is gone) makes the build refuse to
    open, naming the file, as a damaged derivation file does."""
    copy = tmp_path / "build"
    shutil.copytree(built.path, copy)
    target = copy / SEARCH_FILE
    if damage == "removed":
        target.unlink()
    else:
        with target.open("r+b") as handle:
            handle.seek(4096)
            handle.write(b"garbage")
    with pytest.raises(BuildCorrupt, match=r"search\.sqlite"):
        open_folder(copy)


def test_opening_checks_the_format(tmp_path: Path) -> None:
    """A file that is no SQLite database, or an index of another format, is BuildCorrupt
    naming the file."""
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BuildCorrupt, match="junk.sqlite"):
        open_index(junk)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('format', 'something-else/9')")
    con.commit()
    con.close()
    with pytest.raises(BuildCorrupt, match="other.sqlite.*something-else/9"):
        open_index(other)
    with pytest.raises(BuildCorrupt, match="no search index"):
        open_index(tmp_path / "absent.sqlite")


def test_a_build_made_before_search_answers_503_naming_the_file(built: BuiltDataset,
                                                                 tmp_path: Path) -> None:
    """A build without an index in its receipt still serves everything else; search says
    which file is missing and what to run."""
    root = tmp_path / "old"
    folder = root / "builds" / "old"
    shutil.copytree(built.path, folder)
    (folder / SEARCH_FILE).unlink()
    receipt = json.loads((folder / "receipt.json").read_text())
    del receipt["search_file"]
    (folder / "receipt.json").write_text(json.dumps(receipt))
    (root / "current").symlink_to(folder)
    app = make_app(root)
    try:
        client = app.test_client()
        answer = client.get("/search.json?q=riluzole")
        assert answer.status_code == 503
        assert "search.sqlite" in answer.get_json()["error"]
        assert "alskg build" in answer.get_json()["error"]
        assert client.get("/id/intervention/riluzole").status_code == 200
    finally:
        app.extensions["alskg"].close()


# --------------------------------------------------------------------------- what it holds

def test_documents_hold_names_text_and_identifiers(docs: list[Document]) -> None:
    """Labels, brand and code names (alternative labels, products of regulatory acts),
    identifiers and a summary line; the bookkeeping kinds are left out."""
    riluzole = by_iri(docs, ID + "intervention/riluzole")
    assert riluzole.kind == "intervention" and riluzole.label == "riluzole"
    assert riluzole.curie == "intervention:riluzole"
    assert {"Rilutek", "Tiglutik"} <= set(riluzole.names)
    assert "http://purl.obolibrary.org/obo/CHEBI_8863" in riluzole.identifiers
    assert riluzole.summary and "\n" not in riluzole.summary and len(riluzole.summary) <= 200
    lenzumestrocel = by_iri(docs, ID + "intervention/lenzumestrocel")
    assert any(name.lower().startswith("neuronata-r") for name in lenzumestrocel.names)
    empower = by_iri(docs, ID + "study/empower")
    assert "https://clinicaltrials.gov/study/NCT01281189" in empower.identifiers
    assert "NCT01281189" in empower.summary and "phase III" in empower.summary
    kinds = {d.kind for d in docs}
    assert {"intervention", "study", "claim", "publication", "regulatory", "phenotype",
            "term"} <= kinds
    assert not kinds & {"check", "contested"}
    assert [d.iri for d in docs] == sorted(d.iri for d in docs)


# --------------------------------------------------------------------------- text and identifiers

@pytest.mark.parametrize(("a", "b", "near"), [
    ("riluzole", "rilozole", True), ("riluzole", "rilzole", True), ("riluzole", "riluzolee", True),
    ("riluzole", "rilzuole", True), ("riluzole", "rilozola", False), ("abcd", "bcde", False),
    ("tofersen", "tofersen", True), ("edaravone", "edaravne", True),
])
def test_one_edit_apart(a: str, b: str, near: bool) -> None:
    """Insertion, deletion, substitution and a swap of neighbours are one edit; two are not."""
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def test_folding_ignores_case_accents_and_punctuation() -> None:
    assert fold("Neuronata-R Inj.") == "neuronata r inj"
    assert fold("Sjögren  ÉTÉ") == "sjogren ete"
    assert fold("<script>alert(1)</script>") == "script alert 1 script"


@pytest.mark.parametrize(("query", "key"), [
    ("CHEBI:8863", "chebi:8863"), ("obo:CHEBI_8863", "chebi:8863"), ("CHEBI_8863", "chebi:8863"),
    ("<http://purl.obolibrary.org/obo/CHEBI_8863>", "chebi:8863"),
    ("https://dx.doi.org/10.1056/NEJM199403033300901", "10.1056/nejm199403033300901"),
    ("doi:10.1056/NEJM199403033300901", "10.1056/nejm199403033300901"),
    ("pubmed:15204012", "pmid:15204012"),
    ("https://pubmed.ncbi.nlm.nih.gov/15204012/", "pmid:15204012"),
    ("https://clinicaltrials.gov/ct2/show/NCT01281189", "nct01281189"),
])
def test_query_keys(query: str, key: str) -> None:
    """Each way of writing an identifier gives the key the index stores it under."""
    assert key in query_keys(query, prefixes())


def test_unknown_prefixes_are_told() -> None:
    table = prefixes()
    assert unknown_prefix("foo:bar", table) == "foo"
    for known in ("CHEBI:8863", "intervention:x", "doi:10.1/x", "PMID:1", "https://x.org/y",
                  "riluzole", "NCT01281189"):
        assert unknown_prefix(known, table) is None


# --------------------------------------------------------------------------- the searcher

@pytest.mark.parametrize(("query", "iri"), [
    ("NCT01281189", "study/empower"),
    ("CHEBI:8863", "intervention/riluzole"),
    ("chebi:8863", "intervention/riluzole"),
    ("10.1056/NEJM199403033300901", "publication/riluzole-controlled-trial-1994"),
    ("https://doi.org/10.1056/NEJM199403033300901", "publication/riluzole-controlled-trial-1994"),
    ("intervention:msc-therapy", "intervention/msc-therapy"),
    (ID + "intervention/msc-therapy", "intervention/msc-therapy"),
    ("als:Drug", "../vocab#Drug"),
])
def test_identifiers_find_their_resource(index: SearchIndex, query: str, iri: str) -> None:
    """An NCT number, a CURIE, a DOI or a full IRI finds its resource, as an identifier, and a
    one-token identifier is the whole answer."""
    results = index.search(query)
    assert results.hits and results.hits[0].iri == (ID + iri).replace("id/../", "")
    assert results.hits[0].match == "identifier"
    assert len(results.hits) == 1


def test_a_pmid_finds_its_publication(index: SearchIndex) -> None:
    for query in ("PMID:15204012", "15204012", "pubmed:15204012"):
        hit = index.search(query).hits[0]
        assert hit.kind == "publication" and hit.matched == "PMID:15204012"


def test_tiers_come_in_order(index: SearchIndex) -> None:
    """Exact label first, then label prefixes, then word matches: tiers never go back."""
    hits = index.search("riluzole").hits
    assert hits[0].iri == ID + "intervention/riluzole" and hits[0].match == "label"
    tiers = [MATCHES.index(hit.match) for hit in hits]
    assert tiers == sorted(tiers) and len(set(tiers)) >= 3


@pytest.mark.parametrize(("query", "iri", "name"), [
    ("Radicava", "intervention/edaravone", "Radicava"),
    ("Qalsody", "intervention/tofersen", "Qalsody"),
    ("AMX0035", "intervention/sodium-phenylbutyrate-taurursodiol", "AMX0035"),
    ("amx-0035", "intervention/sodium-phenylbutyrate-taurursodiol", "AMX0035"),
    ("NurOwn", "intervention/msc-ntf", "NurOwn"),
])
def test_brand_and_code_names_find_the_intervention(index: SearchIndex, query: str, iri: str,
                                                    name: str) -> None:
    hit = index.search(query).hits[0]
    assert (hit.iri, hit.match, hit.matched) == (ID + iri, "other name", name)


def test_misspelt_words_are_corrected(index: SearchIndex) -> None:
    """A word of five letters or more that nothing starts with is read as the indexed words one
    edit away; the exact label under the correction comes first."""
    results = index.search("rilozole")
    assert results.corrections == {"rilozole": ("riluzole",)}
    assert results.hits[0].iri == ID + "intervention/riluzole"
    assert results.hits[0].match == "spelling, in a name"
    assert index.search("stem cel ther").hits[0].iri == ID + "intervention/stem-cell-therapy"
    assert not index.search("zzzzzzqx").hits


def test_kinds_filter_and_unknown_kinds(index: SearchIndex) -> None:
    hits = index.search("riluzole", ["claim", "study"]).hits
    assert hits and {hit.kind for hit in hits} <= {"claim", "study"}
    with pytest.raises(BadSearch, match="Unknown kind 'drugs'.*intervention"):
        index.search("riluzole", ["drugs"])


def test_limits(index: SearchIndex) -> None:
    """Over 100 hits are truncated; a query over the length limit is BadSearch; an empty one
    finds nothing."""
    results = index.search("a")
    assert len(results.hits) == 100 and results.truncated
    assert len(index.suggest("rilu", limit=3).hits) == 3
    with pytest.raises(BadSearch, match="10000 characters"):
        index.search("x" * 10_000)
    assert not index.search(" " * MAX_QUERY_CHARS).hits


def test_query_syntax_is_only_text(index: SearchIndex) -> None:
    """FTS5 and SPARQL syntax in a query are words, never operators: no error, no surprise."""
    for query in ('SELECT * WHERE { ?s ?p ?o }', '" OR "*', "NEAR(riluzole edaravone)",
                  "riluzole AND NOT x", "{names}: x", "a*b^c-d", '"', "*", "'; DROP TABLE doc"):
        index.search(query)
    negated = {hit.iri for hit in index.search("NOT riluzole").hits}
    assert negated and negated <= {hit.iri for hit in index.search("riluzole").hits}

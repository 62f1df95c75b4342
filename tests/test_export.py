"""Dumps: byte-identical across runs (and hash seeds), isomorphic to the build, checksummed,
written atomically, served at /downloads with ETags; the `alskg export` command."""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from alskg.assembly.store import BuiltDataset
from alskg.cli.export import COMMANDS, export_command
from alskg.curation.namespaces import GRAPH_NAMES, graph_iri
from alskg.formats.nquads import read_quads
from alskg.formats.terms import from_oxigraph, to_oxigraph
from alskg.publishing import dumps as export_module
from alskg.publishing.dumps import CHECKSUM_FILE, DUMP_FILES, FORMAT_KEYS, export, write_atomic

UNION = ("ontology", "asserted", "inferred")


@pytest.fixture(scope="module")
def exported(built: BuiltDataset) -> Path:
    """One full export of the session build: its downloads folder, as /downloads serves it
    (written by the first test of this process that needs it; read-only here)."""
    return export_module.ensure_downloads(built)


@pytest.fixture(scope="module")
def build_graphs(built: BuiltDataset) -> dict[str, Graph]:
    """The build's named graphs, read straight from its N-Quads (formats.nquads.read_quads)."""
    graphs = {graph_iri(name): Graph() for name in GRAPH_NAMES}
    for subject, predicate, obj, graph in read_quads(built.dataset_file.read_bytes()):
        graphs[str(graph)].add((subject, predicate, obj))
    return {name: graphs[graph_iri(name)] for name in GRAPH_NAMES}


def union_of(graphs: dict[str, Graph]) -> Graph:
    """The union of ontology, asserted and inferred."""
    merged = Graph()
    for name in UNION:
        for triple in graphs[name]:
            merged.add(triple)
    return merged


def test_every_format_written_with_checksums(exported: Path) -> None:
    """All files exist, and SHA256SUMS lists each with its real digest (sha256sum -c format)."""
    names = {entry.name for entry in DUMP_FILES}
    assert names <= {p.name for p in exported.iterdir()}
    lines = (exported / CHECKSUM_FILE).read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == names
    for name, digest in listed.items():
        assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", CHECKSUM_FILE], cwd=exported,
                       check=True)
    # no temp files (the lock file that serialises server processes writing the folder stays)
    assert not [p for p in exported.iterdir() if p.name.startswith(".") and p.name != ".lock"]


@pytest.mark.slow  # a second full run of the same work (the suite's time)
def test_two_exports_are_byte_identical(built: BuiltDataset, exported: Path,
                                        tmp_path: Path) -> None:
    """A second export, in another process with another hash seed, gives the same bytes."""
    again = tmp_path / "again"
    code = ("import sys; from pathlib import Path; from alskg.assembly.store import open_build; "
            "from alskg.publishing.dumps import export; "
            "export(open_build(Path(sys.argv[1])), Path(sys.argv[2]))")
    root = built.path.parent.parent
    subprocess.run([sys.executable, "-c", code, str(root), str(again)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    for entry in DUMP_FILES:
        assert (again / entry.name).read_bytes() == (exported / entry.name).read_bytes(), \
            entry.name
    assert (again / CHECKSUM_FILE).read_bytes() == (exported / CHECKSUM_FILE).read_bytes()
    third = tmp_path / "third"
    export(built, third, ["ttl", "owl"])
    assert (third / "alskg.ttl").read_bytes() == (exported / "alskg.ttl").read_bytes()


def test_gzip_is_deterministic(exported: Path) -> None:
    """The gzip header has no timestamp and no file name."""
    data = (exported / "alskg.nt.gz").read_bytes()
    assert data[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert not data[3] & 0x08  # FLG.FNAME unset
    assert gzip.decompress(data).endswith(b" .\n")


@pytest.mark.parametrize(("name", "fmt"), [("alskg.nq", "nquads"), ("alskg.trig", "trig"),
                                           ("alskg.jsonld", "json-ld")])
def test_quad_dumps_round_trip(exported: Path, built: BuiltDataset, name: str, fmt: str) -> None:
    """Each whole-dataset dump re-parses to graphs isomorphic to the build's, graph by graph:
    JSON-LD by rdflib (as a Python consumer reads it), N-Quads and TriG by Oxigraph's parser (a
    second, independent reader; rdflib reads the union and ontology dumps below)."""
    expected = graph_parts(pyoxigraph.parse(path=built.dataset_file,
                                            format=pyoxigraph.RdfFormat.N_QUADS))
    if fmt == "json-ld":
        dataset = Dataset()
        dataset.parse(exported / name, format=fmt)
        quads = (pyoxigraph.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o),
                                 pyoxigraph.NamedNode(str(g)))
                 for s, p, o, g in dataset.quads() if isinstance(g, URIRef))
        found = graph_parts(quads)
    else:
        found = graph_parts(pyoxigraph.parse(path=exported / name, format={
            "nquads": pyoxigraph.RdfFormat.N_QUADS, "trig": pyoxigraph.RdfFormat.TRIG}[fmt]))
    assert set(found) == set(expected) == {graph_iri(n) for n in GRAPH_NAMES}
    for graph, (ground, blank) in expected.items():
        assert found[graph][0] == ground, graph
        assert isomorphic(found[graph][1], blank), graph


def graph_parts(quads: Iterable[pyoxigraph.Quad]) -> dict[str, tuple[set[str], Graph]]:
    """Split quads by graph into the triples without blank nodes (as N-Triples lines, compared as
    sets) and those with blank nodes (an rdflib graph, compared by isomorphism): equal ground
    parts and isomorphic blank parts make the graphs isomorphic."""
    parts: dict[str, tuple[set[str], Graph]] = {}
    for quad in quads:
        ground, blank = parts.setdefault(quad.graph_name.value, (set(), Graph()))
        triple = quad.triple
        if any(isinstance(t, pyoxigraph.BlankNode) for t in (triple.subject, triple.object)):
            blank.add((from_oxigraph(triple.subject), from_oxigraph(triple.predicate),
                       from_oxigraph(triple.object)))
        else:
            ground.add(str(triple))
    return parts


@pytest.mark.parametrize(("name", "fmt"), [("alskg.ttl", "turtle"), ("alskg.nt.gz", "nt")])
def test_union_dumps_round_trip(exported: Path, build_graphs: dict[str, Graph], name: str,
                                fmt: str) -> None:
    """The union dumps re-parse to the union of ontology, asserted and inferred."""
    data = (exported / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    graph = Graph()
    graph.parse(data=data, format=fmt)
    assert isomorphic(graph, union_of(build_graphs))


@pytest.mark.parametrize(("name", "fmt"), [("alskg-ontology.ttl", "turtle"),
                                           ("alskg-ontology.owl", "xml")])
def test_ontology_dumps_round_trip(exported: Path, build_graphs: dict[str, Graph], name: str,
                                   fmt: str) -> None:
    """The ontology files re-parse to the ontology graph (RDF/XML included)."""
    graph = Graph()
    graph.parse(exported / name, format=fmt)
    assert isomorphic(graph, build_graphs["ontology"])


def test_jsonld_uses_the_published_context(exported: Path) -> None:
    """The JSON-LD dump's inline @context is the one published as context.jsonld."""
    import json

    document = json.loads((exported / "alskg.jsonld").read_text(encoding="utf-8"))
    published = json.loads((exported / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]


def test_atomic_write_leaves_no_partial_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing write (a full disk) keeps the old file and leaves no temporary file."""
    target = tmp_path / "alskg.ttl"
    target.write_bytes(b"old\n")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_module.os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_atomic(target, b"new contents\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["alskg.ttl"]


def test_downloads_page_and_files(client: FlaskClient) -> None:
    """/downloads lists every dump; each file is served with its SHA-256 as ETag (304 on match)."""
    page = client.get("/downloads")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    sums = client.get("/downloads/SHA256SUMS").get_data(as_text=True)
    for entry in DUMP_FILES:
        assert f'href="/downloads/{entry.name}"' in text
        assert entry.name in sums
    digest = next(line.split("  ")[0] for line in sums.splitlines()
                  if line.endswith("  alskg.ttl"))
    response = client.get("/downloads/alskg.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert response.headers["ETag"] == f'"{digest}"'
    assert hashlib.sha256(response.data).hexdigest() == digest
    cached = client.get("/downloads/alskg.ttl", headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304
    assert client.get("/downloads/alskg.nt.gz").mimetype == "application/gzip"
    assert client.get("/downloads/../receipt.json").status_code == 404


def test_export_command(built: BuiltDataset, tmp_path: Path) -> None:
    """`alskg export --format ttl --format sssom --out DIR` writes those files and SHA256SUMS."""
    assert [export_command] == COMMANDS
    root = built.path.parent.parent
    result = CliRunner().invoke(export_command, ["--build-dir", str(root), "--out",
                                                 str(tmp_path), "--format", "ttl",
                                                 "--format", "sssom"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKSUM_FILE, "alskg.ttl",
                                                          "mappings.sssom.tsv"]
    bad = CliRunner().invoke(export_command, ["--out", str(tmp_path), "--format", "xls"])
    assert bad.exit_code != 0
    assert set(FORMAT_KEYS) == {"ttl", "nt", "nq", "trig", "jsonld", "owl", "kgx", "sssom"}

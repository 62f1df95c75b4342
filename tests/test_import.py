"""`alskg import`: streaming external RDF into named graphs of an on-disk Oxigraph store.

Generated files in a temporary folder: N-Triples, gzip N-Quads, Turtle; a malformed line stops
the import with file:line and leaves the store exactly as it was; the store can be served
read-only with the build's graphs beside the imported ones.
"""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from alskg.assembly.store import BuiltDataset
from alskg.cli.store import import_command
from alskg.curation.namespaces import graph_iri
from alskg.publishing.importer import Progress, default_graph_for, graph_counts, import_files
from alskg.publishing.store_versions import (
    ImportFailed,
    current_version,
    open_store_engine,
    read_info,
    versions_dir,
)

EX = "http://example.org/"


def ntriples(count: int, prefix: str = "s") -> str:
    """Return `count` distinct N-Triples lines (IRIs, a language string, a typed literal)."""
    lines = []
    for i in range(count):
        kind = i % 3
        obj = (f"<{EX}o{i}>" if kind == 0 else f'"label {i}"@en' if kind == 1
               else f'"{i}"^^<http://www.w3.org/2001/XMLSchema#integer>')
        lines.append(f"<{EX}{prefix}{i}> <{EX}p{kind}> {obj} .\n")
    return "".join(lines)


def counts(store_path: Path) -> dict[str, int]:
    """Return the graph counts of the store's current version (opened read-only)."""
    version = current_version(store_path)
    assert version is not None
    return graph_counts(ox.Store.read_only(str(version)))


def test_ntriples_into_the_default_import_graph(tmp_path: Path) -> None:
    source = tmp_path / "genes.nt"
    source.write_text(ntriples(250), encoding="utf-8")
    store = tmp_path / "store"
    report = import_files([source], store)
    target = graph_iri("import/genes")
    assert default_graph_for(source) == target
    assert report.files[0].graph == target and report.files[0].triples == 250
    assert counts(store) == {target: 250}
    assert store.is_symlink() and current_version(store) == report.version
    assert read_info(report.version)["imports"][target]["triples"] == 250


def test_gzip_nquads_keep_their_graphs(tmp_path: Path) -> None:
    source = tmp_path / "mixed.nq.gz"
    text = (f"<{EX}a> <{EX}p> <{EX}b> .\n"
            f"<{EX}a> <{EX}p> \"in g1\" <{EX}g1> .\n"
            f"_:x <{EX}p> \"in g1 too\" <{EX}g1> .\n"
            f"<{EX}c> <{EX}p> <{EX}d> <{EX}g2> .\n")
    with gzip.open(source, "wt", encoding="utf-8") as handle:
        handle.write(text)
    store = tmp_path / "store"
    import_files([source], store, graph=f"{EX}target")
    assert counts(store) == {f"{EX}g1": 2, f"{EX}g2": 1, f"{EX}target": 1}


def test_turtle_and_several_files_into_one_graph(tmp_path: Path) -> None:
    first = tmp_path / "one.ttl"
    first.write_text(f"@prefix ex: <{EX}> .\nex:a ex:p ex:b , ex:c ; ex:q [ ex:r 1 ] .\n",
                     encoding="utf-8")
    second = tmp_path / "two.nt"
    second.write_text(ntriples(10), encoding="utf-8")
    store = tmp_path / "store"
    report = import_files([first, second], store, graph=f"{EX}together")
    assert [f.triples for f in report.files] == [4, 10]
    assert counts(store) == {f"{EX}together": 14}


def test_reimport_replaces_and_other_graphs_stay(tmp_path: Path) -> None:
    store = tmp_path / "store"
    keep = tmp_path / "keep.nt"
    keep.write_text(ntriples(20, "k"), encoding="utf-8")
    data = tmp_path / "data.nt"
    data.write_text(ntriples(100), encoding="utf-8")
    import_files([keep, data], store)
    data.write_text(ntriples(30, "t"), encoding="utf-8")
    import_files([data], store)
    assert counts(store) == {graph_iri("import/data"): 30, graph_iri("import/keep"): 20}
    # The previous version is kept (a server may still read it), older ones are removed.
    import_files([data], store)
    assert len([p for p in versions_dir(store).iterdir() if p.is_dir()]) == 2


def test_malformed_line_reports_file_and_line_and_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    good = tmp_path / "data.nt"
    good.write_text(ntriples(50), encoding="utf-8")
    import_files([good], store)
    before = current_version(store)
    bad = tmp_path / "data.nt.gz"
    lines = ntriples(300, "new").splitlines(keepends=True)
    lines[206] = f'<{EX}broken> <{EX}p> "no closing quote .\n'
    with gzip.open(bad, "wt", encoding="utf-8") as handle:
        handle.writelines(lines)
    with pytest.raises(ImportFailed) as caught:
        import_files([bad], store, graph=graph_iri("import/data"), batch=64)
    message = str(caught.value)
    assert f"{bad}:207" in message
    assert "unchanged" in message
    assert current_version(store) == before
    assert counts(store) == {graph_iri("import/data"): 50}
    assert not list(versions_dir(store).glob(".tmp-*"))


def test_refusals(tmp_path: Path) -> None:
    source = tmp_path / "x.nt"
    source.write_text(ntriples(3), encoding="utf-8")
    with pytest.raises(ImportFailed, match="belongs to the build"):
        import_files([source], tmp_path / "store", graph=graph_iri("asserted"))
    with pytest.raises(ImportFailed, match="no such file"):
        import_files([tmp_path / "missing.nt"], tmp_path / "store")
    odd = tmp_path / "data.weird"
    odd.write_text(ntriples(3), encoding="utf-8")
    with pytest.raises(ImportFailed, match="--format"):
        import_files([odd], tmp_path / "store")
    assert import_files([odd], tmp_path / "store", fmt="nt").files[0].triples == 3


def test_progress_line_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=True, interval=0)
    progress.update("data.nt", 500_000, 1_000_000, 12_345, started=0.0, force=True)
    progress.finish()
    line = stream.getvalue()
    assert line.startswith("\rdata.nt") and "50.0%" in line and "12,345 triples" in line
    assert "triples/s" in line and "MB/s" in line and line.endswith("\n")
    quiet = io.StringIO()
    Progress(stream=quiet).update("x", 1, 2, 3, 0.0, force=True)  # not a terminal: silent
    assert quiet.getvalue() == ""


def test_store_with_the_build_is_served_read_only(tmp_path: Path, built: BuiltDataset) -> None:
    source = tmp_path / "extra.nt"
    source.write_text(f"<https://w3id.org/alskg/id/disease/als> <{EX}mentionedBy> <{EX}x> .\n",
                      encoding="utf-8")
    store = tmp_path / "store"
    report = import_files([source], store, built=built)
    assert report.build_hash == built.content_hash
    engine = open_store_engine(store, built=built)
    names = engine.graph_names()
    assert graph_iri("import/extra") in names and set(built.receipt["graphs"]) <= set(names)
    # The server default graph (ontology + asserted + inferred) answers as from the build,
    # and the imported graph is there to be named.
    rows = engine.run("SELECT ?label WHERE { <https://w3id.org/alskg/id/disease/als> "
                      "rdfs:label ?label }").rows
    assert rows
    rows = engine.run(f"SELECT ?who WHERE {{ GRAPH <{graph_iri('import/extra')}> "
                      f"{{ ?s <{EX}mentionedBy> ?who }} }}").rows
    assert [str(r[0]) for r in rows] == [f"{EX}x"]
    for graph, count in built.receipt["graphs"].items():
        assert report.graphs[graph] == count
    other = BuiltDataset(built.path, {**built.receipt, "content_hash": "0" * 64})
    with pytest.raises(ImportFailed, match="not the current build"):
        open_store_engine(store, built=other)


def test_import_command(build_root: Path, tmp_path: Path) -> None:
    source = tmp_path / "cli.nt"
    source.write_text(ntriples(40), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(import_command, [str(source), "--build-dir", str(build_root)])
    try:
        assert result.exit_code == 0, result.output
        assert "40 triples" in result.output and "graph/import/cli" in result.output
        assert counts(build_root / "store")[graph_iri("import/cli")] == 40
        bad = tmp_path / "bad.ttl"
        bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n",
                       encoding="utf-8")
        result = runner.invoke(import_command, [str(bad), "--store-path",
                                                str(tmp_path / "other"), "--without-build"])
        assert result.exit_code == 1
        assert f"{bad}:3" in result.output
    finally:
        shutil.rmtree(build_root / "store.versions", ignore_errors=True)
        (build_root / "store").unlink(missing_ok=True)


def test_serve_answers_from_an_imported_store(tmp_path: Path, build_root: Path,
                                              built: BuiltDataset) -> None:
    from tests.conftest import make_app

    source = tmp_path / "served.nt"
    source.write_text(f"<{EX}y> <{EX}mentionedBy> <{EX}z> .\n")
    store = tmp_path / "store"
    import_files([source], store, graph=graph_iri("import/served"), built=built)
    app = make_app(build_root, ALSKG_STORE_PATH=str(store))
    client = app.test_client()
    response = client.get("/sparql", query_string={
        "query": f"SELECT ?who WHERE {{ GRAPH <{graph_iri('import/served')}> "
                 f"{{ ?s <{EX}mentionedBy> ?who }} }}"})
    assert response.status_code == 200
    rows = response.get_json(force=True)["results"]["bindings"]
    assert [r["who"]["value"] for r in rows] == [f"{EX}z"]
    app.extensions["alskg"].close()


def test_an_import_keeps_a_running_imports_pending_folder(tmp_path: Path) -> None:
    """Two imports into one store: the one that finishes first removes only pending folders
    whose process is gone, never the folder another live import is still writing."""
    store = tmp_path / "store"
    data = tmp_path / "data.nt"
    data.write_text(ntriples(5), encoding="utf-8")
    import_files([data], store)
    versions = versions_dir(store)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = versions / f".tmp-{sleeper.pid}-v-live"
        live.mkdir()
        dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
        dead_pid.wait()
        dead = versions / f".tmp-{dead_pid.pid}-v-dead"
        dead.mkdir()
        import_files([data], store, graph=graph_iri("import/again"))
        assert live.is_dir()
        assert not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()

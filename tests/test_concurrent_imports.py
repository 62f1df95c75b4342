"""Issue 20, item 4: two `alskg import` commands started together both land (real processes).

Both imports run the real CLI into one on-disk store. Each holds the store's import lock from
reading the current version to swapping in its own, so the second branches from the first's
version: the final store holds both graphs, triple for triple. One case leaves the race to the
scheduler; the other holds the lock from the test process first, so both commands demonstrably
wait (and say for which process) before either writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from alskg.assembly.lease import exclusive
from alskg.curation.namespaces import graph_iri
from alskg.publishing.importer import IMPORT_LOCK
from alskg.publishing.store_versions import current_version, versions_dir

EX = "http://example.org/"


def write_source(folder: Path, name: str, count: int) -> tuple[Path, set[str]]:
    """Write an N-Triples file of `count` triples; return it and its lines (no newlines)."""
    lines = [f'<{EX}{name}/{i}> <{EX}p> "{name} {i}" .' for i in range(count)]
    path = folder / f"{name}.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, set(lines)


def start_import(source: Path, store: Path, build_dir: Path) -> subprocess.Popen[str]:
    """Start `alskg import FILE --store-path STORE --without-build` (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "alskg", "import", str(source), "--store-path", str(store),
         "--without-build", "--build-dir", str(build_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def graph_lines(store: Path, graph: str) -> set[str]:
    """Return the triples of one named graph of the store's current version, as N-Triples."""
    version = current_version(store)
    assert version is not None
    opened = ox.Store.read_only(str(version))
    return {f"{q.subject} {q.predicate} {q.object} ."
            for q in opened.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a command; return (exit code, stdout + stderr)."""
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def test_two_imports_started_together_both_land(tmp_path: Path) -> None:
    store = tmp_path / "store"
    a, a_lines = write_source(tmp_path, "a", 6000)
    b, b_lines = write_source(tmp_path, "b", 6000)
    first, second = start_import(a, store, tmp_path), start_import(b, store, tmp_path)
    for process in (first, second):
        code, output = finish(process)
        assert code == 0, output
    assert graph_lines(store, graph_iri("import/a")) == a_lines
    assert graph_lines(store, graph_iri("import/b")) == b_lines


def test_a_waiting_import_says_for_whom_and_then_lands(tmp_path: Path) -> None:
    """The lock held by this test process: both commands wait, then both land in turn."""
    store = tmp_path / "store"
    a, a_lines = write_source(tmp_path, "a", 500)
    b, b_lines = write_source(tmp_path, "b", 500)
    versions_dir(store).mkdir(parents=True)
    with exclusive(versions_dir(store) / IMPORT_LOCK):
        first, second = start_import(a, store, tmp_path), start_import(b, store, tmp_path)
        for process in (first, second):  # each says it waits, then blocks until we let go
            assert process.stderr is not None
            line = process.stderr.readline()
            assert line.startswith(f"waiting for the import running in process {os.getpid()} "
                                   f"into {store}"), line
        assert current_version(store) is None, "an import wrote while the lock was held"
    for process in (first, second):
        code, output = finish(process)
        assert code == 0, output
    assert graph_lines(store, graph_iri("import/a")) == a_lines
    assert graph_lines(store, graph_iri("import/b")) == b_lines

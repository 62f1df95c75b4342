"""Issue 20, item 7: damaged files are never served, and a damaged store never starts.

* The dataset edited under a running server (a label changed, same size): the replacement of a
  query worker killed with SIGKILL checks the file against the receipt and refuses it, so the
  edited label is never answered; queries get 503 naming the file and /health says why; once
  the file is put back, the pool's retries bring the server back.
* The derivation file damaged under a running server, before /explain first reads it: /explain
  is a 503 naming the file (queries still answer), and `alskg serve` refuses that build with one
  line naming the file (exit 2).
* An imported store (`--store-path`) with a flipped byte in an SST file, or a broken
  `alskg-store.json`: `alskg serve` refuses to start with one line naming the file (exit 2),
  before it listens. (The intact store serving is tests/test_import.py's.)
"""

from __future__ import annotations

import os
import shutil
import signal
import urllib.parse
from pathlib import Path

from conftest import LiveServer, free_port
from faults import alskg, bindings, call, fresh, one_line_error, query, query_worker_pids
from faults import wait_until as until
from w3c import write_build

from alskg.assembly.store import BuiltDataset
from alskg.publishing.store_versions import current_version

A = "https://w3id.org/alskg/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ITEM_LABEL = f"SELECT ?l WHERE {{ <{A}id/x/item> <{LABEL}> ?l }}"


def flip_byte(path: Path, where: float = 0.5) -> None:
    """Damage a file in place, same size (as a disk error would)."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_edited_dataset_is_never_served_by_a_replacement_worker(tmp_path: Path) -> None:
    root = tmp_path / "root"
    built = write_build(root, [f'<{A}id/x/item> <{LABEL}> "kept" <{A}graph/asserted> .\n'],
                        "kept")
    server = LiveServer(root, "--query-workers", "1", "--timeout", "5")
    try:
        assert bindings(query(server.url, fresh(ITEM_LABEL))) == [{"l": "kept"}]
        original = built.dataset_file.read_bytes()
        built.dataset_file.write_bytes(original.replace(b'"kept"', b'"kapt"'))
        (worker,) = query_worker_pids(server.process.pid)
        os.kill(worker, signal.SIGKILL)
        refused = []
        for _ in range(6):
            answer = query(server.url, fresh(ITEM_LABEL))
            assert answer.status != 200 or bindings(answer) == [{"l": "kept"}], answer.body
            refused.append(answer)
        last = refused[-1]
        assert last.status == 503 and str(built.dataset_file) in last.text(), last.body
        assert "corrupt dataset" in last.text()
        state = call(server.url + "/health")
        assert state.status == 503 and state.json()["ok"] is False
        assert str(built.dataset_file) in state.json()["error"]
        built.dataset_file.write_bytes(original)
        assert until(lambda: call(server.url + "/health").status == 200, 30)
        assert bindings(query(server.url, fresh(ITEM_LABEL))) == [{"l": "kept"}]
    finally:
        server.stop()


def test_a_damaged_derivation_file_is_refused(tmp_path: Path, built: BuiltDataset) -> None:
    root = tmp_path / "root"
    (root / "builds").mkdir(parents=True)
    folder = root / "builds" / "copy"
    shutil.copytree(built.path, folder)
    os.symlink("builds/copy", root / "current")
    server = LiveServer(root, "--query-workers", "1")
    try:
        (triple,) = bindings(query(server.url, "SELECT ?s ?p ?o WHERE { GRAPH <" + A +
                                   "graph/inferred> { ?s ?p ?o } FILTER(isIRI(?s) && "
                                   "isIRI(?o)) } ORDER BY ?s ?p ?o LIMIT 1"))
        flip_byte(folder / "explanations.sqlite")
        explained = call(server.url + "/explain?" + urllib.parse.urlencode(
            {"s": f"<{triple['s']}>", "p": f"<{triple['p']}>", "o": f"<{triple['o']}>",
             "format": "text"}), headers={"Accept": "text/plain"})
        assert explained.status == 503, explained.body[:300]
        assert str(folder / "explanations.sqlite") in explained.text()
        assert query(server.url, fresh("ASK { ?s ?p ?o }")).json()["boolean"] is True
    finally:
        server.stop()
    done = alskg("serve", "--build-dir", str(root), "--port", str(free_port()), timeout=60)
    line = one_line_error(done)
    assert str(folder / "explanations.sqlite") in line and "corrupt derivation file" in line


def test_a_damaged_store_refuses_to_start(tmp_path: Path, build_root: Path) -> None:
    store = tmp_path / "store"
    imported = alskg("import", "--build-dir", str(build_root), "--store-path", str(store))
    assert imported.returncode == 0, imported.stderr[-500:]
    version = current_version(store)
    assert version is not None
    info = version / "alskg-store.json"
    record = info.read_bytes()
    info.write_text('{"build_hash": "', encoding="utf-8")
    line = one_line_error(alskg("serve", "--build-dir", str(build_root), "--store-path",
                                str(store), "--port", str(free_port()), timeout=60))
    assert str(info) in line and "unreadable store record" in line
    info.write_bytes(record)
    table = max(version.glob("*.sst"), key=lambda p: p.stat().st_size)
    flip_byte(table)
    line = one_line_error(alskg("serve", "--build-dir", str(build_root), "--store-path",
                                str(store), "--port", str(free_port()), timeout=60))
    assert str(table) in line and "corrupt store file" in line

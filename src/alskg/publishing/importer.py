"""Streaming import of external RDF into named graphs of an on-disk Oxigraph store.

`alskg import FILE… [--graph IRI] [--store-path DIR]` reads N-Triples, N-Quads, Turtle, TriG,
N3 or RDF/XML (each optionally gzip-compressed) with pyoxigraph's streaming parser and writes the
quads in batches, so a file is never held in memory (peak ~150 MB for a 1 M-triple file).

Where the triples go: every triple of a file lands in the file's target graph (`--graph`, else
`<base>graph/import/<file name>`); quads an N-Quads or TriG file puts in a named graph stay in
that graph. An import *replaces* the graphs it writes (several files may share one target).

Nothing half-imported is ever visible. The store path is a symbolic link to a version folder
(`DIR.versions/<id>`). An import starts a new version as a checkpoint of the current one (RocksDB
hard links: instant, no copy), writes into it, and only when every file has parsed does it swap
the link atomically (as builds swap `current`). A malformed line stops the import with
`file:line:column`, the new version is deleted, and the store stays as it was. The previous
version is kept (a server may still have it open); older ones are removed, except a version a
server holds a lease on (assembly.lease).

Imports into one store are serialised: each holds an exclusive lock on `DIR.versions/.import.lock`
from reading the current version to swapping in its own, so two imports started together both
land (the second branches from the first's version) instead of the last swap winning. A waiting
import says which process it waits for.

Why not a staging graph and SPARQL `MOVE`: measured on 803,610 triples, pyoxigraph's `MOVE`
took 80 s and 2.7 GB (the whole move is one in-memory transaction) and dropping the staging graph
afterwards another 26 s; the versioned swap costs nothing beyond the load itself. Replacing an
existing large graph still pays Oxigraph's deletion cost (about 30 s per million triples).

Serving such a store: see store_versions.py.
"""

from __future__ import annotations

import gc
import gzip
import json
import logging
import os
import re
import shutil
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from ..assembly.lease import exclusive
from ..assembly.store import BuiltDataset, pending_name
from ..curation.namespaces import DEFAULT_BASE, GRAPH_NAMES, graph_iri
from .progress import Progress
from .store_versions import (
    STORE_INFO,
    ImportFailed,
    adopt_plain_dir,
    current_version,
    point_to,
    prune_versions,
    read_info,
    store_checksums,
    versions_dir,
)

log = logging.getLogger(__name__)

BATCH_QUADS = 100_000
IMPORT_LOCK = ".import.lock"
FORMATS: dict[str, Any] = {
    ".nt": ox.RdfFormat.N_TRIPLES, ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS, ".nquads": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG, ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
FORMAT_NAMES = {"nt": ".nt", "ntriples": ".nt", "nq": ".nq", "nquads": ".nq", "ttl": ".ttl",
                "turtle": ".ttl", "trig": ".trig", "n3": ".n3", "rdfxml": ".rdf",
                "jsonld": ".jsonld"}


@dataclass
class FileReport:
    """One imported file: where it went, how much, how fast."""

    path: Path
    graph: str
    triples: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass
class ImportReport:
    """A finished import: the files, the graph sizes, the new store version."""

    store_path: Path
    version: Path
    files: list[FileReport] = field(default_factory=list)
    graphs: dict[str, int] = field(default_factory=dict)
    build_hash: str | None = None
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        """Return the number of triples read from all files."""
        return sum(f.triples for f in self.files)


class CountingReader:
    """A binary reader that counts the bytes read from the underlying file."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None] | None = None) -> None:
        self.raw = raw
        self.count = 0
        self.on_read = on_read

    def read(self, size: int = -1) -> bytes:
        """Read and count."""
        data = self.raw.read(size)
        self.count += len(data)
        if self.on_read is not None:
            self.on_read(self.count)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into a buffer and count."""
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        if self.on_read is not None:
            self.on_read(self.count)
        return n or 0

    def readable(self) -> bool:
        """Report that this is readable."""
        return True

    def close(self) -> None:
        """Close the underlying file."""
        self.raw.close()


def detect_format(path: Path, name: str | None = None) -> tuple[Any, bool]:
    """Return (pyoxigraph format, gzip?) from `name` or the file's extensions and magic bytes."""
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if name:
        key = FORMAT_NAMES.get(name.lower())
        if key is None:
            raise ImportFailed(f"unknown format {name!r}; expected one of "
                               f"{', '.join(sorted(FORMAT_NAMES))}")
        return FORMATS[key], gzipped
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]], gzipped
    raise ImportFailed(f"{path}: cannot tell the format from the name; use --format "
                       f"({', '.join(sorted(FORMAT_NAMES))})")


def default_graph_for(path: Path, base: str = DEFAULT_BASE) -> str:
    """Return the graph a file is imported into by default: <base>graph/import/<name>."""
    name = path.name
    for suffix in reversed(path.suffixes):
        if suffix.lower() in (".gz", *FORMATS):
            name = name[: -len(suffix)]
        else:
            break
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "data"
    return graph_iri(f"import/{slug}", base)


def build_graphs(base: str = DEFAULT_BASE) -> set[str]:
    """Return the IRIs of the graphs a build owns (an import may not replace them)."""
    return {graph_iri(name, base) for name in GRAPH_NAMES}


# -- the import ----------------------------------------------------------------------------------
def import_files(paths: list[Path], store_path: Path, *, graph: str | None = None,
                 base: str = DEFAULT_BASE, fmt: str | None = None,
                 built: BuiltDataset | None = None, progress: Progress | None = None,
                 batch: int = BATCH_QUADS,
                 on_wait: Callable[[str], None] | None = None) -> ImportReport:
    """Import files into a new version of the store and swap it in; on any error, nothing moves.

    When `built` is given its named graphs are (re)loaded too and its content hash recorded, so
    the store can be served on its own. Imports into one store run one at a time: `on_wait` is
    told the process id of the import this one waits for.
    """
    started = time.perf_counter()
    progress = progress or Progress(enabled=False)
    owned = build_graphs(base)
    plans: list[tuple[Path, str, Any, bool]] = []
    for path in paths:
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
        target = graph or default_graph_for(path, base)
        if target in owned:
            raise ImportFailed(f"{target} belongs to the build; import into another graph")
        rdf_format, gzipped = detect_format(path, fmt)
        plans.append((path, target, rdf_format, gzipped))

    store_path = store_path.absolute()
    store_path.parent.mkdir(parents=True, exist_ok=True)
    versions = versions_dir(store_path)
    versions.mkdir(parents=True, exist_ok=True)
    with exclusive(versions / IMPORT_LOCK, on_wait):
        report = _import_locked(plans, store_path, versions, built, progress, batch)
    report.seconds = time.perf_counter() - started
    return report


def _import_locked(plans: list[tuple[Path, str, Any, bool]], store_path: Path, versions: Path,
                   built: BuiltDataset | None, progress: Progress, batch: int) -> ImportReport:
    """The import proper, under the store's import lock: branch from the current version,
    write, swap the link, prune."""
    if store_path.exists() and not store_path.is_symlink():
        adopt_plain_dir(store_path)
    old = current_version(store_path)
    label = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    pending = versions / pending_name(label)
    store: Any = None
    writer: _Writer | None = None
    try:
        if old is not None:
            ox.Store.read_only(str(old)).backup(str(pending))
        store = ox.Store(str(pending))
        report = ImportReport(store_path, versions / label)
        writer = _Writer(store, batch)
        for path, target, rdf_format, gzipped in plans:
            report.files.append(_import_one(writer, path, target, rdf_format, gzipped, progress))
        if built is not None:
            _load_build(writer, built)
            report.build_hash = built.content_hash
        elif old is not None:
            report.build_hash = read_info(old).get("build_hash")
        store.flush()
        report.graphs = graph_counts(store)
        info = read_info(old)
        imports = {k: v for k, v in info.get("imports", {}).items() if k in report.graphs}
        for item in report.files:
            imports[item.graph] = {"file": str(item.path), "triples": item.triples,
                                   "imported": time.strftime("%Y-%m-%dT%H:%M:%S")}
        writer = store = None  # close the store before its files are summed and it moves
        gc.collect()
        (pending / STORE_INFO).write_text(json.dumps({
            "build_hash": report.build_hash, "graphs": report.graphs, "imports": imports,
            "files": store_checksums(pending),
        }, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(pending, report.version)
    except BaseException as exc:
        progress.finish()
        # The store closes when the last reference goes: the traceback's frames hold some.
        writer = store = None
        traceback.clear_frames(exc.__traceback__)
        gc.collect()
        shutil.rmtree(pending, ignore_errors=True)
        raise
    point_to(store_path, report.version)
    prune_versions(store_path, keep=[report.version] + ([old] if old else []))
    return report


class _Writer:
    """Batched writes into the pending store; a graph that existed before is cleared once."""

    def __init__(self, store: Any, batch: int) -> None:
        self.store = store
        self.batch = batch
        self.existing = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        self.replaced: set[str] = set()
        self.nodes: dict[str, Any] = {}

    def graph(self, iri: str) -> Any:
        node = self.nodes.get(iri)
        if node is None:
            node = self.nodes[iri] = ox.NamedNode(iri)
        if iri not in self.replaced:
            self.replaced.add(iri)
            if iri in self.existing:
                self.store.clear_graph(node)
            else:
                self.store.add_graph(node)
        return node

    def write(self, quads: list[Any]) -> None:
        if quads:
            self.store.bulk_extend(quads)


def _import_one(writer: _Writer, path: Path, target: str, rdf_format: Any, gzipped: bool,
                progress: Progress) -> FileReport:
    report = FileReport(path, target)
    total = path.stat().st_size
    started = time.monotonic()
    target_node = writer.graph(target)
    named: dict[str, Any] = {}
    count = 0
    raw = path.open("rb")
    counter = CountingReader(raw)
    stream: Any = gzip.GzipFile(fileobj=counter, mode="rb") if gzipped else counter  # type: ignore[call-overload]
    label = path.name
    buffer: list[Any] = []
    try:
        parser = ox.parse(input=stream, format=rdf_format, base_iri=path.absolute().as_uri())
        for quad in parser:
            graph_name = getattr(quad, "graph_name", None)
            if graph_name is None or isinstance(graph_name, ox.DefaultGraph):
                node = target_node
            else:
                key = graph_name.value if isinstance(graph_name, ox.NamedNode) else str(graph_name)
                node = named.get(key)
                if node is None:
                    if key in build_graphs() or not isinstance(graph_name, ox.NamedNode):
                        node = target_node
                    else:
                        node = named[key] = writer.graph(key)
            buffer.append(ox.Quad(quad.subject, quad.predicate, quad.object, node))
            count += 1
            if len(buffer) >= writer.batch:
                writer.write(buffer)
                buffer = []
            if not count & 0x3FFF:
                progress.update(label, counter.count, total, count, started)
        writer.write(buffer)
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "offset", None)
        where = f"{path}:{line}" + (f":{column}" if column else "") if line else str(path)
        detail = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
        raise ImportFailed(f"{where}: malformed {_format_name(rdf_format)}: {detail}; nothing "
                           f"was imported and {target} is unchanged") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImportFailed(f"{path}: cannot read ({exc}); nothing was imported") from None
    finally:
        stream.close()
        raw.close()
    progress.update(label, counter.count, total, count, started, force=True)
    progress.finish()
    report.triples = count
    report.bytes = counter.count
    report.seconds = time.monotonic() - started
    log.info("%s: %d triples into %s in %.2f s", path, count, target, report.seconds)
    return report


def _format_name(rdf_format: Any) -> str:
    return str(getattr(rdf_format, "name", rdf_format))


def _load_build(writer: _Writer, built: BuiltDataset) -> None:
    buffer: list[Any] = []
    for quad in ox.parse(path=str(built.dataset_file), format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            continue
        buffer.append(ox.Quad(quad.subject, quad.predicate, quad.object,
                              writer.graph(quad.graph_name.value)))
        if len(buffer) >= writer.batch:
            writer.write(buffer)
            buffer = []
    writer.write(buffer)
    # A graph an older build had and this one has not (say, explanations turned off) goes.
    for iri in sorted((writer.existing & build_graphs()) - writer.replaced):
        writer.store.remove_graph(ox.NamedNode(iri))


def graph_counts(store: Any) -> dict[str, int]:
    """Return the triple count of every named graph in a store."""
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {str(row["g"].value): int(row["n"].value) for row in result}
    for g in store.named_graphs():
        if isinstance(g, ox.NamedNode):
            counts.setdefault(g.value, 0)
    return dict(sorted(counts.items()))



"""Deterministic dumps of a build: N-Quads, TriG, Turtle, N-Triples (gzip), JSON-LD, the ontology
(Turtle and RDF/XML), KGX and SSSOM, each with its SHA-256 in `SHA256SUMS`.

Determinism: every file is written by this module's own serializers (rdflib's TriG and RDF/XML
output order depends on the hash seed), subjects, predicates and objects are sorted, blank nodes
carry canonical labels (`formats.nquads.canonical`, as in the build) and gzip headers have mtime 0
and no file name. The same build therefore gives byte-identical files.

Which graphs: `alskg.nq`, `alskg.trig` and `alskg.jsonld` hold every named graph of the build
(ontology, asserted, inferred, explanations, meta); `alskg.ttl` and `alskg.nt.gz` hold the union
of ontology, asserted and inferred, which is the SPARQL endpoint's default graph; the ontology
files hold graph/ontology alone.

Every file is written to a temporary name in the target folder and moved into place with
os.replace, so an error (a full disk, say) never leaves a partial file under a published name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from ..assembly.store import BuiltDataset, file_sha256
from ..curation.namespaces import DEFAULT_BASE, GRAPH_NAMES, graph_iri
from ..errors import WriteFailed
from ..formats.nquads import canonical, read_quads
from ..formats.rdf import (
    context_document,
    serialization_prefixes,
    to_jsonld,
    to_ntriples,
    to_rdfxml,
    to_trig,
    to_turtle,
)

Triple = tuple[Node, Node, Node]

UNION_GRAPHS = ("ontology", "asserted", "inferred")
CHECKSUM_FILE = "SHA256SUMS"
CONTEXT_FILE = "context.jsonld"
DOWNLOADS_DIR = "downloads"

def gzip_bytes(data: bytes) -> bytes:
    """Gzip data deterministically (mtime 0, no file name in the header)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9,
                       mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


# -- the build as graphs --------------------------------------------------------------------------


@dataclass
class BuildGraphs:
    """The named graphs of a build, parsed once, with canonical blank nodes."""

    graphs: dict[str, Graph]
    nquads: bytes
    version: str
    base: str = DEFAULT_BASE

    def graph(self, name: str) -> Graph:
        """Return a named graph (empty when the build has none of that name)."""
        return self.graphs.get(name, Graph())

    def named(self) -> list[tuple[str, Graph]]:
        """Return (graph IRI, graph) pairs for the graphs present, sorted by IRI."""
        pairs = [(graph_iri(name, self.base), graph) for name, graph in self.graphs.items()]
        return sorted(pairs, key=lambda pair: pair[0])

    def union(self) -> Graph:
        """Return the union of ontology, asserted and inferred (the default graph)."""
        merged = Graph()
        for name in UNION_GRAPHS:
            for triple in self.graph(name):
                merged.add(triple)
        return canonical(merged)


def load_build(built: BuiltDataset) -> BuildGraphs:
    """Parse a build's N-Quads into canonical named graphs (found by their `graph/<name>` IRI)."""
    data = built.dataset_file.read_bytes()
    graphs: dict[str, Graph] = {}
    base = DEFAULT_BASE
    for subject, predicate, obj, graph_name in read_quads(data):
        root, _, name = (graph_name or "").rpartition("graph/")
        if name not in GRAPH_NAMES:
            continue
        graph = graphs.get(name)
        if graph is None:
            graph = graphs[name] = Graph()
            base = root
        graph.add((subject, predicate, obj))
    graphs = {name: canonical(graph) for name, graph in graphs.items()}
    return BuildGraphs(dict(sorted(graphs.items())), data, built.package_version, base)


# -- dump files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DumpFile:
    """One published file: its name, media type, what it holds and the format key it belongs to."""

    name: str
    media_type: str
    title: str
    format_key: str


DUMP_FILES = (
    DumpFile("alskg.nq", "application/n-quads", "Whole dataset, every named graph (N-Quads)",
             "nq"),
    DumpFile("alskg.trig", "application/trig", "Whole dataset, every named graph (TriG)", "trig"),
    DumpFile("alskg.ttl", "text/turtle",
             "Union of ontology, asserted and inferred triples (Turtle)", "ttl"),
    DumpFile("alskg.nt.gz", "application/gzip",
             "Union of ontology, asserted and inferred triples (N-Triples, gzip)", "nt"),
    DumpFile("alskg.jsonld", "application/ld+json",
             "Whole dataset, every named graph (JSON-LD, context inline)", "jsonld"),
    DumpFile(CONTEXT_FILE, "application/ld+json", "The JSON-LD @context", "jsonld"),
    DumpFile("alskg-ontology.ttl", "text/turtle", "The ontology alone (Turtle)", "owl"),
    DumpFile("alskg-ontology.owl", "application/rdf+xml", "The ontology alone (RDF/XML)", "owl"),
    DumpFile("nodes.tsv", "text/tab-separated-values", "Biolink KGX nodes", "kgx"),
    DumpFile("edges.tsv", "text/tab-separated-values", "Biolink KGX edges", "kgx"),
    DumpFile("mappings.sssom.tsv", "text/tab-separated-values",
             "SSSOM mappings to external identifiers", "sssom"),
)
FORMAT_KEYS = ("ttl", "nt", "nq", "trig", "jsonld", "owl", "kgx", "sssom")


def dump_file(name: str) -> DumpFile | None:
    """Return the published file called `name` (None if there is none)."""
    for entry in DUMP_FILES:
        if entry.name == name:
            return entry
    return None


def render(key: str, build: BuildGraphs) -> dict[str, bytes]:
    """Return the files of one format key as {file name: bytes}."""
    table = serialization_prefixes(build.base)
    if key == "nq":
        return {"alskg.nq": build.nquads}
    if key == "trig":
        return {"alskg.trig": to_trig(build.named(), table)}
    if key == "ttl":
        return {"alskg.ttl": to_turtle(build.union(), table)}
    if key == "nt":
        return {"alskg.nt.gz": gzip_bytes(to_ntriples(build.union()))}
    if key == "jsonld":
        named: list[tuple[str | None, Graph]] = list(build.named())
        return {"alskg.jsonld": to_jsonld(named, build.base),
                CONTEXT_FILE: context_document(build.base)}
    if key == "owl":
        ontology = build.graph("ontology")
        return {"alskg-ontology.ttl": to_turtle(ontology, table),
                "alskg-ontology.owl": to_rdfxml(ontology, table)}
    if key == "kgx":
        from .kgx import kgx_tables

        nodes, edges = kgx_tables(build.graphs, build.base)
        return {"nodes.tsv": nodes, "edges.tsv": edges}
    if key == "sssom":
        from .sssom import sssom_table

        return {"mappings.sssom.tsv": sssom_table(build.graphs, build.version, build.base)}
    raise ValueError(f"unknown export format {key!r}; use one of {', '.join(FORMAT_KEYS)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside `path`, fsync it, then rename it into place."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise WriteFailed(exc.errno, f"{path}: {exc.strerror or exc}") from None
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def checksums_text(folder: Path) -> str:
    """Return `sha256sum`-style lines for every published file present in `folder`."""
    lines = [f"{file_sha256(folder / entry.name)}  {entry.name}\n"
             for entry in sorted(DUMP_FILES, key=lambda e: e.name)
             if (folder / entry.name).is_file()]
    return "".join(lines)


def read_checksums(folder: Path) -> dict[str, str]:
    """Return {file name: sha256} from the folder's SHA256SUMS (empty if absent)."""
    path = folder / CHECKSUM_FILE
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if digest and name:
            found[name] = digest
    return found


@dataclass(frozen=True)
class Exported:
    """A file written by an export: its path, size and SHA-256."""

    path: Path
    size: int
    sha256: str


def export(built: BuiltDataset, out: Path, formats: Sequence[str] = FORMAT_KEYS,
           progress: Callable[[Exported], None] | None = None) -> list[Exported]:
    """Write the dumps of `formats` into `out`, then SHA256SUMS; return what was written."""
    unknown = [key for key in formats if key not in FORMAT_KEYS]
    if unknown:
        raise ValueError(f"unknown export format(s) {', '.join(unknown)}; "
                         f"use {', '.join(FORMAT_KEYS)}")
    out.mkdir(parents=True, exist_ok=True)
    build = load_build(built)
    written: list[Exported] = []
    for key in dict.fromkeys(formats):
        for name, data in render(key, build).items():
            path = out / name
            write_atomic(path, data)
            item = Exported(path, len(data), hashlib.sha256(data).hexdigest())
            written.append(item)
            if progress:
                progress(item)
    write_atomic(out / CHECKSUM_FILE, checksums_text(out).encode("utf-8"))
    return written


def ensure_downloads(built: BuiltDataset) -> Path:
    """Return the build's downloads folder, writing every dump first if it is not complete.

    A lock file serialises concurrent server processes; the checksum file is written last, so its
    presence (listing every dump) marks a complete folder.
    """
    folder = built.path / DOWNLOADS_DIR
    if _complete(folder):
        return folder
    try:
        folder.mkdir(exist_ok=True)
        lock_path = folder / ".lock"
        lock = lock_path.open("w")
    except OSError:
        folder = Path(tempfile.gettempdir()) / f"alskg-downloads-{built.content_hash[:16]}"
        folder.mkdir(exist_ok=True)
        lock = (folder / ".lock").open("w")
    with lock:
        _flock(lock)
        if not _complete(folder):
            export(built, folder, FORMAT_KEYS)
    return folder


def _complete(folder: Path) -> bool:
    sums = read_checksums(folder)
    return all(entry.name in sums for entry in DUMP_FILES)


def _flock(handle: io.TextIOWrapper) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

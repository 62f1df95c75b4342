"""Deterministic dumps of a build: N-Quads, TriG, Turtle, N-Triples (gzip), JSON-LD, the ontology
(Turtle and RDF/XML), KGX and SSSOM, each with its SHA-256 in `SHA256SUMS`.

Determinism: every file is written by this module's own serializers (rdflib's TriG and RDF/XML
output order depends on the hash seed), subjects, predicates and objects are sorted, blank nodes
carry canonical labels (`alskg.nquads.canonical`, as in the build) and gzip headers have mtime 0
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
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..build.store import BuiltDataset, file_sha256
from ..curation.namespaces import DEFAULT_BASE, GRAPH_NAMES, SD, graph_iri, prefixes
from ..errors import WriteFailed
from ..formats.nquads import canonical, ntriple_lines

Triple = tuple[Node, Node, Node]

UNION_GRAPHS = ("ontology", "asserted", "inferred")
CHECKSUM_FILE = "SHA256SUMS"
CONTEXT_FILE = "context.jsonld"
DOWNLOADS_DIR = "downloads"

_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_PREFIX_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


# -- prefixes -------------------------------------------------------------------------------------


def serialization_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Return the prefixes written into Turtle, TriG, RDF/XML and the JSON-LD context."""
    table = prefixes(base)
    table.update({
        "alskg": base,
        "sd": str(SD),
        "spdx": "http://spdx.org/rdf/terms#",
        "formats": "http://www.w3.org/ns/formats/",
    })
    return dict(sorted(table.items()))


def jsonld_context(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Return the JSON-LD @context: the prefixes whose namespace ends in '/' or '#'.

    JSON-LD 1.1 only uses a term as a prefix when its IRI ends with a general delimiter, so the
    OBO prefixes ending in '_' (MONDO, HP, ...) are left out; `obo:` covers them.
    """
    return {name: iri for name, iri in serialization_prefixes(base).items()
            if iri.endswith(("/", "#"))}


def context_document(base: str = DEFAULT_BASE) -> bytes:
    """Return the published context document (`context.jsonld`) as bytes."""
    return (json.dumps({"@context": jsonld_context(base)}, indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


class Names:
    """Abbreviates IRIs with a prefix table (longest namespace first) for one serialization."""

    def __init__(self, table: dict[str, str], local: re.Pattern[str] = _PN_LOCAL) -> None:
        """Index the prefix table; `local` is the pattern a local part must match."""
        self.table = table
        self.local = local
        self.ordered = sorted(((iri, name) for name, iri in table.items()),
                              key=lambda item: (-len(item[0]), item[1]))
        self.used: set[str] = set()

    def compact(self, iri: str) -> str | None:
        """Return `prefix:local` for an IRI, or None when no prefix gives a valid local part."""
        for namespace, name in self.ordered:
            if iri.startswith(namespace):
                local = iri[len(namespace):]
                if local and self.local.match(local) and not local.startswith("//"):
                    self.used.add(name)
                    return f"{name}:{local}"
        return None

    def declarations(self) -> list[tuple[str, str]]:
        """Return the (prefix, namespace) pairs used so far, sorted by prefix."""
        return sorted((name, self.table[name]) for name in self.used)


# -- terms ----------------------------------------------------------------------------------------


def term_key(term: Node) -> tuple[int, str]:
    """Return a total sort key for terms: IRIs, then blank nodes, then literals."""
    if isinstance(term, URIRef):
        return (0, str(term))
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, Literal):
        return (2, f"{term}\x00{term.language or ''}\x00{term.datatype or ''}")
    return (3, str(term))


def _escape_string(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _is_plain(literal: Literal) -> bool:
    return literal.language is None and literal.datatype in (None, XSD.string)


def turtle_term(term: Node, names: Names) -> str:
    """Return a term in Turtle syntax, abbreviating IRIs and datatypes with `names`."""
    if isinstance(term, URIRef):
        return names.compact(str(term)) or f"<{_iri_escape(str(term))}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        if _is_plain(term):
            return text
        return f"{text}^^{turtle_term(URIRef(str(term.datatype)), names)}"
    raise TypeError(f"not an RDF term: {term!r}")


def _iri_escape(iri: str) -> str:
    return "".join(f"\\u{ord(c):04X}" if c in '<>"{}|^`\\' or ord(c) <= 0x20 else c for c in iri)


# -- serializers ----------------------------------------------------------------------------------


def _grouped(triples: Iterable[Triple]) -> list[tuple[Node, list[tuple[Node, list[Node]]]]]:
    subjects: dict[Node, dict[Node, set[Node]]] = {}
    for s, p, o in triples:
        subjects.setdefault(s, {}).setdefault(p, set()).add(o)
    out = []
    for s in sorted(subjects, key=term_key):
        preds = sorted(subjects[s], key=lambda p: (p != RDF.type, term_key(p)))
        out.append((s, [(p, sorted(subjects[s][p], key=term_key)) for p in preds]))
    return out


def _turtle_block(triples: Iterable[Triple], names: Names, indent: str = "") -> list[str]:
    lines: list[str] = []
    for s, preds in _grouped(triples):
        lines.append(indent + turtle_term(s, names))
        for index, (p, objects) in enumerate(preds):
            verb = "a" if p == RDF.type else turtle_term(p, names)
            end = " ." if index == len(preds) - 1 else " ;"
            values = " , ".join(turtle_term(o, names) for o in objects)
            lines.append(f"{indent}    {verb} {values}{end}")
        lines.append("")
    return lines


def _prefix_lines(names: Names) -> list[str]:
    return [f"@prefix {name}: <{iri}> ." for name, iri in names.declarations()]


def to_turtle(triples: Iterable[Triple], table: dict[str, str] | None = None) -> bytes:
    """Serialize triples as Turtle: sorted subjects, one predicate per line, used prefixes."""
    names = Names(table or serialization_prefixes())
    body = _turtle_block(triples, names)
    head = _prefix_lines(names)
    return ("\n".join(head + [""] + body)).encode("utf-8")


def to_trig(graphs: Sequence[tuple[str, Iterable[Triple]]],
            table: dict[str, str] | None = None) -> bytes:
    """Serialize named graphs as TriG, one `<graph> { ... }` block per graph in the given order."""
    names = Names(table or serialization_prefixes())
    body: list[str] = []
    for name, triples in graphs:
        block = _turtle_block(triples, names, indent="    ")
        if not block:
            continue
        body.append(f"{turtle_term(URIRef(name), names)} {{")
        body.extend(block[:-1])
        body.append("}")
        body.append("")
    head = _prefix_lines(names)
    return ("\n".join(head + [""] + body)).encode("utf-8")


def to_ntriples(triples: Iterable[Triple]) -> bytes:
    """Serialize triples as sorted N-Triples (blank nodes must already be canonical)."""
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return "".join(ntriple_lines(graph)).encode("utf-8")


def to_rdfxml(triples: Iterable[Triple], table: dict[str, str] | None = None) -> bytes:
    """Serialize triples as flat RDF/XML: one rdf:Description per subject, sorted."""
    table = dict(table or serialization_prefixes())
    grouped = _grouped(triples)
    names = Names(table, local=_NCNAME)
    qnames: dict[Node, str] = {}
    extra: dict[str, str] = {}
    for _, preds in grouped:
        for p, _ in preds:
            if p in qnames:
                continue
            qname = names.compact(str(p))
            if qname is None or not _PREFIX_NAME.match(qname.split(":", 1)[0]):
                qname = _split_qname(str(p), table, extra)
            qnames[p] = qname
    names.used.add("rdf")
    declarations = dict(names.declarations())
    declarations.update(extra)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    lines.extend(f"   xmlns:{name}={quoteattr(iri)}" for name, iri in sorted(declarations.items()))
    lines[-1] += ">"
    for s, preds in grouped:
        if isinstance(s, BNode):
            lines.append(f"  <rdf:Description rdf:nodeID={quoteattr(str(s))}>")
        else:
            lines.append(f"  <rdf:Description rdf:about={quoteattr(str(s))}>")
        for p, objects in preds:
            qname = qnames[p]
            for o in objects:
                lines.append("    " + _xml_property(qname, o))
        lines.append("  </rdf:Description>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _split_qname(iri: str, table: dict[str, str], extra: dict[str, str]) -> str:
    for index in range(len(iri) - 1, 0, -1):
        if iri[index] in "#/" and _NCNAME.match(iri[index + 1:]):
            namespace, local = iri[:index + 1], iri[index + 1:]
            for name, known in list(table.items()) + list(extra.items()):
                if known == namespace and _PREFIX_NAME.match(name):
                    extra[name] = namespace
                    return f"{name}:{local}"
            name = f"ns{len(extra) + 1}"
            extra[name] = namespace
            return f"{name}:{local}"
    raise ValueError(f"cannot write predicate {iri} in RDF/XML (no XML name for its local part)")


def _xml_text(text: str) -> str:
    return xml_escape(text).replace("\r", "&#13;")


def _xml_property(qname: str, term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{qname} rdf:resource={quoteattr(str(term))}/>"
    if isinstance(term, BNode):
        return f"<{qname} rdf:nodeID={quoteattr(str(term))}/>"
    assert isinstance(term, Literal)
    attributes = ""
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
    elif not _is_plain(term):
        attributes = f" rdf:datatype={quoteattr(str(term.datatype))}"
    return f"<{qname}{attributes}>{_xml_text(str(term))}</{qname}>"


def jsonld_nodes(triples: Iterable[Triple], names: Names) -> list[dict[str, object]]:
    """Return flattened JSON-LD node objects for triples, compacted with `names`, sorted."""
    def ref(term: Node) -> str:
        if isinstance(term, BNode):
            return f"_:{term}"
        return names.compact(str(term)) or str(term)

    nodes: list[dict[str, object]] = []
    for s, preds in _grouped(triples):
        node: dict[str, object] = {"@id": ref(s)}
        for p, objects in preds:
            if p == RDF.type and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [ref(o) for o in objects]
                continue
            values: list[dict[str, str]] = []
            for o in objects:
                if isinstance(o, Literal):
                    value = {"@value": str(o)}
                    if o.language:
                        value["@language"] = o.language
                    elif not _is_plain(o):
                        value["@type"] = ref(URIRef(str(o.datatype)))
                    values.append(value)
                else:
                    values.append({"@id": ref(o)})
            node[ref(p)] = values
        nodes.append(node)
    return nodes


def to_jsonld(graphs: Sequence[tuple[str | None, Iterable[Triple]]],
              base: str = DEFAULT_BASE) -> bytes:
    """Serialize graphs as JSON-LD with the context inline (None names the default graph)."""
    context = jsonld_context(base)
    names = Names(context)
    top: list[dict[str, object]] = []
    for name, triples in graphs:
        nodes = jsonld_nodes(triples, names)
        if name is None:
            top.extend(nodes)
        elif nodes:
            top.append({"@id": names.compact(name) or name, "@graph": nodes})
    document = {"@context": context, "@graph": top}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


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
    dataset = Dataset()
    dataset.parse(data=data, format="nquads")
    graphs: dict[str, Graph] = {}
    base = DEFAULT_BASE
    for graph in dataset.graphs():
        iri = str(graph.identifier)
        root, _, name = iri.rpartition("graph/")
        if name in GRAPH_NAMES and len(graph):
            base = root
            plain = Graph()
            for triple in graph:
                plain.add(triple)
            graphs[name] = canonical(plain)
    return BuildGraphs(dict(sorted(graphs.items())), data, built.version, base)


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

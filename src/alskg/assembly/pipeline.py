"""Build the dataset: parse sources, validate, reason, add meta, write an atomic build."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Dataset, Graph, URIRef

from .. import __version__
from ..curation.namespaces import graph_iri
from ..errors import ValidationFailed, WriteFailed
from ..formats.nquads import canonical, content_hash, nquad_lines
from . import meta
from .store import (
    DATASET_FILE,
    DERIVATION_FILE,
    RECEIPT_FILE,
    SEARCH_FILE,
    BuildWriter,
    BuiltDataset,
    default_cache_dir,
    default_root,
    file_sha256,
    open_build,
)

if TYPE_CHECKING:  # parsing, validation and reasoning are imported when a build runs: opening
    # the current build (the server's start-up) needs none of them
    from ..curation.sources import Sources
    from ..reasoning.derivations import Derivations

PACKAGES = ("rdflib", "owlrl", "pyshacl", "pyoxigraph", "flask")
# Up to this many inferences the explanations are also rendered as RDF into graph/explanations
# (about 14 triples each, for SPARQL); every build writes them to its derivation file.
EXPLANATIONS_GRAPH_MAX = 50_000


@dataclass
class BuildOptions:
    """What a build does: where sources come from, whether it validates and reasons.

    `cache_dir` keeps registry answers and parsed rules for every build root of the machine
    (None: nothing kept); they are keyed by library versions and file hashes, never by a root.
    """

    root: Path = field(default_factory=default_root)
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    ontology_dir: Path | None = None
    data_dir: Path | None = None
    validate: bool = True
    reason: bool = True
    reasoner: str = "rules"
    explanations_graph_max: int = EXPLANATIONS_GRAPH_MAX


@dataclass
class AssembledDataset:
    """The named graphs of a build before they are written, with reasoning figures."""

    graphs: dict[str, Graph]
    reasoning: dict[str, Any]
    sources: Sources
    derivations: Derivations | None = None

    def dataset(self) -> Dataset:
        """Return an rdflib Dataset holding every named graph."""
        dataset = Dataset()
        for name, graph in self.graphs.items():
            target = dataset.graph(URIRef(graph_iri(name)))
            for triple in graph:
                target.add(triple)
        return dataset


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages a build depends on."""
    found = {"alskg": __version__}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def assemble(options: BuildOptions) -> AssembledDataset:
    """Parse, validate and reason; return the named graphs (nothing is written). Validation
    and reasoning run side by side where the process can fork (assembly/checking.py)."""
    from ..curation.sources import load_sources
    from .checking import Validation

    sources = load_sources(options.ontology_dir, options.data_dir)
    # Validation runs beside reasoning (a forked child, see checking.py); its verdict is awaited
    # before anything is returned, so failing sources never reach a file.
    validation = Validation(sources, options.cache_dir) if options.validate else None
    try:
        graphs: dict[str, Graph] = {"ontology": sources.ontology, "asserted": sources.asserted}
        reasoning: dict[str, Any] = {"mode": "none"}
        derivations = None
        if options.reason:
            from ..reasoning import reason

            result = reason(sources.ontology, sources.asserted, mode=options.reasoner,
                            cache_dir=options.cache_dir)
            graphs["inferred"] = result.inferred
            derivations = result.derivations
            count = len(derivations) if derivations is not None else 0
            in_graph = count <= options.explanations_graph_max
            if in_graph:
                graphs["explanations"] = result.explanations
            reasoning = {
                "mode": options.reasoner,
                "seconds": round(result.seconds, 3),
                "inferred_triples": len(result.inferred_triples),
                "noise_filtered": dict(sorted(result.noise_counts.items())),
                "by_rule": dict(sorted(result.counts_by_rule.items())),
                "derivations": count,
                "explanations_graph": in_graph,
            }
        graphs = {name: canonical(graph) for name, graph in graphs.items()}
        graphs["meta"] = canonical(meta.build_meta(graphs, sources, __version__))
    except BaseException:
        if validation is not None:
            validation.cancel()
        raise
    problems = validation.problems() if validation is not None else []
    if problems:
        raise ValidationFailed([str(p) for p in problems])
    return AssembledDataset(graphs, reasoning, sources, derivations)


def build(options: BuildOptions) -> BuiltDataset:
    """Run a full build and commit it atomically; the previous build stays on any error."""
    started = time.perf_counter()
    assembled = assemble(options)
    lines = nquad_lines(((graph_iri(name), graph) for name, graph in
                         sorted(assembled.graphs.items())), relabel=False)
    with writing(options.root / "builds", options.root):
        writer = BuildWriter(options.root)
    try:
        with writing(writer.pending(DATASET_FILE), options.root):
            dataset_path = writer.write_lines(DATASET_FILE, lines)
        derivation_file = None
        if assembled.derivations is not None:
            path = writer.pending(DERIVATION_FILE)
            with writing(path, options.root):
                assembled.derivations.write(path)
            derivation_file = {"name": DERIVATION_FILE, "bytes": path.stat().st_size,
                               "sha256": file_sha256(path)}
        with writing(writer.pending(SEARCH_FILE), options.root):
            search_file = write_search_file(writer.pending(SEARCH_FILE), assembled.graphs)
        digest = content_hash(lines)
        receipt = {
            "version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "content_hash": digest,
            "dataset_file": DATASET_FILE,
            "dataset_bytes": dataset_path.stat().st_size,
            "derivation_file": derivation_file,
            "search_file": search_file,
            "inputs": assembled.sources.checksums(),
            "packages": package_versions(),
            "graphs": {graph_iri(n): len(g) for n, g in sorted(assembled.graphs.items())},
            "triples": sum(len(g) for g in assembled.graphs.values()),
            "validated": options.validate,
            "reasoning": assembled.reasoning,
            "seconds": round(time.perf_counter() - started, 3),
        }
        with writing(writer.pending(RECEIPT_FILE), options.root):
            writer.write_text(RECEIPT_FILE, json.dumps(receipt, indent=2, sort_keys=True) + "\n")
        created = str(receipt["created"])
        with writing(options.root / "current", options.root):
            return writer.commit(f"{created.replace(':', '')[:17]}-{digest[:12]}")
    except BaseException:
        writer.abandon()
        raise


def write_search_file(path: Path, graphs: dict[str, Graph]) -> dict[str, Any]:
    """Write the build's search index; return its receipt entry (name, size, SHA-256, …)."""
    from ..curation.namespaces import DEFAULT_BASE
    from ..search.documents import documents
    from ..search.index_file import write_index

    started = time.perf_counter()
    count = write_index(path, documents(graphs, DEFAULT_BASE), DEFAULT_BASE)
    return {"name": SEARCH_FILE, "bytes": path.stat().st_size, "sha256": file_sha256(path),
            "documents": count, "sqlite": sqlite3.sqlite_version,
            "seconds": round(time.perf_counter() - started, 3)}


@contextmanager
def writing(path: Path, root: Path) -> Iterator[None]:
    """Turn a failed write (a full disk, a read-only or missing folder; SQLite's own 'database
    or disk is full') into WriteFailed: one line naming the file and the cause, and that the
    current build is unchanged (BuildWriter's pending folder is removed by the caller)."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, WriteFailed):
            raise
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = exc.filename if isinstance(exc, OSError) and exc.filename else path
        raise WriteFailed(f"{where}: {reason}; nothing was published, the current build in "
                          f"{root} is unchanged") from None


def ensure_build(root: Path | None = None,
                 notify: Callable[[str], None] | None = None) -> BuiltDataset:
    """Open the current build, building it first when there is none.

    A build that exists but is corrupt is an error naming the file (BuildCorrupt), never
    silently rebuilt."""
    root = root or default_root()
    if os.path.lexists(root / "current"):
        return open_build(root)
    if notify is not None:
        notify(f"no build in {root}; building first…")
    return build(BuildOptions(root=root))

"""Turn the data folder's curation records (interventions, studies, regulatory acts) into RDF.

Files are read in dependency order (interventions, then studies, then regulatory acts, which name
studies as their basis); references are checked against everything the Turtle sources and earlier
records define. A file's top-level `defaults` mapping gives values records may omit (`curated`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from ..namespaces import ALS, DEFAULT_BASE
from .fields import RecordProblem, RecordWriter
from .interventions import write_intervention
from .regulatory import write_event
from .studies import write_study
from .yaml_source import Block, read_yaml

# File name → the list key it holds and the record kind, in the order files are read.
RECORD_FILES = (("interventions.yaml", "interventions"), ("studies.yaml", "studies"),
                ("regulatory.yaml", "regulatory"))
ACTION_SCHEME = URIRef(DEFAULT_BASE + "id/regulatory-action/scheme")


@dataclass
class Records:
    """The RDF of every curation record, the problems found, and the line of each subject."""

    graph: Graph = field(default_factory=Graph)
    problems: list[RecordProblem] = field(default_factory=list)
    subject_lines: dict[Node, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def record_files(data_dir: Path) -> list[Path]:
    """Return the curation record files present in a data folder, in reading order."""
    return [data_dir / name for name, _ in RECORD_FILES if (data_dir / name).is_file()]


def load_records(data_dir: Path, context: Graph, shown: Mapping[Path, str],
                 into: Graph | None = None) -> Records:
    """Read the record files of `data_dir`; `context` is the ontology and the Turtle data.

    The records' triples are added to `into` when given (the asserted graph), so that they are
    written once, not copied.
    """
    records = Records(graph=into if into is not None else Graph())
    known = {s for s in context.subjects(RDF.type, None) if isinstance(s, URIRef)}
    actions = _actions(context)
    for name, kind in RECORD_FILES:
        path = data_dir / name
        if not path.is_file():
            continue
        shown_as = shown.get(path, str(path))
        writer = RecordWriter(shown_as, graph=records.graph)
        document = read_yaml(path, shown_as) or {}
        if not isinstance(document, Mapping):
            writer.problem(1, shown_as, "record-file", f"expected a mapping with a `{kind}` list")
        else:
            defaults = document.get("defaults") or {}
            blocks = document.get(kind) or []
            for other in document:
                if other not in (kind, "defaults"):
                    writer.problem(getattr(document, "line", 1), shown_as, "record-file",
                                   f"unexpected top-level key {other!r}; {name} holds `{kind}`")
            _write_all(writer, kind, blocks, known, actions, (context,), defaults)
        _check_unique_ids(writer, kind, document)
        records.problems.extend(writer.problems)
        for subject, where in writer.subject_lines.items():
            records.subject_lines.setdefault(subject, where)
        known |= {s for s in writer.subject_lines if isinstance(s, URIRef)}
        records.files.append(path)
    return records


def _write_all(writer: RecordWriter, kind: str, blocks: object, known: set[URIRef],
               actions: Mapping[str, URIRef | None], labels: tuple[Graph, ...],
               defaults: Mapping[str, object]) -> None:
    if not isinstance(blocks, list):
        writer.problem(1, writer.shown_as, "record-file", f"`{kind}` must be a list of records")
        return
    ids = {str(b.get("id")) for b in blocks if isinstance(b, Block)}
    if kind == "interventions":  # a record may name a broader one written further down
        known |= {URIRef(f"{DEFAULT_BASE}id/intervention/{s}") for s in ids}
    if kind == "studies":
        known |= {URIRef(f"{DEFAULT_BASE}id/study/{s}") for s in ids}
        known |= {URIRef(f"{DEFAULT_BASE}id/publication/{p}") for p in _inline_publications(blocks)}

    def label_of(node: Node) -> str:
        """Name a resource: an agency by its abbreviation (FDA), anything else by its label."""
        short = "/id/agency/" in str(node)
        for prop in ((SKOS.altLabel, RDFS.label) if short else (RDFS.label,)):
            for graph in (writer.graph, *labels):
                for value in sorted(graph.objects(node, prop), key=str):
                    if prop == RDFS.label or len(str(value)) <= 8:
                        return str(value)
        return str(node).rsplit("/", 1)[-1]

    def issued_year(publication: URIRef) -> int | None:
        """Return the year a publication of the Turtle files was issued, if it says."""
        for value in labels[0].objects(publication, DCTERMS.issued):
            text = str(value)
            if text[:4].isdigit():
                return int(text[:4])
        return None

    def curated(study: URIRef, aspect: URIRef) -> bool:
        return any((claim, ALS.aspect, aspect) in labels[0]
                   for claim in labels[0].subjects(ALS.supportedByStudy, study)
                   if (claim, RDF.type, ALS.StudyFinding) in labels[0])

    for block in blocks:
        if not isinstance(block, Block):
            writer.problem(1, writer.shown_as, "record-file", f"each of `{kind}` must be a mapping")
            continue
        if kind == "interventions":
            write_intervention(writer, block, known, defaults)
        elif kind == "studies":
            write_study(writer, block, known, defaults, curated, label_of, issued_year)
        else:
            write_event(writer, block, known, actions, label_of, defaults)


def _inline_publications(blocks: list[object]) -> set[str]:
    """Return the ids of the publications given inside study records (explicit or default)."""
    found = set()
    for block in blocks:
        if not isinstance(block, Block):
            continue
        for number, publication in enumerate(block.get("publications") or [], start=1):
            if isinstance(publication, Mapping):
                default = f"{block.get('id')}-report" + ("" if number == 1 else f"-{number}")
                found.add(str(publication.get("id") or default))
    return found


def _check_unique_ids(writer: RecordWriter, kind: str, document: object) -> None:
    if not isinstance(document, Mapping) or not isinstance(document.get(kind), list):
        return
    first: dict[str, int] = {}
    for block in document[kind]:
        if not isinstance(block, Block) or "id" not in block:
            continue
        slug = str(block["id"])
        if slug in first:
            writer.problem(block.line, slug, "record-id",
                           f"id {slug!r} is also used by the record on line {first[slug]}")
        first.setdefault(slug, block.line)


def _actions(ontology: Graph) -> dict[str, URIRef | None]:
    """Return the regulatory action slugs with the actor class each needs (None: either)."""
    found: dict[str, URIRef | None] = {}
    for action in ontology.subjects(SKOS.inScheme, ACTION_SCHEME):
        kind = ontology.value(action, ALS.actorKind)
        found[str(action).rsplit("/", 1)[-1]] = kind if isinstance(kind, URIRef) else None
    return found

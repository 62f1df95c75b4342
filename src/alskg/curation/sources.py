"""Read the curated sources (ontology, shapes, data) into rdflib graphs, naming bad lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from ..assembly.store import file_sha256
from ..errors import SourceSyntaxError
from . import paths as resources
from .namespaces import ALS
from .records.fields import RecordProblem
from .records.load import load_records


@dataclass
class Sources:
    """The parsed inputs of a build, with where each subject came from.

    `ontology` is the project's TBox together with its imports; `imports` holds the imports alone
    (external terms, which the project's own shapes do not constrain).
    """

    ontology: Graph
    asserted: Graph
    shapes: Graph
    files: list[Path] = field(default_factory=list)
    subject_files: dict[Node, str] = field(default_factory=dict)
    imports: Graph = field(default_factory=Graph)
    record_problems: list[RecordProblem] = field(default_factory=list)

    def own_ontology(self) -> Graph:
        """Return the ontology without its imports (ontology/als.ttl alone)."""
        return self.ontology - self.imports if len(self.imports) else self.ontology

    def checksums(self) -> list[dict[str, str]]:
        """Return the SHA-256 of every input file, in a stable order."""
        return [{"path": input_name(p), "sha256": file_sha256(p)} for p in self.files]


def input_name(path: Path) -> str:
    """Return an input's name in the receipt: `ontology/als.ttl`, `ontology/imports/hpo.ttl`."""
    keep = 3 if path.parent.name == "imports" else 2
    return "/".join(path.parts[-keep:])


def display_path(path: Path) -> str:
    """Return a path relative to the working directory where possible, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_turtle(path: Path, into: Graph | None = None) -> Graph:
    """Parse one Turtle file; a syntax error names the file and the line."""
    graph = into if into is not None else Graph()
    try:
        graph.parse(path, format="turtle")
    except SyntaxError as exc:  # rdflib's BadSyntax subclasses SyntaxError
        line = getattr(exc, "lines", None)
        detail = getattr(exc, "_why", None) or str(exc).splitlines()[-1]
        raise SourceSyntaxError(display_path(path), (line + 1) if isinstance(line, int) else None,
                                str(detail)) from None
    return graph


def turtle_files(folder: Path) -> list[Path]:
    """Return the `.ttl` files of a folder, sorted by name."""
    return sorted(p for p in folder.glob("*.ttl") if p.is_file())


def load_sources(ontology_dir: Path | None = None, data_dir: Path | None = None) -> Sources:
    """Parse ontology/als.ttl, its imports, shapes.ttl, data/*.ttl and the data's record files.

    The imports (generated extracts of external ontologies, e.g. HPO) join the ontology graph, so
    their class hierarchy is reasoned over and queried like the project's own TBox. The curation
    records (data/*.yaml, alskg.curation.records) join the asserted graph; their problems are kept
    for validation, and each of their subjects is located by `file:line`.
    """
    ontology_dir = ontology_dir or resources.ontology_dir()
    data_dir = data_dir or resources.data_dir()
    ontology_file = ontology_dir / "als.ttl"
    shapes_file = ontology_dir / "shapes.ttl"
    ontology = parse_turtle(ontology_file)
    import_files = turtle_files(ontology_dir / "imports")
    imports = Graph()
    shapes = parse_turtle(shapes_file) if shapes_file.exists() else Graph()
    asserted = Graph()
    subject_files: dict[Node, str] = {}
    for subject in set(ontology.subjects()):
        subject_files.setdefault(subject, display_path(ontology_file))
    for path in import_files:
        part = parse_turtle(path)
        for subject in set(part.subjects()):
            subject_files.setdefault(subject, display_path(path))
        imports += part
    ontology += imports
    data_files = turtle_files(data_dir)
    for path in data_files:
        part = parse_turtle(path)
        for subject in set(part.subjects()):
            subject_files.setdefault(subject, display_path(path))
        asserted += part
    context = Graph()
    for part_graph in (ontology, asserted):
        for triple in part_graph.triples((None, RDF.type, None)):
            context.add(triple)
        for triple in part_graph.triples((None, RDFS.label, None)):
            context.add(triple)
        for triple in part_graph.triples((None, SKOS.altLabel, None)):
            context.add(triple)
        for triple in part_graph.triples((None, SKOS.inScheme, None)):
            context.add(triple)
        for predicate in (ALS.actorKind, ALS.supportedByStudy, ALS.aspect, DCTERMS.issued):
            for triple in part_graph.triples((None, predicate, None)):
                context.add(triple)
    records = load_records(data_dir, context,
                           {p: display_path(p) for p in data_dir.glob("*.yaml")}, into=asserted)
    for subject, where in records.subject_lines.items():
        subject_files.setdefault(subject, where)
    shapes_files = [shapes_file] if shapes_file.exists() else []
    files = [ontology_file, *import_files, *shapes_files, *data_files, *records.files]
    return Sources(ontology, asserted, shapes, files, subject_files, imports, records.problems)

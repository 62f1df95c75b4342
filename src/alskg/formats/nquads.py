"""Deterministic N-Quads: canonical blank nodes, sorted lines, and a content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.nquads import _nq_row

from .deadline import deadline_graph


def canonical(graph: Graph, deadline: float | None = None) -> Graph:
    """Return the graph with canonical blank-node labels (unchanged if it has no blank nodes);
    with a deadline, QueryTimeout once it passes (formats.deadline)."""
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        return to_canonical_graph(graph if deadline is None else deadline_graph(graph, deadline))
    return graph


def nquad_lines(graphs: Iterable[tuple[str, Graph]],
                deadline: float | None = None) -> list[str]:
    """Return sorted N-Quads lines for (graph IRI, graph) pairs, blank nodes canonical."""
    lines: list[str] = []
    for name, graph in graphs:
        context = URIRef(name)
        lines.extend(_nq_row(triple, context) for triple in canonical(graph, deadline))
    lines.sort()
    return lines


def content_hash(lines: Iterable[str]) -> str:
    """Return the hex SHA-256 of the concatenated lines."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def dataset_graphs(dataset: Dataset) -> Iterator[tuple[str, Graph]]:
    """Yield the named graphs of a Dataset (not the empty default graph) sorted by IRI."""
    for graph in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        if isinstance(graph.identifier, URIRef) and len(graph) and \
                str(graph.identifier) != "urn:x-rdflib:default":
            yield str(graph.identifier), graph

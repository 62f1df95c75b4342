"""VoID description of the dataset and its named graphs (filled in by the linked-data issue)."""

from __future__ import annotations

from rdflib import Graph


def void_graph(graphs: dict[str, Graph], version: str) -> Graph:
    """Return the VoID triples describing `graphs` (dataset, subsets, partitions)."""
    return Graph()

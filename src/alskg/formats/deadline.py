"""A query's deadline inside rdflib's pure-Python loops: a Memory store that checks the clock.

rdflib's evaluator and its blank-node canonicalization (`rdflib.compare`) both walk a graph
through its store's `triples()`; a store that raises QueryTimeout there once the deadline has
passed stops either of them within a few hundred matches, with no hook into rdflib itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import Graph
from rdflib.plugins.stores.memory import Memory

from ..errors import QueryTimeout


def check(deadline: float | None) -> None:
    """Raise QueryTimeout when the deadline (a `time.monotonic()` value) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeout("query exceeded its time limit")


class DeadlineMemory(Memory):
    """An in-memory store whose triples() raises QueryTimeout once the deadline has passed."""

    def __init__(self, deadline: float | None = None) -> None:
        super().__init__()
        self.deadline = deadline

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:  # type: ignore[override]
        """Yield matches as Memory does, checking the deadline on entry and every 1024 matches."""
        deadline = self.deadline
        check(deadline)
        for count, item in enumerate(super().triples(triple_pattern, context)):
            if deadline is not None and count % 1024 == 1023:
                check(deadline)
            yield item


def deadline_graph(triples: Iterable[Any], deadline: float | None) -> Graph:
    """Return a Graph of `triples` whose walks stop with QueryTimeout past the deadline."""
    graph = Graph(store=DeadlineMemory(deadline))
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph

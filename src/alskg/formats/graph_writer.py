"""The one Turtle and N-Triples writer: Oxigraph's serializers (Rust) over sorted triples.

Deterministic: the triples are written as N-Triples (in Rust), their lines deduplicated and
sorted; blank nodes get canonical labels (rdflib's canonicalization, run over only the lines that
hold a blank node: the others cannot change a label, and the whole graph would cost ~50 ms on the
ALS graph); Turtle is Oxigraph's rewrite of those sorted lines and declares only the prefixes its
body uses. /sparql (the Oxigraph engine hands its triples over untouched), the dereferenced
documents and the dumps all write through here, so the same triples give the same bytes whoever
asks.

The canonicalization is the one step here that can take long (rdflib's algorithm is super-linear
when many blank nodes look alike: 600 such triples cost ~6 s): it walks a graph whose store
checks the query's deadline (formats.deadline), so a writer stops with QueryTimeout at the time
limit wherever it runs (a query worker, the inline executor, a page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from .deadline import check, deadline_graph
from .terms import to_oxigraph

# The syntaxes written here from N-Triples (a graph answer's N-Quads are its N-Triples lines:
# everything is in the default graph).
FROM_NTRIPLES = ("turtle", "nt", "nquads")
# An N-Triples line holds a blank node if it starts with one or its object is one (a literal
# or an IRI object ends the line with `"`, `@lang`, or `>` before " .").
_BLANK_OBJECT = re.compile(rb" _:\S+ \.$")


def ox_triple(triple: tuple[Node, Node, Node]) -> Any:
    """Return the pyoxigraph triple of an rdflib one."""
    return ox.Triple(*(to_oxigraph(term) for term in triple))


def _canonical_lines(lines: list[bytes], deadline: float | None = None) -> list[bytes]:
    """Relabel the blank nodes of N-Triples lines canonically (rdflib's canonicalization),
    stopping with QueryTimeout past the deadline."""
    parsed = Graph()
    parsed.parse(data=b"\n".join(lines).decode("utf-8"), format="nt")
    graph = parsed if deadline is None else deadline_graph(parsed, deadline)
    body = ox.serialize([ox_triple(t) for t in to_canonical_graph(graph)],
                        format=ox.RdfFormat.N_TRIPLES)
    check(deadline)
    assert body is not None  # no output given: the bytes are returned
    return body.split(b"\n")


def sorted_ntriples(data: bytes, deadline: float | None = None) -> bytes:
    """Return N-Triples text sorted by line, deduplicated, blank nodes canonical."""
    lines = data.split(b"\n")
    blank = [line for line in lines if line.startswith(b"_:") or _BLANK_OBJECT.search(line)]
    if blank:
        marked = set(blank)
        lines = [line for line in lines if line not in marked] + _canonical_lines(blank, deadline)
    kept = sorted({line for line in lines if line})
    return b"\n".join(kept) + b"\n" if kept else b""


def from_ntriples(data: bytes, key: str, table: dict[str, str],
                  deadline: float | None = None) -> bytes:
    """Write N-Triples text (as any writer gave it) as the one Turtle, N-Triples or (default
    graph only) N-Quads document; QueryTimeout past the deadline."""
    ordered = sorted_ntriples(data, deadline)
    if key in ("nt", "nquads"):
        return ordered
    body = ox.serialize(ox.parse(ordered, format=ox.RdfFormat.N_TRIPLES),
                        format=ox.RdfFormat.TURTLE, prefixes=table)
    assert body is not None
    return drop_unused_prefixes(body)


def write_graph(triples: Iterable[Any], key: str, table: dict[str, str],
                deadline: float | None = None) -> bytes:
    """Write pyoxigraph triples as Turtle (`key` "turtle", prefixes from `table`) or N-Triples."""
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return from_ntriples(data, key, table, deadline)


def drop_unused_prefixes(body: bytes) -> bytes:
    """Remove `@prefix` lines whose name is not used in the body (a name never seen is unused)."""
    lines = body.split(b"\n")
    start = 0
    while start < len(lines) and lines[start].startswith(b"@prefix "):
        start += 1
    rest = b"\n".join(lines[start:])
    kept = [line for line in lines[:start]
            if line.split(b" ", 2)[1] in rest]  # b"name:" appears wherever the name is used
    return b"\n".join([*kept, rest]) if kept else rest

"""A build's derivation file (``explanations.sqlite``): every inference's rule and premises.

Kept apart from the served dataset so that explanations cost neither load time nor memory in
the query engine at scale; ``/explain`` and ``alskg explain`` read one derivation tree from it on
demand. SQLite (the standard library's) because it is indexed on disk: a lookup reads a few pages,
whatever the build's size. Besides ``meta`` (the format), three tables over the reasoning
engine's term ids:

- ``term(id, kind, value, extra)``: ``kind`` is ``u``/``b``/``l`` (blank nodes by their
  canonical label), ``extra`` a literal's ``@lang`` or datatype IRI;
- ``derivation(s, p, o, rule, round, via, premises)``: ``via`` the rules of hidden steps,
  space-separated; ``premises`` the premises' ids, three 64-bit little-endian integers each;
- ``ontology(s, p, o)``: the input triples that come from the ontology. A premise with its own
  derivation is inferred, one in ``ontology`` an axiom, any other one asserted data.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .explain import Explanation, sort_premises
from .store import IdTriple
from .terms import ASSERTED_GRAPH, ONTOLOGY_GRAPH, Triple

FORMAT = "alskg-derivations/1"
BIG_ENDIAN = sys.byteorder == "big"  # the file's integers are little-endian everywhere
# (rule, round, premises, rules of hidden intermediate steps) of one kept inference.
FlatRecord = tuple[str, int, tuple[IdTriple, ...], tuple[str, ...]]
ASSERTED, ONTOLOGY, INFERRED = "a", "o", "i"  # where a premise comes from
GRAPH_OF = {ASSERTED: str(ASSERTED_GRAPH), ONTOLOGY: str(ONTOLOGY_GRAPH)}

SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE term (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,
                   extra TEXT NOT NULL);
CREATE TABLE derivation (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL,
                         rule TEXT NOT NULL, round INTEGER NOT NULL, via TEXT NOT NULL,
                         premises BLOB NOT NULL, PRIMARY KEY (s, p, o)) WITHOUT ROWID;
CREATE TABLE ontology (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL,
                       PRIMARY KEY (s, p, o)) WITHOUT ROWID;
"""


def _term_row(i: int, term: Node, labels: Mapping[Node, str]) -> tuple[int, str, str, str]:
    if isinstance(term, URIRef):
        return i, "u", str(term), ""
    if isinstance(term, BNode):
        return i, "b", labels.get(term, str(term)), ""
    assert isinstance(term, Literal)
    return i, "l", str(term), f"@{term.language}" if term.language else str(term.datatype or "")


def _packed(t: IdTriple) -> int:
    """Return one integer that sorts like the id triple (ids are below 2**32); integers compare
    several times faster than tuples when sorting ~700 k keys."""
    return (t[0] << 64) | (t[1] << 32) | t[2]


def write_derivations(path: Path, terms: Sequence[Node], labels: Mapping[Node, str],
                      records: Mapping[IdTriple, FlatRecord],
                      ontology: Iterable[IdTriple]) -> None:
    """Write a derivation file: the records, the ontology's triples and the terms they name."""
    used: set[int] = set()
    rows = []
    for t in sorted(records, key=_packed):  # in key order: the B-tree fills fastest
        rule, round_, premises, via = records[t]
        flat = array("q", [n for premise in premises for n in premise])
        if BIG_ENDIAN:
            flat.byteswap()
        used.update(t)
        used.update(flat)
        rows.append((*t, rule, round_, " ".join(via), flat.tobytes()))
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.executescript(SCHEMA)
        con.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        con.executemany("INSERT INTO term VALUES (?, ?, ?, ?)",
                        (_term_row(i, terms[i], labels) for i in sorted(used)))
        con.executemany("INSERT INTO derivation VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO ontology VALUES (?, ?, ?)", sorted(ontology))
        con.execute("CREATE INDEX term_value ON term (value)")
        con.commit()
    finally:
        con.close()


def _term(kind: str, value: str, extra: str) -> Node:
    if kind == "u":
        return URIRef(value)
    if kind == "b":
        return BNode(value)
    if extra.startswith("@"):
        return Literal(value, lang=extra[1:])
    return Literal(value, datatype=URIRef(extra) if extra else None)


class DerivationFile:
    """Read derivation trees from a build's derivation file."""

    def __init__(self, path: Path) -> None:
        """Open (read-only, per lookup) the file at `path`."""
        self.path = path

    def exists(self) -> bool:
        """Tell whether the build has a derivation file."""
        return self.path.is_file()

    def explain(self, triple: Triple) -> Explanation | None:
        """Return the derivation tree of an inferred triple, or None when it has no derivation."""
        if not self.exists():
            return None
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            s, p, o = (self._id(con, term) for term in triple)
            if s is None or p is None or o is None:
                return None
            return self._tree(con, (s, p, o), INFERRED, frozenset(), {})
        finally:
            con.close()

    @staticmethod
    def _id(con: sqlite3.Connection, term: Node) -> int | None:
        _, kind, value, extra = _term_row(0, term, {})
        row = con.execute("SELECT id FROM term WHERE value = ? AND kind = ? AND extra = ? "
                          "ORDER BY id LIMIT 1", (value, kind, extra)).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _origin(con: sqlite3.Connection, t: IdTriple) -> str:
        if con.execute("SELECT 1 FROM derivation WHERE s = ? AND p = ? AND o = ?",
                       t).fetchone():
            return INFERRED
        if con.execute("SELECT 1 FROM ontology WHERE s = ? AND p = ? AND o = ?", t).fetchone():
            return ONTOLOGY
        return ASSERTED

    def _terms(self, con: sqlite3.Connection, ids: Sequence[int],
               cache: dict[int, Node]) -> Triple:
        for i in ids:
            if i not in cache:
                kind, value, extra = con.execute(
                    "SELECT kind, value, extra FROM term WHERE id = ?", (i,)).fetchone()
                cache[i] = _term(kind, value, extra)
        return cache[ids[0]], cache[ids[1]], cache[ids[2]]

    def _tree(self, con: sqlite3.Connection, t: IdTriple, origin: str,
              seen: frozenset[IdTriple], cache: dict[int, Node]) -> Explanation | None:
        row = None
        if origin == INFERRED and t not in seen:
            row = con.execute("SELECT rule, round, via, premises FROM derivation "
                              "WHERE s = ? AND p = ? AND o = ?", t).fetchone()
        triple = self._terms(con, t, cache)
        if row is None:
            if origin == INFERRED and not seen:
                return None
            return Explanation(triple, None, asserted_in=GRAPH_OF.get(origin))
        rule, round_, via, listed = row
        premises = []
        flat = array("q")
        flat.frombytes(listed)
        if BIG_ENDIAN:
            flat.byteswap()
        for i in range(0, len(flat), 3):
            premise = (flat[i], flat[i + 1], flat[i + 2])
            child = self._tree(con, premise, self._origin(con, premise), seen | {t}, cache)
            if child is not None:
                premises.append(child)
        sort_premises(premises)
        return Explanation(triple, rule, int(round_), tuple(via.split()) if via else (), None,
                           premises)

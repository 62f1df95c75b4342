"""An Oxigraph copy of the triples the domain rules read, kept across rounds, answering in ids.

The domain rules are SPARQL, so they run on Oxigraph; the engine works on interned ids. The
mirror loads each triple once (N-Triples text, which Oxigraph parses fastest), grows by the new
triples of each round, and reads solutions back as engine ids through one lasting map from
Oxigraph terms to ids. Terms no input had (a label a rule builds) are interned in sorted order,
and solutions are sorted by id, so a run's ids and derivations do not depend on Oxigraph's
internal order.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from .oxigraph_terms import from_oxigraph, turtle_term
from .store import FactStore, IdTriple
from .terms import sort_key

UNBOUND = -1  # the id of a variable a solution leaves unbound
Rows = list[tuple[int, ...]]


class OxigraphMirror:
    """Oxigraph's copy of some of a FactStore's triples; query answers as id tuples."""

    def __init__(self, store: FactStore) -> None:
        """Start an empty copy of `store`'s triples."""
        self.store = store
        self.oxstore = ox.Store()
        self._text: list[str] = []
        self._ids: dict[object, int] = {}

    def _texts(self) -> list[str]:
        terms = self.store.terms
        if len(self._text) < len(terms):
            self._text.extend(turtle_term(t) for t in terms[len(self._text) :])
        return self._text

    def load(self, triples: Iterable[IdTriple]) -> None:
        """Add triples (by id) to the copy; a triple already there is kept once."""
        text = self._texts()
        data = "\n".join(f"{text[s]} {text[p]} {text[o]} ." for s, p, o in triples)
        if data:
            self.oxstore.load(data.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)

    def select(self, query: str) -> tuple[dict[str, int], Rows]:
        """Run a SELECT; return its column of each variable and its rows as ids, sorted."""
        result = self.oxstore.query(query)
        assert isinstance(result, ox.QuerySolutions)
        columns = {v.value: i for i, v in enumerate(result.variables)}
        raw = [tuple(row) for row in result]
        ids = self._ids
        unknown: dict[object, None] = {}
        for row in raw:
            for value in row:
                if value is not None and value not in ids:
                    unknown[value] = None
        if unknown:
            self._learn(list(unknown))
        rows = [tuple(UNBOUND if v is None else ids[v] for v in row) for row in raw]
        rows.sort()
        return columns, rows

    def _learn(self, values: list[object]) -> None:
        """Map Oxigraph terms to ids; intern the new ones in a canonical order."""
        store = self.store
        new = []
        for value in values:
            term = from_oxigraph(value)
            found = store.ids.get(term)
            if found is None:
                new.append((term, value))
            else:
                self._ids[value] = found
        new.sort(key=lambda pair: sort_key(pair[0]))
        for term, value in new:
            self._ids[value] = store.intern(term)

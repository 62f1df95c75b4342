"""Running a parsed domain rule on the Oxigraph mirror: derived id triples and their premises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdflib import URIRef, Variable
from rdflib.term import Node

from .domain import DomainRule, Pattern, SubSelect, with_prefixes
from .oxigraph_terms import turtle_term
from .rule_mirror import UNBOUND, OxigraphMirror
from .store import FactStore, IdTriple

# A compiled term: (True, column) for a variable (column -1: not in the answer), else
# (False, id) for a constant (id -1: no such term in the store, so nothing matches it).
Slot = tuple[bool, int]
Row = tuple[int, ...]


@dataclass
class RuleOutput:
    """A derived triple (ids) and the premises of its first derivation."""

    triple: IdTriple
    premises: tuple[IdTriple, ...]


def _slot(term: Node, columns: dict[str, int], store: FactStore, intern: bool) -> Slot:
    if isinstance(term, Variable):
        return True, columns.get(str(term), UNBOUND)
    if intern:
        return False, store.intern(term)
    return False, store.ids.get(term, UNBOUND)


def _value(slot: Slot, row: Row) -> int:
    is_var, n = slot
    if is_var:
        return UNBOUND if n == UNBOUND else row[n]
    return n


class _Patterns:
    """Premise patterns compiled against one answer's columns."""

    def __init__(self, patterns: tuple[Pattern, ...], columns: dict[str, int],
                 store: FactStore) -> None:
        self.compiled = [
            (_slot(s, columns, store, False),
             tuple(_slot(p, columns, store, False) for p in preds),
             _slot(o, columns, store, False))
            for s, preds, o in patterns
        ]

    def instantiate(self, row: Row) -> list[IdTriple]:
        """Return the triples the patterns name under one solution (may not exist)."""
        out = []
        for s_slot, p_slots, o_slot in self.compiled:
            s, o = _value(s_slot, row), _value(o_slot, row)
            if s == UNBOUND or o == UNBOUND:
                continue
            for p_slot in p_slots:
                p = _value(p_slot, row)
                if p != UNBOUND:
                    out.append((s, p, o))
        return out


def run_rule(rule: DomainRule, mirror: OxigraphMirror, exists: Callable[[IdTriple], bool],
             provenance: bool = True) -> list[RuleOutput]:
    """Run one rule; return derived triples with premises (existing triples only), in order.

    With ``provenance=False`` premises are not looked for (every output has none).
    """
    store = mirror.store
    columns, rows = mirror.select(rule.select)
    template = [tuple(_slot(term, columns, store, True) for term in t) for t in rule.template]
    patterns = _Patterns(rule.patterns, columns, store)
    subs = [(_projection(sub, columns), _subselect_groups(sub, mirror))
            for sub in rule.subselects] if provenance else []
    terms, literal = store.terms, store.literal
    out: dict[IdTriple, tuple[IdTriple, ...]] = {}
    for row in rows:
        premises: dict[IdTriple, None] = {}
        if provenance:
            for triple in patterns.instantiate(row):
                if exists(triple):
                    premises[triple] = None
            for projection, grouped in subs:
                key = tuple(UNBOUND if c == UNBOUND else row[c] for c in projection)
                for triple in grouped.get(key, ()):
                    if exists(triple):
                        premises[triple] = None
        for s_slot, p_slot, o_slot in template:
            s, p, o = _value(s_slot, row), _value(p_slot, row), _value(o_slot, row)
            if s == UNBOUND or p == UNBOUND or o == UNBOUND or literal[s]:
                continue
            if not isinstance(terms[p], URIRef):
                continue
            triple = (s, p, o)
            if triple not in out:
                out[triple] = tuple(premises)
    return [RuleOutput(t, premises) for t, premises in out.items()]  # in solution order


def _projection(sub: SubSelect, columns: dict[str, int]) -> tuple[int, ...]:
    return tuple(columns.get(v, UNBOUND) for v in sub.projected)


def _subselect_groups(sub: SubSelect, mirror: OxigraphMirror) -> dict[Row, list[IdTriple]]:
    """Match a sub-select's patterns once; group the matched triples by its projection."""
    if not sub.patterns:
        return {}
    body = " .\n".join(
        f"{_pattern_text(s)} {'|'.join(_pattern_text(p) for p in preds)} {_pattern_text(o)}"
        for s, preds, o in sub.patterns
    )
    columns, rows = mirror.select(with_prefixes(f"SELECT * WHERE {{\n{body} .\n}}"))
    patterns = _Patterns(sub.patterns, columns, mirror.store)
    projection = _projection(sub, columns)
    grouped: dict[Row, list[IdTriple]] = {}
    for row in rows:
        key = tuple(UNBOUND if c == UNBOUND else row[c] for c in projection)
        grouped.setdefault(key, []).extend(patterns.instantiate(row))
    return grouped


def _pattern_text(term: Node) -> str:
    if isinstance(term, Variable):
        return f"?{term}"
    return turtle_term(term)

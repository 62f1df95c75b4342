"""Running a parsed domain rule on Oxigraph: the derived triples and the premises of each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.term import Node

from .domain import DomainRule, Pattern, SubSelect, with_prefixes
from .oxigraph_terms import from_oxigraph, turtle_term
from .terms import Triple, nt_term

Solution = dict[str, Node]


def _solutions(store: ox.Store, query: str) -> list[Solution]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    out: list[Solution] = []
    cache: dict[object, Node] = {}
    for row in result:
        solution: Solution = {}
        for name in names:
            value = row[name]
            if value is not None:
                term = cache.get(value)
                if term is None:
                    term = cache[value] = from_oxigraph(value)
                solution[name] = term
        out.append(solution)
    out.sort(key=lambda sol: [(k, _term_key(sol[k])) for k in sorted(sol)])
    return out


def _term_key(term: Node) -> tuple[int, str, str]:
    if isinstance(term, Literal):
        return 2, str(term), str(term.datatype or term.language or "")
    return (1 if isinstance(term, BNode) else 0), str(term), ""


def _bind(term: Node, solution: Solution) -> Node | None:
    if isinstance(term, Variable):
        return solution.get(str(term))
    return term


def _instantiate(pattern: Pattern, solution: Solution) -> list[Triple]:
    s = _bind(pattern[0], solution)
    o = _bind(pattern[2], solution)
    if s is None or o is None:
        return []
    out = []
    for p in pattern[1]:
        bound = _bind(p, solution)
        if bound is not None:
            out.append((s, bound, o))
    return out


@dataclass
class RuleOutput:
    """A derived triple and the premises of its first derivation."""

    triple: Triple
    premises: tuple[Triple, ...]


def run_rule(
    rule: DomainRule, store: ox.Store, exists: Callable[[Triple], bool], provenance: bool = True
) -> list[RuleOutput]:
    """Run one rule; return derived triples with premises (existing triples only), in order.

    With ``provenance=False`` premises are not looked for (every output has none).
    """
    solutions = _solutions(store, rule.select)
    groups = [_subselect_groups(sub, store) for sub in rule.subselects] if provenance else []
    out: dict[Triple, tuple[Triple, ...]] = {}
    for solution in solutions:
        premises: dict[Triple, None] = {}
        for pattern in rule.patterns if provenance else ():
            for triple in _instantiate(pattern, solution):
                if exists(triple):
                    premises[triple] = None
        for sub, grouped in zip(rule.subselects if provenance else (), groups, strict=True):
            key = tuple(nt_term(solution[v]) if v in solution else "" for v in sub.projected)
            for triple in grouped.get(key, ()):
                if exists(triple):
                    premises[triple] = None
        for template in rule.template:
            s, p, o = (_bind(term, solution) for term in template)
            if s is None or p is None or o is None or isinstance(s, Literal):
                continue
            if not isinstance(p, URIRef):
                continue
            triple = (s, p, o)
            if triple not in out:
                out[triple] = tuple(premises)
    return [RuleOutput(t, premises) for t, premises in out.items()]  # in solution order


def _subselect_groups(sub: SubSelect, store: ox.Store) -> dict[tuple[str, ...], list[Triple]]:
    """Match a sub-select's patterns once; group the matched triples by its projection."""
    if not sub.patterns:
        return {}
    body = " .\n".join(
        f"{_pattern_text(s)} {'|'.join(_pattern_text(p) for p in preds)} {_pattern_text(o)}"
        for s, preds, o in sub.patterns
    )
    query = with_prefixes(f"SELECT * WHERE {{\n{body} .\n}}")
    grouped: dict[tuple[str, ...], list[Triple]] = {}
    for solution in _solutions(store, query):
        key = tuple(nt_term(solution[v]) if v in solution else "" for v in sub.projected)
        bucket = grouped.setdefault(key, [])
        for pattern in sub.patterns:
            bucket.extend(_instantiate(pattern, solution))
    return grouped


def _pattern_text(term: Node) -> str:
    if isinstance(term, Variable):
        return f"?{term}"
    return turtle_term(term)

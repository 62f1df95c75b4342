"""Mode "owlrl": owlrl's OWL 2 RL closure iterated with the domain rules to a fixpoint.

owlrl issue #76: expanding into a separate destination graph loses chained inferences, so the
closure is computed in place on a copy of ontology + asserted, and the inferred triples are the
difference between that copy and the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import owlrl
from rdflib import Graph, Literal
from rdflib.term import Node

from .domain import DomainRule, Reads, reads_triple, rule_reads
from .rule_mirror import OxigraphMirror
from .rule_run import run_rule
from .store import FactStore
from .terms import Triple, sort_key


@dataclass
class OwlrlRun:
    """owlrl's closure of the input with the domain rules' output."""

    closure: Graph
    rule_literals: set[Node] = field(default_factory=set)
    expansions: int = 0


def _expand(graph: Graph) -> None:
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)


def _rule_outputs(closure: Graph, rules: list[DomainRule], reads: Reads | None) -> list[Triple]:
    """Run the rules once over the closure; return the triples they derive that it lacks."""
    store = FactStore()
    for t in sorted(closure, key=lambda t: tuple(sort_key(term) for term in t)):
        store.add((store.intern(t[0]), store.intern(t[1]), store.intern(t[2])))
    mirror = OxigraphMirror(store)
    mirror.load(t for t in store.triples()
                if not store.literal[t[0]] and reads_triple(reads, store.term_triple(t)))
    new: list[Triple] = []
    for rule in rules:
        for output in run_rule(rule, mirror, store.has_triple, provenance=False):
            triple = store.term_triple(output.triple)
            if triple not in closure:
                new.append(triple)
    return new


def run_owlrl(ontology: Graph, asserted: Graph, rules: list[DomainRule]) -> OwlrlRun:
    """Return the closure of a copy of ontology + asserted under owlrl and the domain rules."""
    closure = Graph()
    for graph in (ontology, asserted):
        for t in graph:
            closure.add(t)
    run = OwlrlRun(closure)
    _expand(closure)
    run.expansions = 1
    for stratum in sorted({rule.stratum for rule in rules}):
        active = [rule for rule in rules if rule.stratum <= stratum]
        reads = rule_reads(active)
        while True:
            new = _rule_outputs(closure, active, reads)
            if not new:
                break
            before = set(closure)
            for t in new:
                closure.add(t)
                if isinstance(t[2], Literal):
                    run.rule_literals.add(t[2])
            _expand(closure)
            run.expansions += 1
            # Another pass can only find more if the rules can see something new.
            if not any(reads_triple(reads, t) for t in closure if t not in before):
                break
    return run

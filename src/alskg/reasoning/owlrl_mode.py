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

from .domain import DomainRule, reads_triple, rule_reads
from .oxigraph_terms import load_store, triple_lines
from .rule_run import run_rule
from .terms import Triple


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
            triples: list[Triple] = [
                t for t in closure if not isinstance(t[0], Literal) and reads_triple(reads, t)
            ]
            oxstore = load_store(triple_lines(triples))
            new: list[Triple] = []
            for rule in active:
                for output in run_rule(rule, oxstore, closure.__contains__):
                    if output.triple not in closure:
                        new.append(output.triple)
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

"""Mode "rules": the compiled OWL 2 RL rules plus the domain rules, with provenance throughout.

This is also the explanation engine of owlrl mode: owlrl records no derivations, so each of its
meaningful triples is looked up in the derivations of this engine's run over the same input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import Graph
from rdflib.term import Node

from .domain import DomainRule, Reads, rule_reads
from .engine import Engine, Pending
from .rule_mirror import OxigraphMirror
from .rule_run import run_rule
from .store import IdTriple


@dataclass
class EngineRun:
    """An engine saturated with the OWL RL rules and the domain rules, stratum by stratum."""

    engine: Engine
    rule_literals: set[Node] = field(default_factory=set)
    domain_rounds: int = 0


def _seen_by(engine: Engine, reads: Reads | None) -> Callable[[IdTriple], bool]:
    """Return a test telling whether a rule reading `reads` can see an (id) triple."""
    if reads is None:
        return lambda t: True
    ids = engine.store.ids
    predicates = {ids[p] for p, cls in reads if cls is None and p in ids}
    classes = {ids[cls] for p, cls in reads if cls is not None and cls in ids}
    type_id = engine.vocab.type
    return lambda t: t[1] in predicates or (t[1] == type_id and t[2] in classes)


def _load_reads(engine: Engine, mirror: OxigraphMirror, reads: Reads | None,
                loaded: Reads | None) -> None:
    """Copy into the mirror every triple `reads` covers that `loaded` did not."""
    store = engine.store
    if loaded is None:
        return
    if reads is None:
        mirror.load(store.triples())
        return
    ids = store.ids
    type_id = engine.vocab.type
    for predicate, cls in sorted(reads - loaded, key=lambda r: (str(r[0]), str(r[1]))):
        p = ids.get(predicate)
        if p is None or p not in store.so:
            continue
        if cls is None:
            mirror.load((s, p, o) for s, objs in store.so[p].items() for o in objs)
        elif (predicate, None) not in reads:
            c = ids.get(cls)
            if c is not None:
                mirror.load((s, type_id, c) for s in store.subjects(type_id, c))


def _apply_domain_rules(run: EngineRun, rules: list[DomainRule], mirror: OxigraphMirror,
                        provenance: bool) -> Pending:
    """Run the rules once over the mirror of the engine's triples; return their new triples."""
    store = run.engine.store
    exists = store.has_triple
    found: Pending = {}
    for rule in rules:
        for output in run_rule(rule, mirror, exists, provenance):
            key = output.triple
            if store.has(*key) or key in found:
                continue
            found[key] = (rule.name, output.premises)
            if store.literal[key[2]]:
                run.rule_literals.add(store.terms[key[2]])
    return found


def run_engine(
    ontology: Graph, asserted: Graph, rules: list[DomainRule], provenance: bool = True
) -> EngineRun:
    """Saturate ontology + asserted with the compiled rules and the domain rules.

    With ``provenance=False`` domain-rule derivations record no premises (faster; no
    explanations can be built from the run).
    """
    run = EngineRun(Engine(ontology, asserted))
    engine = run.engine
    engine.saturate()
    mirror = OxigraphMirror(engine.store)
    loaded: Reads | None = frozenset()
    # A rule runs again only when a triple it reads was added since its last run: with nothing
    # new to read it would only find what it found before.
    dirty: set[str] = set()
    for stratum in sorted({rule.stratum for rule in rules}):
        active = [rule for rule in rules if rule.stratum <= stratum]
        dirty |= {rule.name for rule in active if rule.stratum == stratum}
        reads = rule_reads(active)
        _load_reads(engine, mirror, reads, loaded)
        loaded = reads
        while dirty:
            found = _apply_domain_rules(run, [r for r in active if r.name in dirty], mirror,
                                        provenance)
            run.domain_rounds += 1
            new = engine.add_derived(found)
            dirty = set()
            if not new:
                break
            # (The tests are made after the run: it may have interned the terms they look for.)
            seen = _seen_by(engine, reads)
            visible = [t for t in new + engine.saturate(new) if seen(t)]
            mirror.load(visible)
            for rule in active:
                if any(map(_seen_by(engine, rule.reads), visible)):
                    dirty.add(rule.name)
    return run

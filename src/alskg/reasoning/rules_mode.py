"""Mode "rules": the compiled OWL 2 RL rules plus the domain rules, with provenance throughout.

This is also the explanation engine of owlrl mode: owlrl records no derivations, so each of its
meaningful triples is looked up in the derivations of this engine's run over the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal
from rdflib.term import Node

from .domain import DomainRule, Reads, rule_reads
from .engine import Engine, Pending
from .oxigraph_terms import load_store, turtle_term
from .rule_run import run_rule
from .store import IdTriple
from .terms import Triple


@dataclass
class EngineRun:
    """An engine saturated with the OWL RL rules and the domain rules, stratum by stratum."""

    engine: Engine
    rule_literals: set[Node] = field(default_factory=set)
    domain_rounds: int = 0


def _turtle_cache(engine: Engine, cache: list[str]) -> list[str]:
    terms = engine.store.terms
    if len(cache) < len(terms):
        cache.extend(turtle_term(t) for t in terms[len(cache) :])
    return cache


def _apply_domain_rules(
    run: EngineRun, rules: list[DomainRule], cache: list[str], provenance: bool
) -> Pending:
    """Run the rules once over the engine's current triples; return their new triples."""
    engine = run.engine
    store = engine.store
    text = _turtle_cache(engine, cache)
    reads = rule_reads(rules)
    if reads is None:
        lines = [f"{text[s]} {text[p]} {text[o]} ." for s, p, o in store.triples()]
    else:
        ids = store.ids
        lines = []
        type_id = engine.vocab.type
        for predicate, cls in sorted(reads, key=lambda r: (str(r[0]), str(r[1]))):
            p = ids.get(predicate)
            if p is None or p not in store.so:
                continue
            if cls is not None and (predicate, None) not in reads:
                c = ids.get(cls)
                if c is not None:
                    lines.extend(
                        f"{text[s]} {text[type_id]} {text[c]} ." for s in store.subjects(type_id, c)
                    )
                continue
            lines.extend(
                f"{text[s]} {text[p]} {text[o]} ." for s, objs in store.so[p].items() for o in objs
            )
    oxstore = load_store(lines)
    ids = store.ids

    def exists(t: Triple) -> bool:
        s, p, o = ids.get(t[0]), ids.get(t[1]), ids.get(t[2])
        return s is not None and p is not None and o is not None and store.has(s, p, o)

    found: Pending = {}
    for rule in rules:
        for output in run_rule(rule, oxstore, exists, provenance):
            s, p, o = (store.intern(term) for term in output.triple)
            key: IdTriple = (s, p, o)
            if store.has(*key) or key in found:
                continue
            premises = tuple((ids[a], ids[b], ids[c]) for a, b, c in output.premises)
            found[key] = (rule.name, premises)
            if isinstance(output.triple[2], Literal):
                run.rule_literals.add(output.triple[2])
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
    cache: list[str] = []
    for stratum in sorted({rule.stratum for rule in rules}):
        active = [rule for rule in rules if rule.stratum <= stratum]
        reads = rule_reads(active)
        while True:
            found = _apply_domain_rules(run, active, cache, provenance)
            run.domain_rounds += 1
            new = engine.add_derived(found)
            if not new:
                break
            added = new + engine.saturate(new)
            # Another pass can only find more if the rules can see something new.
            if not _any_read(engine, reads, added):
                break
    return run


def _any_read(engine: Engine, reads: Reads | None, triples: list[IdTriple]) -> bool:
    """Tell whether a rule reading `reads` can see one of the (id) triples."""
    if reads is None:
        return bool(triples)
    ids = engine.store.ids
    predicates = {ids[p] for p, cls in reads if cls is None and p in ids}
    classes = {ids[cls] for p, cls in reads if cls is not None and cls in ids}
    type_id = engine.vocab.type
    return any(p in predicates or (p == type_id and o in classes) for _, p, o in triples)

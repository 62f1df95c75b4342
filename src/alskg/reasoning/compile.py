"""Compile the ontology's axioms into targeted rules, and close the schema (OWL 2 RL scm-* rules).

The schema (subclass, subproperty, domain, range, inverse, chain, equivalence, intersection, union,
hasValue, someValuesFrom, allValuesFrom axioms and property characteristics) is first closed under
the OWL 2 RL ``scm-*`` rules, then compiled into two tables the forward chainer dispatches on:

- per predicate ``p``: what a new triple ``x p y`` triggers (prp-dom, prp-rng, prp-spo1,
  prp-eqp1/2, prp-inv1/2, prp-symp, prp-trp, prp-spo2, cls-hv2, cls-svf1/2, cls-avf, prp-fp,
  prp-ifp);
- per class ``c``: what a new triple ``x rdf:type c`` triggers (cax-sco, cax-eqc1/2, cls-int1,
  cls-int2, cls-uni, cls-hv1, cls-svf1, cls-avf).

Each entry carries the axiom triples it was compiled from: they are the premises a derivation
records besides the data triples it joins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .store import Derivation, FactStore, IdTriple, Vocab, list_items

Premises = tuple[IdTriple, ...]
SchemaDerivations = dict[IdTriple, tuple[str, Premises]]
Emit = Callable[[IdTriple, str, Premises], None]


@dataclass(slots=True)
class PredicateRules:
    """What a new triple with this predicate triggers."""

    domain: list[tuple[int, IdTriple]] = field(default_factory=list)
    range: list[tuple[int, IdTriple]] = field(default_factory=list)
    superproperties: list[tuple[int, str, IdTriple]] = field(default_factory=list)
    inverses: list[tuple[int, str, IdTriple]] = field(default_factory=list)
    symmetric: IdTriple | None = None
    transitive: IdTriple | None = None
    functional: IdTriple | None = None
    inverse_functional: IdTriple | None = None
    # (chain property, chain, position of this predicate, axiom)
    chains: list[tuple[int, tuple[int, ...], int, IdTriple]] = field(default_factory=list)
    # value -> [(restriction, axioms)] for cls-hv2
    has_value: dict[int, list[tuple[int, Premises]]] = field(default_factory=dict)
    # (restriction, filler class, axioms) for cls-svf1/2 and cls-avf on the property atom
    some_values: list[tuple[int, int, Premises]] = field(default_factory=list)
    all_values: list[tuple[int, int, Premises]] = field(default_factory=list)


@dataclass(slots=True)
class ClassRules:
    """What a new triple ``x rdf:type`` this class triggers."""

    superclasses: list[tuple[int, str, IdTriple]] = field(default_factory=list)
    # (intersection class, members, axiom) where this class is a member (cls-int1)
    in_intersections: list[tuple[int, tuple[int, ...], IdTriple]] = field(default_factory=list)
    # members of this class when it is an intersection (cls-int2)
    intersection_of: list[tuple[int, IdTriple]] = field(default_factory=list)
    in_unions: list[tuple[int, IdTriple]] = field(default_factory=list)
    # (property, value, axioms) when this class is a hasValue restriction (cls-hv1)
    has_value: list[tuple[int, int, Premises]] = field(default_factory=list)
    # (restriction, property, axioms) where this class is a someValuesFrom filler (cls-svf1)
    filler_of: list[tuple[int, int, Premises]] = field(default_factory=list)
    # (property, filler, axioms) when this class is an allValuesFrom restriction (cls-avf)
    all_values: list[tuple[int, int, Premises]] = field(default_factory=list)


@dataclass
class CompiledRules:
    """The targeted rules compiled from a closed schema."""

    predicates: dict[int, PredicateRules]
    classes: dict[int, ClassRules]
    uses_same_as: bool
    rule_count: int


def _pairs(store: FactStore, p: int) -> list[tuple[int, int]]:
    """Return the sorted (subject, object) pairs of predicate `p`."""
    by_s = store.so.get(p, {})
    return sorted((s, o) for s, objs in by_s.items() for o in objs)


def _declared_class(store: FactStore, v: Vocab, c: int) -> bool:
    return c == v.thing or store.has(c, v.type, v.owl_class)


def _declared_property(store: FactStore, v: Vocab, p: int) -> bool:
    return any(store.has(p, v.type, t) for t in v.property_types)


def _subclass(store: FactStore, v: Vocab, c1: int, c2: int) -> tuple[bool, Premises]:
    """Tell whether c1 ⊑ c2 holds (reflexive for declared classes, owl:Thing above all)."""
    if c1 == c2:
        return _declared_class(store, v, c1), ()
    if store.has(c1, v.sco, c2):
        return True, ((c1, v.sco, c2),)
    if c2 == v.thing and _declared_class(store, v, c1):
        return True, ()
    return False, ()


def _subproperty(store: FactStore, v: Vocab, p1: int, p2: int) -> tuple[bool, Premises]:
    if p1 == p2:
        return _declared_property(store, v, p1), ()
    if store.has(p1, v.spo, p2):
        return True, ((p1, v.spo, p2),)
    return False, ()


def schema_round(store: FactStore, v: Vocab) -> SchemaDerivations:
    """Apply every scm-* rule once to the current schema; return the new triples found."""
    out: SchemaDerivations = {}

    def emit(t: IdTriple, rule: str, premises: Premises) -> None:
        if t[0] != t[2] and t not in out and not store.has(*t):
            out[t] = (rule, premises)

    # Classes (subClassOf / equivalentClass) and properties (subPropertyOf /
    # equivalentProperty) follow the same rules: transitivity, mutual subsumption is
    # equivalence, equivalence is mutual subsumption.
    for sub, eq, trans_rule, mutual_rule, split_rule in (
        (v.sco, v.eqc, "scm-sco", "scm-eqc2", "scm-eqc1"),
        (v.spo, v.eqp, "scm-spo", "scm-eqp2", "scm-eqp1"),
    ):
        for a, b in _pairs(store, sub):
            if a == b:
                continue
            for c in sorted(store.objects(b, sub)):
                if c != a:
                    emit((a, sub, c), trans_rule, ((a, sub, b), (b, sub, c)))
            if store.has(b, sub, a):
                emit((a, eq, b), mutual_rule, ((a, sub, b), (b, sub, a)))
        for a, b in _pairs(store, eq):
            emit((a, sub, b), split_rule, ((a, eq, b),))
            emit((b, sub, a), split_rule, ((a, eq, b),))
    for pred, first, second in (
        (v.domain, "scm-dom1", "scm-dom2"),
        (v.range, "scm-rng1", "scm-rng2"),
    ):
        for p, c1 in _pairs(store, pred):
            for c2 in sorted(store.objects(c1, v.sco)):
                emit((p, pred, c2), first, ((p, pred, c1), (c1, v.sco, c2)))
            for p1 in sorted(store.subjects(v.spo, p)):
                emit((p1, pred, c1), second, ((p, pred, c1), (p1, v.spo, p)))
    _restriction_subsumption(store, v, emit)
    for c, head in _pairs(store, v.intersection):
        for ci in list_items(store, v, head) or ():
            emit((c, v.sco, ci), "scm-int", ((c, v.intersection, head),))
    for c, head in _pairs(store, v.union):
        for ci in list_items(store, v, head) or ():
            emit((ci, v.sco, c), "scm-uni", ((c, v.union, head),))
    return out


def _restriction_subsumption(store: FactStore, v: Vocab, emit: Emit) -> None:
    """scm-hv, scm-svf1, scm-svf2, scm-avf1, scm-avf2: subsumption between restrictions."""
    for pred, same_property_rule, same_filler_rule in (
        (v.has_value, None, "scm-hv"),
        (v.svf, "scm-svf1", "scm-svf2"),
        (v.avf, "scm-avf1", "scm-avf2"),
    ):
        restrictions = [
            (c, y, p)
            for c, y in _pairs(store, pred)
            for p in sorted(store.objects(c, v.on_property))
        ]
        for c1, y1, p1 in restrictions:
            for c2, y2, p2 in restrictions:
                if c1 == c2:
                    continue
                axioms = (
                    (c1, pred, y1),
                    (c1, v.on_property, p1),
                    (c2, pred, y2),
                    (c2, v.on_property, p2),
                )
                if same_property_rule is not None and p1 == p2:
                    ok, extra = _subclass(store, v, y1, y2)
                    if ok:
                        emit((c1, v.sco, c2), same_property_rule, axioms + extra)
                if y1 == y2:
                    ok, extra = _subproperty(store, v, p1, p2)
                    if ok:
                        sub, sup = (c2, c1) if same_filler_rule == "scm-avf2" else (c1, c2)
                        emit((sub, v.sco, sup), same_filler_rule, axioms + extra)


def close_schema(store: FactStore, v: Vocab, first_round: int) -> int:
    """Run scm-* rounds to a fixpoint, recording derivations; return the last round used."""
    current = first_round - 1
    while True:
        found = schema_round(store, v)
        if not found:
            return current
        current += 1
        for t in sorted(found):
            rule, premises = found[t]
            store.add(t)
            store.derivations[t] = Derivation(rule, premises, current)


def compile_rules(store: FactStore, v: Vocab) -> CompiledRules:
    """Compile the (closed) schema in `store` into per-predicate and per-class rule tables."""
    preds: dict[int, PredicateRules] = {}
    classes: dict[int, ClassRules] = {}
    count = 0

    def pr(p: int) -> PredicateRules:
        found = preds.get(p)
        if found is None:
            found = preds[p] = PredicateRules()
        return found

    def cr(c: int) -> ClassRules:
        found = classes.get(c)
        if found is None:
            found = classes[c] = ClassRules()
        return found

    for c1, c2 in _pairs(store, v.sco):
        if c1 != c2:
            cr(c1).superclasses.append((c2, "cax-sco", (c1, v.sco, c2)))
            count += 1
    for c1, c2 in _pairs(store, v.eqc):
        if c1 != c2:
            cr(c1).superclasses.append((c2, "cax-eqc1", (c1, v.eqc, c2)))
            cr(c2).superclasses.append((c1, "cax-eqc2", (c1, v.eqc, c2)))
            count += 2
    for p, c in _pairs(store, v.domain):
        pr(p).domain.append((c, (p, v.domain, c)))
        count += 1
    for p, c in _pairs(store, v.range):
        pr(p).range.append((c, (p, v.range, c)))
        count += 1
    for p1, p2 in _pairs(store, v.spo):
        if p1 != p2:
            pr(p1).superproperties.append((p2, "prp-spo1", (p1, v.spo, p2)))
            count += 1
    for p1, p2 in _pairs(store, v.eqp):
        if p1 != p2:
            pr(p1).superproperties.append((p2, "prp-eqp1", (p1, v.eqp, p2)))
            pr(p2).superproperties.append((p1, "prp-eqp2", (p1, v.eqp, p2)))
            count += 2
    for p1, p2 in _pairs(store, v.inverse):
        pr(p1).inverses.append((p2, "prp-inv1", (p1, v.inverse, p2)))
        pr(p2).inverses.append((p1, "prp-inv2", (p1, v.inverse, p2)))
        count += 2
    for p in sorted(store.subjects(v.type, v.symmetric)):
        pr(p).symmetric = (p, v.type, v.symmetric)
        count += 1
    for p in sorted(store.subjects(v.type, v.transitive)):
        pr(p).transitive = (p, v.type, v.transitive)
        count += 1
    for p in sorted(store.subjects(v.type, v.functional)):
        pr(p).functional = (p, v.type, v.functional)
        count += 1
    for p in sorted(store.subjects(v.type, v.inverse_functional)):
        pr(p).inverse_functional = (p, v.type, v.inverse_functional)
        count += 1
    for p, head in _pairs(store, v.chain):
        chain = list_items(store, v, head)
        if not chain:
            continue
        for pos, link in enumerate(chain):
            pr(link).chains.append((p, tuple(chain), pos, (p, v.chain, head)))
        count += 1
    for c, head in _pairs(store, v.intersection):
        members = list_items(store, v, head)
        if not members:
            continue
        axiom = (c, v.intersection, head)
        for m in dict.fromkeys(members):
            cr(m).in_intersections.append((c, tuple(members), axiom))
            cr(c).intersection_of.append((m, axiom))
        count += 2
    for c, head in _pairs(store, v.union):
        for m in dict.fromkeys(list_items(store, v, head) or ()):
            cr(m).in_unions.append((c, (c, v.union, head)))
            count += 1
    for r, y in _pairs(store, v.has_value):
        for p in sorted(store.objects(r, v.on_property)):
            axioms = ((r, v.has_value, y), (r, v.on_property, p))
            cr(r).has_value.append((p, y, axioms))
            pr(p).has_value.setdefault(y, []).append((r, axioms))
            count += 2
    for r, y in _pairs(store, v.svf):
        for p in sorted(store.objects(r, v.on_property)):
            axioms = ((r, v.svf, y), (r, v.on_property, p))
            pr(p).some_values.append((r, y, axioms))
            if y != v.thing:
                cr(y).filler_of.append((r, p, axioms))
            count += 1
    for r, y in _pairs(store, v.avf):
        for p in sorted(store.objects(r, v.on_property)):
            axioms = ((r, v.avf, y), (r, v.on_property, p))
            pr(p).all_values.append((r, y, axioms))
            cr(r).all_values.append((p, y, axioms))
            count += 1
    uses_same_as = bool(store.so.get(v.same_as)) or any(
        r.functional or r.inverse_functional for r in preds.values()
    )
    return CompiledRules(preds, classes, uses_same_as, count)

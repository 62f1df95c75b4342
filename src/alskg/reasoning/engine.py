"""Semi-naive forward chaining of the compiled OWL 2 RL rules, recording every derivation.

Each round joins only the triples new in the previous round (the delta) with everything known, so
every derivation's premises were known before it: a derivation records the round it appeared in,
premises always come from earlier rounds (asserted triples are round 0), and explanations can never
be cyclic. Within a round the delta is processed in sorted order and rules in a fixed order, so
the first derivation found, the one kept, is the same on every run.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import BNode, Graph, Literal
from rdflib.term import Node

from .compile import ClassRules, CompiledRules, PredicateRules, close_schema, compile_rules
from .noise import EXPRESSION_PREDICATES, InputTerms
from .store import Derivation, FactStore, IdTriple, Vocab
from .terms import UNSUPPORTED_PREDICATES, canonical_bnode_labels, sort_key

Pending = dict[IdTriple, tuple[str, tuple[IdTriple, ...]]]
# When one round derives a triple in several ways, the explanation keeps the rule listed first.
RULE_PREFERENCE = {
    rule: i
    for i, rule in enumerate(
        (
            "cax-sco",
            "cax-eqc1",
            "cax-eqc2",
            "prp-spo1",
            "prp-eqp1",
            "prp-eqp2",
            "prp-inv1",
            "prp-inv2",
            "prp-symp",
            "prp-trp",
            "prp-spo2",
            "cls-int1",
            "cls-int2",
            "cls-uni",
            "cls-hv1",
            "cls-hv2",
            "cls-svf1",
            "cls-svf2",
            "cls-avf",
            "prp-fp",
            "prp-ifp",
            "eq-sym",
            "eq-trans",
            "eq-rep-s",
            "eq-rep-o",
            "prp-dom",
            "prp-rng",
        )
    )
}
Emit = Callable[[int, int, int, str, tuple[IdTriple, ...]], None]


class Engine:
    """The compiled-rules reasoner over one input (ontology plus asserted data)."""

    def __init__(self, ontology: Graph, asserted: Graph) -> None:
        """Intern the input in a canonical (sorted) order and index it."""
        self.store = FactStore()
        self.vocab = Vocab(self.store)
        # Number terms in first-seen order, then renumber them in sorted order: the same input
        # gives the same ids (and so the same explanations) whatever order it was parsed in.
        seen: dict[Node, int] = {}
        raw: set[IdTriple] = set()
        around_bnodes: list[tuple[Node, Node, Node]] = []
        self.input_terms = InputTerms()
        literals, expr, data = (
            self.input_terms.literals,
            self.input_terms.expression_bnodes,
            self.input_terms.data_bnodes,
        )
        from_ontology: set[IdTriple] = set()
        for graph in (ontology, asserted):
            in_ontology = graph is ontology
            for s, p, o in graph:
                t = (seen.setdefault(s, len(seen)), seen.setdefault(p, len(seen)),
                     seen.setdefault(o, len(seen)))
                raw.add(t)
                if in_ontology:
                    from_ontology.add(t)
                else:  # a triple in both counts as asserted data
                    from_ontology.discard(t)
                if isinstance(o, Literal):
                    literals.add(o)
                elif isinstance(o, BNode):
                    (expr if in_ontology or p in EXPRESSION_PREDICATES else data).add(o)
                    around_bnodes.append((s, p, o))
                if isinstance(s, BNode):
                    (expr if in_ontology or p in EXPRESSION_PREDICATES else data).add(s)
                    around_bnodes.append((s, p, o))
        data -= expr
        self.bnode_labels = canonical_bnode_labels(around_bnodes)
        labels = self.bnode_labels
        order = sorted(seen, key=lambda term: sort_key(term, labels))
        remap = [0] * len(seen)
        for term in order:
            remap[seen[term]] = self.store.intern(term)
        del seen, order
        facts = sorted((remap[s], remap[p], remap[o]) for s, p, o in raw)
        # The input triples that come from the ontology (a premise's graph in explanations).
        self.ontology_triples = frozenset(
            (remap[s], remap[p], remap[o]) for s, p, o in from_ontology
        )
        del raw, remap, from_ontology
        self.input_size = len(facts)
        add = self.store.add
        for t in facts:
            add(t)
        self.round = 0
        self.rounds_run = 0
        self.literal_subjects: set[IdTriple] = set()
        self.warnings: list[str] = []
        ids = self.store.ids
        for pid in sorted(ids[term] for term in UNSUPPORTED_PREDICATES if term in ids):
            if self.store.so.get(pid):
                self.warnings.append(
                    f"the compiled rules ignore {self.store.terms[pid]} axioms "
                    "(owlrl mode handles them)"
                )
        self.rules: CompiledRules | None = None

    # -- driving -----------------------------------------------------------------------------

    def saturate(self, delta: list[IdTriple] | None = None) -> list[IdTriple]:
        """Run to a fixpoint; `delta` lists triples added since the last fixpoint (None: all).

        Returns the triples the run derived, in the order they were added.
        """
        derived: list[IdTriple] = []
        full = delta is None or any(self.vocab.is_schema(t) for t in delta)
        while True:
            if full or self.rules is None:
                before = self.round
                self.round = close_schema(self.store, self.vocab, self.round + 1)
                if self.round > before:
                    derived.extend(t for t, d in self.store.derivations.items() if d.round > before)
                self.rules = compile_rules(self.store, self.vocab)
                delta = self.store.triples()
            assert delta is not None
            if not delta:
                return derived
            pending = self._round(delta)
            if not pending:
                return derived
            self.round += 1
            self.rounds_run += 1
            new = sorted(pending)
            derivations = self.store.derivations
            for t in new:
                self.store.add(t)
                rule, premises = pending[t]
                derivations[t] = Derivation(rule, premises, self.round)
            derived.extend(new)
            full = any(self.vocab.is_schema(t) for t in new)
            delta = new

    def add_derived(self, found: Pending) -> list[IdTriple]:
        """Add triples derived outside the engine (domain rules) as one new round."""
        new = sorted(t for t in found if not self.store.has(*t))
        if not new:
            return []
        self.round += 1
        for t in new:
            self.store.add(t)
            rule, premises = found[t]
            self.store.derivations[t] = Derivation(rule, premises, self.round)
        return new

    # -- one round ---------------------------------------------------------------------------

    def _round(self, delta: list[IdTriple]) -> Pending:
        """Join each delta triple with everything known; return the new triples found."""
        assert self.rules is not None
        store, v = self.store, self.vocab
        so = store.so
        literal = store.literal
        pending: Pending = {}
        literal_subjects = self.literal_subjects
        type_id = v.type
        pred_rules, class_rules = self.rules.predicates, self.rules.classes
        same_as = self.rules.uses_same_as
        rank = RULE_PREFERENCE.get

        def emit(s: int, p: int, o: int, rule: str, premises: tuple[IdTriple, ...]) -> None:
            t = (s, p, o)
            found = pending.get(t)
            if found is not None:
                # Same round, several derivations: keep the most telling rule (deterministic).
                if rank(rule, 99) < rank(found[0], 99):
                    pending[t] = (rule, premises)
                return
            by_s = so.get(p)
            if by_s is not None:
                objs = by_s.get(s)
                if objs is not None and o in objs:
                    return
            if literal[s]:
                literal_subjects.add(t)
                return
            pending[t] = (rule, premises)

        for t in delta:
            s, p, o = t
            if p == type_id:
                crules = class_rules.get(o)
                if crules is not None:
                    self._class_rules(t, crules, emit)
            prules = pred_rules.get(p)
            if prules is not None:
                self._predicate_rules(t, prules, emit)
            if same_as:
                self._equality(t, emit)
        return pending

    def _class_rules(self, t: IdTriple, r: ClassRules, emit: Emit) -> None:
        """cax-sco, cax-eqc1/2, cls-int1/2, cls-uni, cls-hv1, cls-svf1 (filler), cls-avf."""
        x, type_id, c = t
        store = self.store
        for c2, rule, axiom in r.superclasses:
            emit(x, type_id, c2, rule, (axiom, t))
        for cls, members, axiom in r.in_intersections:
            if all(store.has(x, type_id, m) for m in members):
                emit(
                    x,
                    type_id,
                    cls,
                    "cls-int1",
                    (axiom, *((x, type_id, m) for m in dict.fromkeys(members))),
                )
        for m, axiom in r.intersection_of:
            emit(x, type_id, m, "cls-int2", (axiom, t))
        for cls, axiom in r.in_unions:
            emit(x, type_id, cls, "cls-uni", (axiom, t))
        for p, y, axioms in r.has_value:
            emit(x, p, y, "cls-hv1", (*axioms, t))
        for restriction, p, axioms in r.filler_of:
            for u in sorted(store.subjects(p, x)):
                emit(u, type_id, restriction, "cls-svf1", (*axioms, (u, p, x), t))
        for p, y, axioms in r.all_values:
            for w in sorted(store.objects(x, p)):
                emit(w, type_id, y, "cls-avf", (*axioms, t, (x, p, w)))

    def _predicate_rules(self, t: IdTriple, r: PredicateRules, emit: Emit) -> None:
        """prp-dom, prp-rng, prp-spo1, prp-eqp1/2, prp-inv1/2, prp-symp, prp-trp, prp-spo2,
        cls-hv2, cls-svf1/2, cls-avf, prp-fp, prp-ifp."""
        x, p, y = t
        store, v = self.store, self.vocab
        type_id = v.type
        for c, axiom in r.domain:
            emit(x, type_id, c, "prp-dom", (axiom, t))
        for c, axiom in r.range:
            emit(y, type_id, c, "prp-rng", (axiom, t))
        for p2, rule, axiom in r.superproperties:
            emit(x, p2, y, rule, (axiom, t))
        for p2, rule, axiom in r.inverses:
            emit(y, p2, x, rule, (axiom, t))
        if r.symmetric is not None:
            emit(y, p, x, "prp-symp", (r.symmetric, t))
        if r.transitive is not None:
            axiom = r.transitive
            for z in sorted(store.objects(y, p)):
                emit(x, p, z, "prp-trp", (axiom, t, (y, p, z)))
            for w in sorted(store.subjects(p, x)):
                emit(w, p, y, "prp-trp", (axiom, (w, p, x), t))
        for chain_property, chain, pos, axiom in r.chains:
            self._chain(t, chain_property, chain, pos, axiom, emit)
        restrictions = r.has_value.get(y)
        if restrictions:
            for restriction, axioms in restrictions:
                emit(x, type_id, restriction, "cls-hv2", (*axioms, t))
        for restriction, filler, axioms in r.some_values:
            if filler == v.thing:
                emit(x, type_id, restriction, "cls-svf2", (*axioms, t))
            elif store.has(y, type_id, filler):
                emit(x, type_id, restriction, "cls-svf1", (*axioms, t, (y, type_id, filler)))
        for restriction, filler, axioms in r.all_values:
            if store.has(x, type_id, restriction):
                emit(y, type_id, filler, "cls-avf", (*axioms, (x, type_id, restriction), t))
        if r.functional is not None:
            for y2 in sorted(store.objects(x, p)):
                if y2 != y:
                    premises = (r.functional, t, (x, p, y2))
                    emit(y, v.same_as, y2, "prp-fp", premises)
                    emit(y2, v.same_as, y, "prp-fp", premises)
        if r.inverse_functional is not None:
            for x2 in sorted(store.subjects(p, y)):
                if x2 != x:
                    premises = (r.inverse_functional, t, (x2, p, y))
                    emit(x, v.same_as, x2, "prp-ifp", premises)
                    emit(x2, v.same_as, x, "prp-ifp", premises)

    def _chain(
        self,
        t: IdTriple,
        chain_property: int,
        chain: tuple[int, ...],
        pos: int,
        axiom: IdTriple,
        emit: Emit,
    ) -> None:
        """prp-spo2: extend the delta triple at `pos` leftwards and rightwards along the chain."""
        store = self.store
        x, _, y = t
        left: list[tuple[int, tuple[IdTriple, ...]]] = [(x, ())]
        for j in range(pos - 1, -1, -1):
            link = chain[j]
            left = [
                (w, ((w, link, cur), *path))
                for cur, path in left
                for w in sorted(store.subjects(link, cur))
            ]
            if not left:
                return
        right: list[tuple[int, tuple[IdTriple, ...]]] = [(y, ())]
        for j in range(pos + 1, len(chain)):
            link = chain[j]
            right = [
                (z, (*path, (cur, link, z)))
                for cur, path in right
                for z in sorted(store.objects(cur, link))
            ]
            if not right:
                return
        for start, lpath in left:
            for end, rpath in right:
                emit(start, chain_property, end, "prp-spo2", (axiom, *lpath, t, *rpath))

    def _equality(self, t: IdTriple, emit: Emit) -> None:
        """eq-sym, eq-trans, eq-rep-s, eq-rep-o (only when sameAs can arise)."""
        store, v = self.store, self.vocab
        s, p, o = t
        if store.literal[s] or store.literal[o]:
            return
        same = v.same_as
        if p == same:
            if s == o:
                return
            emit(o, same, s, "eq-sym", (t,))
            for z in sorted(store.objects(o, same)):
                if z != s:
                    emit(s, same, z, "eq-trans", (t, (o, same, z)))
            for pred in sorted(store.so):
                if pred == same:
                    continue
                for obj in sorted(store.objects(s, pred)):
                    emit(o, pred, obj, "eq-rep-s", (t, (s, pred, obj)))
                for subj in sorted(store.subjects(pred, s)):
                    emit(subj, pred, o, "eq-rep-o", (t, (subj, pred, s)))
            return
        for s2 in sorted(store.objects(s, same)):
            if s2 != s:
                emit(s2, p, o, "eq-rep-s", ((s, same, s2), t))
        for o2 in sorted(store.objects(o, same)):
            if o2 != o:
                emit(s, p, o2, "eq-rep-o", ((o, same, o2), t))

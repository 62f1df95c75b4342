"""An in-memory triple store over interned term ids, indexed for forward chaining."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rdflib import Literal
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

IdTriple = tuple[int, int, int]
EMPTY: frozenset[int] = frozenset()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small tuples are made.

    They hold no cycles, but the collector would rescan them again and again (a third of the
    reasoning time at 1 M triples, and most of writing the derivation file)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # What was made meanwhile is long-lived: move it straight to the oldest generation
            # instead of letting the next young collections walk millions of objects (~3 s at
            # 1 M triples). Skipped when something else froze objects (unfreeze would free them).
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Derivation:
    """How one triple was first derived: the rule, its premises and the round it appeared in."""

    rule: str
    premises: tuple[IdTriple, ...]
    round: int


class FactStore:
    """Triples as id tuples with predicate-major indexes, a term table and derivation records."""

    def __init__(self) -> None:
        """Create an empty store."""
        self.terms: list[Node] = []
        self.ids: dict[Node, int] = {}
        self.literal: list[bool] = []
        self.so: dict[int, dict[int, set[int]]] = {}
        self.os: dict[int, dict[int, set[int]]] = {}
        self.derivations: dict[IdTriple, Derivation] = {}
        self.size = 0

    def intern(self, term: Node) -> int:
        """Return the id of a term, adding it to the table when new."""
        found = self.ids.get(term)
        if found is None:
            found = len(self.terms)
            self.ids[term] = found
            self.terms.append(term)
            self.literal.append(isinstance(term, Literal))
        return found

    def has(self, s: int, p: int, o: int) -> bool:
        """Tell whether the triple is in the store."""
        by_s = self.so.get(p)
        if by_s is None:
            return False
        objs = by_s.get(s)
        return objs is not None and o in objs

    def has_triple(self, t: IdTriple) -> bool:
        """Tell whether the (id) triple is in the store."""
        return self.has(t[0], t[1], t[2])

    def add(self, t: IdTriple) -> bool:
        """Add a triple; return False when it was already there."""
        s, p, o = t
        by_s = self.so.get(p)
        if by_s is None:
            by_s = self.so[p] = {}
            self.os[p] = {}
        objs = by_s.get(s)
        if objs is None:
            objs = by_s[s] = set()
        elif o in objs:
            return False
        objs.add(o)
        subs = self.os[p].get(o)
        if subs is None:
            self.os[p][o] = {s}
        else:
            subs.add(s)
        self.size += 1
        return True

    def objects(self, s: int, p: int) -> set[int] | frozenset[int]:
        """Return the objects of (s, p, ?) (do not modify the returned set)."""
        by_s = self.so.get(p)
        if by_s is None:
            return EMPTY
        return by_s.get(s, EMPTY)

    def subjects(self, p: int, o: int) -> set[int] | frozenset[int]:
        """Return the subjects of (?, p, o) (do not modify the returned set)."""
        by_o = self.os.get(p)
        if by_o is None:
            return EMPTY
        return by_o.get(o, EMPTY)

    def one_object(self, s: int, p: int) -> int | None:
        """Return the smallest object of (s, p, ?), or None."""
        objs = self.objects(s, p)
        return min(objs) if objs else None

    def triples(self) -> list[IdTriple]:
        """Return every triple, sorted."""
        out = [(s, p, o) for p, by_s in self.so.items() for s, objs in by_s.items() for o in objs]
        out.sort()
        return out

    def term_triple(self, t: IdTriple) -> tuple[Node, Node, Node]:
        """Return the rdflib terms of an id triple."""
        terms = self.terms
        return terms[t[0]], terms[t[1]], terms[t[2]]


class Vocab:
    """Ids of the RDF, RDFS and OWL terms the rules look for, interned in one store."""

    def __init__(self, store: FactStore) -> None:
        """Intern the vocabulary into `store`."""
        i = store.intern
        self.type = i(RDF.type)
        self.first = i(RDF.first)
        self.rest = i(RDF.rest)
        self.nil = i(RDF.nil)
        self.sco = i(RDFS.subClassOf)
        self.spo = i(RDFS.subPropertyOf)
        self.domain = i(RDFS.domain)
        self.range = i(RDFS.range)
        self.eqc = i(OWL.equivalentClass)
        self.eqp = i(OWL.equivalentProperty)
        self.inverse = i(OWL.inverseOf)
        self.chain = i(OWL.propertyChainAxiom)
        self.intersection = i(OWL.intersectionOf)
        self.union = i(OWL.unionOf)
        self.svf = i(OWL.someValuesFrom)
        self.avf = i(OWL.allValuesFrom)
        self.has_value = i(OWL.hasValue)
        self.on_property = i(OWL.onProperty)
        self.same_as = i(OWL.sameAs)
        self.thing = i(OWL.Thing)
        self.owl_class = i(OWL.Class)
        self.transitive = i(OWL.TransitiveProperty)
        self.symmetric = i(OWL.SymmetricProperty)
        self.functional = i(OWL.FunctionalProperty)
        self.inverse_functional = i(OWL.InverseFunctionalProperty)
        self.property_types = (i(OWL.ObjectProperty), i(OWL.DatatypeProperty), i(RDF.Property))
        self.schema_predicates = frozenset(
            {
                self.sco,
                self.spo,
                self.domain,
                self.range,
                self.eqc,
                self.eqp,
                self.inverse,
                self.chain,
                self.intersection,
                self.union,
                self.svf,
                self.avf,
                self.has_value,
                self.on_property,
                self.first,
                self.rest,
            }
        )
        self.schema_types = frozenset(
            {
                self.owl_class,
                self.transitive,
                self.symmetric,
                self.functional,
                self.inverse_functional,
                *self.property_types,
                i(RDFS.Class),
                i(OWL.Restriction),
            }
        )

    def is_schema(self, t: IdTriple) -> bool:
        """Tell whether a triple belongs to the schema the rules are compiled from."""
        return t[1] in self.schema_predicates or (t[1] == self.type and t[2] in self.schema_types)


def list_items(store: FactStore, vocab: Vocab, head: int) -> list[int] | None:
    """Return the members of the RDF list at `head`, or None when it is malformed."""
    items: list[int] = []
    seen: set[int] = set()
    node = head
    while node != vocab.nil:
        if node in seen:
            return None
        seen.add(node)
        first = store.one_object(node, vocab.first)
        rest = store.one_object(node, vocab.rest)
        if first is None or rest is None:
            return None
        items.append(first)
        node = rest
    return items

"""Tell meaningful inferred triples from axiomatic noise, and count the noise by kind.

Kinds, checked in this order (the first that applies is counted):

- ``already-asserted``: the triple is in the ontology or the asserted data.
- ``literal-subject``: a triple about a literal (``"13"^^xsd:integer a xsd:decimal``).
- ``reflexive``: ``x owl:sameAs x``, ``rdfs:subClassOf``, ``owl:equivalentClass``,
  ``rdfs:subPropertyOf`` or ``owl:equivalentProperty`` from a term to itself.
- ``thing-typing``, ``resource-typing``, ``class-typing``: ``rdf:type`` owl:Thing, rdfs:Resource,
  rdfs:Class or owl:Class.
- ``datatype-axiom``: a triple naming an xsd: datatype, rdfs:Datatype or rdfs:Literal.
- ``builtin-vocabulary``: any other triple with an rdf:, rdfs: or owl: term as subject or object
  (``owl:Nothing rdfs:subClassOf als:Drug``, ``rdfs:label a owl:AnnotationProperty``).
- ``inconsistency-report``: owlrl's error-message nodes (the messages are returned separately).
- ``anonymous-class``: a triple mentioning a blank node of a class expression (restrictions,
  intersections, RDF lists), such as ``claim:x a _:restriction``; these are intermediate steps.
- ``retyped-literal``: an inferred triple whose object is a literal that was never asserted and
  that no domain rule produced (owlrl's ``"1.00"^^xsd:decimal`` copies).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .terms import Triple, is_builtin, is_xsd

ERROR_NAMESPACE = "http://www.daml.org/2002/03/agents/agent-ont#"
NOISE_KINDS = (
    "already-asserted",
    "literal-subject",
    "reflexive",
    "thing-typing",
    "resource-typing",
    "class-typing",
    "datatype-axiom",
    "builtin-vocabulary",
    "inconsistency-report",
    "anonymous-class",
    "retyped-literal",
)
_REFLEXIVE = frozenset(
    {OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty}
)
_TYPING: dict[Node, str] = {
    OWL.Thing: "thing-typing",
    RDFS.Resource: "resource-typing",
    RDFS.Class: "class-typing",
    OWL.Class: "class-typing",
}
_DATATYPE_TERMS = frozenset(
    {RDFS.Datatype, RDFS.Literal, RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString, RDF.HTML}
)
EXPRESSION_PREDICATES = frozenset(
    {
        OWL.onProperty,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.complementOf,
        OWL.oneOf,
        RDF.first,
        RDF.rest,
        OWL.members,
        OWL.propertyChainAxiom,
        OWL.annotatedSource,
    }
)

# Term kinds: ordinary IRI, builtin vocabulary, datatype, literal, expression bnode, data bnode,
# bnode created by the reasoner.
_IRI, _BUILTIN, _DATATYPE, _LITERAL, _EXPR, _DATA_BNODE, _NEW_BNODE = range(7)


@dataclass
class InputTerms:
    """What the filter needs to know about the input's terms."""

    literals: set[Node] = field(default_factory=set)
    expression_bnodes: set[Node] = field(default_factory=set)
    data_bnodes: set[Node] = field(default_factory=set)

    @classmethod
    def of(cls, ontology: Graph, asserted: Graph) -> InputTerms:
        """Collect the literals and blank nodes of the input graphs."""
        found = cls()
        for graph in (ontology, asserted):
            for s, p, o in graph:
                if isinstance(o, Literal):
                    found.literals.add(o)
                for term in (s, o):
                    if isinstance(term, BNode):
                        if graph is ontology or p in EXPRESSION_PREDICATES:
                            found.expression_bnodes.add(term)
                        else:
                            found.data_bnodes.add(term)
        found.data_bnodes -= found.expression_bnodes
        return found


class NoiseFilter:
    """Classify inferred triples against the input graphs; keeps counts per noise kind."""

    def __init__(self, ontology: Graph, asserted: Graph, terms: InputTerms | None = None) -> None:
        """Index what the filter needs from the input (or take `terms` already collected)."""
        self._ontology = ontology
        self._asserted = asserted
        self.counts: Counter[str] = Counter()
        self.messages: list[str] = []
        terms = terms if terms is not None else InputTerms.of(ontology, asserted)
        self._known_literals: set[Node] = set(terms.literals)
        self._data_bnodes = terms.data_bnodes
        self._expr_bnodes = terms.expression_bnodes
        self._kinds: dict[Node, int] = {}

    def add_rule_literals(self, literals: Iterable[Node]) -> None:
        """Declare literals produced by domain rules as meaningful objects."""
        self._known_literals.update(t for t in literals if isinstance(t, Literal))

    def is_asserted(self, triple: Triple) -> bool:
        """Tell whether a triple is in the ontology or the asserted data."""
        return triple in self._asserted or triple in self._ontology

    def _kind(self, term: Node) -> int:
        kind = self._kinds.get(term)
        if kind is None:
            if isinstance(term, Literal):
                kind = _LITERAL
            elif isinstance(term, BNode):
                if term in self._expr_bnodes:
                    kind = _EXPR
                elif term in self._data_bnodes:
                    kind = _DATA_BNODE
                else:
                    kind = _NEW_BNODE
            elif is_xsd(term) or term in _DATATYPE_TERMS:
                kind = _DATATYPE
            elif is_builtin(term):
                kind = _BUILTIN
            else:
                kind = _IRI
            self._kinds[term] = kind
        return kind

    def classify(self, triple: Triple, check_asserted: bool = True) -> str | None:
        """Return the noise kind of an inferred triple, or None when it is meaningful."""
        s, p, o = triple
        if check_asserted and self.is_asserted(triple):
            return "already-asserted"
        ks, ko = self._kind(s), self._kind(o)
        if ks == _LITERAL:
            return "literal-subject"
        if s == o and p in _REFLEXIVE:
            return "reflexive"
        if p == RDF.type and o in _TYPING:
            return _TYPING[o]
        if ks == _DATATYPE or ko == _DATATYPE:
            return "datatype-axiom"
        if ks == _BUILTIN or ko == _BUILTIN:
            return "builtin-vocabulary"
        if ks == _NEW_BNODE or ko == _NEW_BNODE or str(p).startswith(ERROR_NAMESPACE):
            if str(p).startswith(ERROR_NAMESPACE) and isinstance(o, Literal):
                self.messages.append(str(o))
            return "inconsistency-report"
        if ks == _EXPR or ko == _EXPR:
            return "anonymous-class"
        if ko == _LITERAL and o not in self._known_literals:
            return "retyped-literal"
        return None

    def keep(self, triple: Triple, check_asserted: bool = True) -> bool:
        """Classify a triple, count it if it is noise, and tell whether to keep it."""
        kind = self.classify(triple, check_asserted)
        if kind is None:
            return True
        self.counts[kind] += 1
        return False

    def count(self, kind: str, n: int = 1) -> None:
        """Count `n` triples of a noise kind dropped before classification."""
        self.counts[kind] += n

    def noise_counts(self) -> dict[str, int]:
        """Return the counts per kind, every kind present (zero when none), sorted by kind."""
        return {kind: int(self.counts.get(kind, 0)) for kind in sorted(NOISE_KINDS)}

"""Explanations: how each inferred triple was derived, stored as RDF and read back as a tree.

Shape (one derivation per inferred triple; IRIs are the SHA-1 of the triple's N-Triples line)::

    <id/derivation/SHA1> a als:Derivation ;
        als:derivedTriple <id/statement/SHA1> ;
        als:rule "prp-spo2" ;            # OWL 2 RL rule name or rule file name
        als:round 4 ;                    # premises always come from earlier rounds
        als:via "cls-svf1" ;             # rules of hidden intermediate steps (optional)
        als:premise <id/statement/SHA1a>, <id/statement/SHA1b> .
    <id/statement/SHA1> a rdf:Statement ; rdf:subject … ; rdf:predicate … ; rdf:object … .
    <id/statement/SHA1a> a rdf:Statement ; … ; als:assertedIn <graph/asserted> .

Premises are asserted triples (ontology or data) or inferred triples that have their own
derivation. Intermediate triples that are filtered as noise (a type on an anonymous restriction,
say) are not stored: their own premises take their place and their rules are listed in als:via.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..curation.namespaces import prefixes
from .store import FactStore, IdTriple
from .terms import (
    ASSERTED_GRAPH,
    ASSERTED_IN,
    DERIVATION,
    DERIVATION_BASE,
    DERIVED_TRIPLE,
    ONTOLOGY_GRAPH,
    PREMISE,
    ROUND,
    RULE,
    STATEMENT_BASE,
    VIA,
    Triple,
    derivation_iri,
    statement_iri,
    triple_digest,
)


@dataclass(frozen=True)
class Record:
    """The stored derivation of one inferred triple."""

    rule: str
    round: int
    premises: tuple[Triple, ...]
    via: tuple[str, ...] = ()


def flatten(
    store: FactStore, kept: set[IdTriple]
) -> dict[IdTriple, tuple[str, int, tuple[IdTriple, ...], tuple[str, ...]]]:
    """Give each kept triple premises that are asserted or kept, skipping hidden steps."""
    derivations = store.derivations
    memo: dict[IdTriple, tuple[tuple[IdTriple, ...], frozenset[str]]] = {}

    def visible_premises(t: IdTriple) -> tuple[dict[IdTriple, None], set[str]]:
        """Premises of t that are asserted or kept, and the rules of the hidden steps between."""
        premises: dict[IdTriple, None] = {}
        via: set[str] = set()
        for p in derivations[t].premises:
            if p not in derivations or p in kept:
                premises[p] = None
            else:
                sub, sub_via = expand(p)
                premises.update(dict.fromkeys(sub))
                via |= sub_via
        return premises, via

    def expand(t: IdTriple) -> tuple[tuple[IdTriple, ...], frozenset[str]]:
        found = memo.get(t)
        if found is not None:
            return found
        premises, via = visible_premises(t)
        memo[t] = (tuple(premises), frozenset(via | {derivations[t].rule}))
        return memo[t]

    out = {}
    for t in kept:
        d = derivations[t]
        premises, via = visible_premises(t)
        via.discard(d.rule)
        out[t] = (d.rule, d.round, tuple(premises), tuple(sorted(via)))
    return out


def explanation_graph(
    records: dict[Triple, Record],
    asserted: Graph,
    ontology: Graph,
    labels: Mapping[Node, str] | None = None,
) -> Graph:
    """Return the explanations of `records` as RDF (for the named graph graph/explanations).

    `labels` gives blank nodes stable labels for hashing (see terms.canonical_bnode_labels).
    """
    graph = Graph()
    add = graph.add
    stated: dict[Triple, URIRef] = {}
    literals: dict[object, Literal] = {}
    rdf_type, statement_type = RDF.type, RDF.Statement
    subject, predicate, object_ = RDF.subject, RDF.predicate, RDF.object

    def literal(value: object) -> Literal:
        found = literals.get(value)
        if found is None:
            found = literals[value] = (
                Literal(value, datatype=XSD.integer) if isinstance(value, int) else Literal(value)
            )
        return found

    def statement(t: Triple) -> URIRef:
        node = stated.get(t)
        if node is None:
            node = stated[t] = URIRef(STATEMENT_BASE + triple_digest(t, labels))
            add((node, rdf_type, statement_type))
            add((node, subject, t[0]))
            add((node, predicate, t[1]))
            add((node, object_, t[2]))
            if t not in records:
                if t in asserted:
                    add((node, ASSERTED_IN, ASSERTED_GRAPH))
                elif t in ontology:
                    add((node, ASSERTED_IN, ONTOLOGY_GRAPH))
        return node

    for t, record in records.items():
        derived = statement(t)
        node = URIRef(DERIVATION_BASE + derived[len(STATEMENT_BASE) :])
        add((node, rdf_type, DERIVATION))
        add((node, DERIVED_TRIPLE, derived))
        add((node, RULE, literal(record.rule)))
        add((node, ROUND, literal(record.round)))
        for rule in record.via:
            add((node, VIA, literal(rule)))
        for premise in record.premises:
            add((node, PREMISE, statement(premise)))
    return graph


# -- reading explanations back ------------------------------------------------------------------


@dataclass
class Explanation:
    """A derivation tree: the triple, how it was derived and the trees of its premises."""

    triple: Triple
    rule: str | None  # None: asserted
    round: int = 0
    via: tuple[str, ...] = ()
    asserted_in: str | None = None
    premises: list[Explanation] = field(default_factory=list)

    def walk(self) -> Iterator[Explanation]:
        """Yield this node and every node below it, depth first."""
        yield self
        for premise in self.premises:
            yield from premise.walk()


def _graphs(sources: Iterable[object]) -> list[Graph]:
    graphs: list[Graph] = []
    for source in sources:
        if isinstance(source, Dataset):
            graphs.extend(g for g in source.graphs() if len(g))
        elif isinstance(source, Graph):
            graphs.append(source)
        else:
            raise TypeError(f"expected rdflib graphs or datasets, got {type(source).__name__}")
    return graphs


def _split(args: tuple[object, ...]) -> tuple[list[Graph], Triple]:
    if len(args) < 4:
        raise TypeError("expected one or more graphs or datasets, then subject, predicate, object")
    s, p, o = args[-3:]
    if not all(isinstance(t, Node) for t in (s, p, o)):
        raise TypeError("the last three arguments must be rdflib terms: subject, predicate, object")
    return _graphs(args[:-3]), (s, p, o)  # type: ignore[return-value]


def _value(graphs: list[Graph], subject: Node, predicate: Node) -> Node | None:
    for graph in graphs:
        for value in graph.objects(subject, predicate):
            return value
    return None


def _values(graphs: list[Graph], subject: Node, predicate: Node) -> list[Node]:
    found: dict[Node, None] = {}
    for graph in graphs:
        found.update(dict.fromkeys(graph.objects(subject, predicate)))
    return list(found)


def _derivation_of(graphs: list[Graph], triple: Triple, statement: Node | None) -> Node:
    """Find the derivation node of a triple, through its statement node when known.

    Blank nodes get new labels when a dataset is written and read back, so the statement node
    linked from a premise is more reliable than recomputing IRIs from the triple.
    """
    if statement is not None:
        for graph in graphs:
            for node in graph.subjects(DERIVED_TRIPLE, statement):
                return node
    return derivation_iri(triple)


def _tree(
    graphs: list[Graph], triple: Triple, seen: frozenset[Triple], statement: Node | None = None
) -> Explanation:
    node = _derivation_of(graphs, triple, statement)
    rule = _value(graphs, node, RULE)
    if rule is None or triple in seen:
        where = _value(graphs, statement or statement_iri(triple), ASSERTED_IN)
        if where is None:
            for graph in graphs:
                if triple in graph and graph.identifier in (ASSERTED_GRAPH, ONTOLOGY_GRAPH):
                    where = graph.identifier
        return Explanation(triple, None, asserted_in=str(where) if where is not None else None)
    round_value = _value(graphs, node, ROUND)
    via = tuple(sorted(str(v) for v in _values(graphs, node, VIA)))
    premises = []
    for premise in _values(graphs, node, PREMISE):
        s = _value(graphs, premise, RDF.subject)
        p = _value(graphs, premise, RDF.predicate)
        o = _value(graphs, premise, RDF.object)
        if s is None or p is None or o is None:
            continue
        premises.append(_tree(graphs, (s, p, o), seen | {triple}, premise))
    sort_premises(premises)
    round_number = int(round_value) if isinstance(round_value, Literal) else 0
    return Explanation(triple, str(rule), round_number, via, None, premises)


def sort_premises(premises: list[Explanation]) -> None:
    """Order premises: derived first, then asserted data, then ontology axioms; alphabetical."""
    premises.sort(key=lambda e: (e.rule is None, e.asserted_in or "", _sort_text(e.triple)))


def _sort_text(triple: Triple) -> str:
    return " ".join(f"~{t}" if isinstance(t, BNode) else str(t) for t in triple)


def explain(*args: object) -> Explanation:
    """Return the derivation tree of a triple: ``explain(graph_or_dataset..., s, p, o)``.

    The graphs must include the explanations graph; a triple with no derivation is a leaf
    (asserted). Raises LookupError when the triple is in none of the graphs and has no
    derivation.
    """
    graphs, triple = _split(args)
    tree = _tree(graphs, triple, frozenset())
    if tree.rule is None and not any(triple in g for g in graphs):
        raise LookupError(f"{_nt_short(triple, _prefix_table())} is neither asserted nor inferred")
    return tree


def _prefix_table() -> list[tuple[str, str]]:
    table = sorted(((iri, name) for name, iri in prefixes().items()), key=lambda x: -len(x[0]))
    return table


def _short(term: Node, table: list[tuple[str, str]]) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        if text == str(RDF.type):
            return "a"
        for iri, name in table:
            if text.startswith(iri):
                local = text[len(iri) :]
                if local and all(ch.isalnum() or ch in "-_." for ch in local):
                    return f"{name}:{local}"
        return f"<{text}>"
    return term.n3()


def _nt_short(triple: Triple, table: list[tuple[str, str]]) -> str:
    return " ".join(_short(t, table) for t in triple)


def render_text(tree: Explanation) -> str:
    """Render a derivation tree as indented text down to asserted triples."""
    table = _prefix_table()
    lines: list[str] = []

    def label(node: Explanation) -> str:
        if node.rule is None:
            where = node.asserted_in.rsplit("/", 1)[-1] if node.asserted_in else "input"
            return f"[asserted: {where}]"
        via = f" via {', '.join(node.via)}" if node.via else ""
        return f"[{node.rule}{via}, round {node.round}]"

    def visit(node: Explanation, prefix: str, last: bool, root: bool) -> None:
        text = f"{_nt_short(node.triple, table)}  {label(node)}"
        if root:
            lines.append(text)
            child_prefix = ""
        else:
            lines.append(f"{prefix}{'└── ' if last else '├── '}{text}")
            child_prefix = prefix + ("    " if last else "│   ")
        for i, premise in enumerate(node.premises):
            visit(premise, child_prefix, i == len(node.premises) - 1, False)

    visit(tree, "", True, True)
    return "\n".join(lines)


def explain_text(*args: object) -> str:
    """Return the derivation tree of a triple as text: ``explain_text(graphs..., s, p, o)``."""
    return render_text(explain(*args))

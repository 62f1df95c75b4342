"""Domain rules: SPARQL CONSTRUCT files in ``queries/rules/``, run on Oxigraph, with provenance.

A rule file is a SPARQL 1.1 CONSTRUCT query with grlc-style headers::

    #+ summary: one line saying what the rule infers
    #+ stratum: 1        (optional, default 0)

Rules of stratum 0 must be monotone (no negation, no aggregates); a rule of stratum ``n`` may
use ``FILTER NOT EXISTS``, ``MINUS`` and aggregates only over predicates that no rule of stratum
``n`` or above (and no OWL RL rule fed by one) derives. The reasoner reaches the OWL RL fixpoint
with all rules of strata ``<= n`` before moving to ``n + 1``.

The rule runs as ``SELECT *`` over its WHERE clause; each solution instantiates the template (the
derived triples) and the WHERE clause's positive triple patterns (the premises, kept only where
the instantiated triple exists, which handles UNION and OPTIONAL). Patterns inside a sub-select
(typically an aggregate) are matched once per rule run and grouped by the variables the sub-select
projects, so a count's premises are the triples it counted. Blank nodes in templates are refused:
derived nodes need deterministic IRIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.namespace import RDF, XSD
from rdflib.paths import AlternativePath
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from ..curation.namespaces import prefixes
from .terms import Triple, nt_term

BNODE_IRI_PREFIX = "urn:x-alskg-bnode:"
HEADER = re.compile(r"^#\+\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$")

# A premise pattern: subject, alternative predicates, object (terms or variables).
Pattern = tuple[Node, tuple[Node, ...], Node]
Solution = dict[str, Node]
# What a rule reads: (predicate, None) for any triple with that predicate, (rdf:type, class) for
# the members of one class.
Reads = frozenset[tuple[URIRef, URIRef | None]]


class RuleError(ValueError):
    """A rule file is malformed (no summary, not a CONSTRUCT, blank nodes in the template)."""


@dataclass(frozen=True)
class SubSelect:
    """The premise patterns of a sub-select and the projected variables they bind."""

    patterns: tuple[Pattern, ...]
    projected: tuple[str, ...]


@dataclass(frozen=True)
class DomainRule:
    """One parsed rule file."""

    name: str
    summary: str
    stratum: int
    select: str
    template: tuple[Triple, ...]
    patterns: tuple[Pattern, ...]
    subselects: tuple[SubSelect, ...]
    reads: Reads | None  # None: the rule may read any triple


def load_rules(rules_dir: Path | None) -> list[DomainRule]:
    """Parse every ``*.rq`` file of a folder, sorted by (stratum, name)."""
    if rules_dir is None or not rules_dir.is_dir():
        return []
    rules = [
        parse_rule(path.name, path.read_text(encoding="utf-8"))
        for path in sorted(rules_dir.glob("*.rq"))
    ]
    return sorted(rules, key=lambda r: (r.stratum, r.name))


def _headers(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = HEADER.match(line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def _with_prefixes(text: str) -> str:
    declared = {m.group(1) for m in re.finditer(r"(?im)^\s*PREFIX\s+([A-Za-z0-9_-]*):", text)}
    lines = [
        f"PREFIX {name}: <{iri}>"
        for name, iri in sorted(prefixes().items())
        if name not in declared
    ]
    return "\n".join(lines) + "\n" + text


def _strip_comments(text: str) -> str:
    out = []
    for line in text.splitlines():
        in_iri = False
        in_string = False
        cut = len(line)
        for i, ch in enumerate(line):
            if ch == '"' and not in_iri:
                in_string = not in_string
            elif ch == "<" and not in_string:
                in_iri = True
            elif ch == ">" and not in_string:
                in_iri = False
            elif ch == "#" and not in_iri and not in_string:
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def _select_text(name: str, text: str) -> str:
    """Rewrite ``CONSTRUCT { template } WHERE`` into ``SELECT * WHERE``."""
    clean = _strip_comments(text)
    match = re.search(r"\bCONSTRUCT\s*\{", clean, flags=re.IGNORECASE)
    if match is None:
        raise RuleError(f"{name}: not a CONSTRUCT query with a template")
    depth = 0
    end = None
    for i in range(match.end() - 1, len(clean)):
        if clean[i] == "{":
            depth += 1
        elif clean[i] == "}":
            depth -= 1
            if depth == 0:
                end = i + 1
                break
    if end is None:
        raise RuleError(f"{name}: unbalanced braces in the CONSTRUCT template")
    return clean[: match.start()] + "SELECT *" + clean[end:]


def parse_rule(name: str, text: str) -> DomainRule:
    """Parse one rule file's text (named `name`) into a DomainRule."""
    headers = _headers(text)
    summary = headers.get("summary", "")
    if not summary:
        raise RuleError(f"{name}: missing '#+ summary:' header")
    try:
        stratum = int(headers.get("stratum", "0"))
    except ValueError as exc:
        raise RuleError(f"{name}: '#+ stratum:' must be an integer") from exc
    full = _with_prefixes(text)
    try:
        query = prepareQuery(full)
    except Exception as exc:  # pyparsing raises several types
        raise RuleError(f"{name}: SPARQL syntax error: {exc}") from exc
    algebra = query.algebra
    if algebra.name != "ConstructQuery" or not algebra.template:
        raise RuleError(f"{name}: not a CONSTRUCT query with a template")
    template: tuple[Triple, ...] = tuple((t[0], t[1], t[2]) for t in algebra.template)
    if any(isinstance(term, BNode) for t in template for term in t):
        raise RuleError(f"{name}: blank nodes in the template; mint IRIs with BIND(IRI(...))")
    patterns: list[Pattern] = []
    subselects: list[SubSelect] = []
    _collect_patterns(algebra.p, patterns, subselects, top=True)
    reads: set[tuple[URIRef, URIRef | None]] = set()
    open_reads = _collect_reads(algebra.p, reads)
    return DomainRule(
        name=name,
        summary=summary,
        stratum=stratum,
        select=_select_text(name, full),
        template=template,
        patterns=tuple(patterns),
        subselects=tuple(subselects),
        reads=None if open_reads else frozenset(reads),
    )


def _alternatives(predicate: object) -> tuple[Node, ...] | None:
    if isinstance(predicate, (URIRef, Variable)):
        return (predicate,)
    if isinstance(predicate, AlternativePath) and all(
        isinstance(arg, URIRef) for arg in predicate.args
    ):
        return tuple(arg for arg in predicate.args if isinstance(arg, URIRef))
    return None


def _collect_patterns(
    node: object, patterns: list[Pattern], subselects: list[SubSelect], top: bool
) -> None:
    """Collect positive triple patterns (not inside FILTER, EXISTS or MINUS's right side)."""
    if isinstance(node, list):
        for item in node:
            _collect_patterns(item, patterns, subselects, top)
        return
    if not isinstance(node, CompValue):
        return
    if node.name == "BGP":
        for s, p, o in node["triples"]:
            alternatives = _alternatives(p)
            if alternatives is not None:
                patterns.append((s, alternatives, o))
        return
    if node.name == "ToMultiSet" and getattr(node["p"], "name", None) == "Project":
        inner: list[Pattern] = []
        _collect_patterns(node["p"], inner, subselects, top=False)
        project = node["p"]
        inner_vars = {
            str(term)
            for s, preds, o in inner
            for term in (s, *preds, o)
            if isinstance(term, Variable)
        }
        projected = tuple(
            str(v) for v in getattr(project, "PV", None) or [] if str(v) in inner_vars
        )
        subselects.append(SubSelect(tuple(inner), projected))
        return
    if node.name == "Minus":
        _collect_patterns(node["p1"], patterns, subselects, top)
        return
    for key in ("p", "p1", "p2"):
        if key in node:
            _collect_patterns(node[key], patterns, subselects, top)


def _collect_reads(node: object, found: set[tuple[URIRef, URIRef | None]]) -> bool:
    """Collect what the query reads, anywhere in it; return True if a predicate is open."""
    open_read = False
    if isinstance(node, list | tuple):
        for item in node:
            open_read |= _collect_reads(item, found)
        return open_read
    if isinstance(node, CompValue):
        triples = node.get("triples")
        if isinstance(triples, list):
            for triple in triples:
                if isinstance(triple, list | tuple):
                    # parser blocks hold flat runs of subject, predicate, object
                    for i in range(1, len(triple) - 1, 3):
                        open_read |= _read_of(triple[i], triple[i + 1], found)
        for key, value in node.items():
            if key != "triples":
                open_read |= _collect_reads(value, found)
    return open_read


def _read_of(predicate: object, obj: object, found: set[tuple[URIRef, URIRef | None]]) -> bool:
    if isinstance(predicate, URIRef):
        if predicate == RDF.type and isinstance(obj, URIRef):
            found.add((predicate, obj))
        else:
            found.add((predicate, None))
        return False
    if isinstance(predicate, RdfPath):
        open_read = False
        for attr in ("args", "arg", "path"):
            value = getattr(predicate, attr, None)
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    open_read |= _read_of(item, None, found)
        return open_read
    return True


def rule_reads(rules: Iterable[DomainRule]) -> Reads | None:
    """Return what any of the rules reads, or None when one may read any triple."""
    found: set[tuple[URIRef, URIRef | None]] = set()
    for rule in rules:
        if rule.reads is None:
            return None
        found |= rule.reads
    return frozenset(found)


def reads_triple(reads: Reads | None, triple: Triple) -> bool:
    """Tell whether a rule reading `reads` can see `triple`."""
    if reads is None:
        return True
    p = triple[1]
    return (p, None) in reads or (p == RDF.type and (p, triple[2]) in reads)


# -- Oxigraph conversion ------------------------------------------------------------------------


def turtle_term(term: Node) -> str:
    """Return a term as Turtle for loading into Oxigraph (blank nodes as stable IRIs)."""
    if isinstance(term, BNode):
        return f"<{BNODE_IRI_PREFIX}{term}>"
    return nt_term(term)


_XSD_STRING = str(XSD.string)


def from_oxigraph(term: object) -> Node:
    """Convert an Oxigraph term back to rdflib (xsd:string literals become plain literals)."""
    if isinstance(term, ox.NamedNode):
        value = term.value
        if value.startswith(BNODE_IRI_PREFIX):
            return BNode(value[len(BNODE_IRI_PREFIX) :])
        return URIRef(value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unexpected Oxigraph term {term!r}")


def load_store(lines: Iterable[str]) -> ox.Store:
    """Return an in-memory Oxigraph store loaded from Turtle triple lines."""
    store = ox.Store()
    data = "\n".join(lines).encode("utf-8")
    if data:
        store.load(data, format=ox.RdfFormat.TURTLE)
    return store


def triple_lines(triples: Iterable[Triple]) -> Iterator[str]:
    """Yield Turtle lines for rdflib triples."""
    for s, p, o in triples:
        yield f"{turtle_term(s)} {turtle_term(p)} {turtle_term(o)} ."


# -- running ------------------------------------------------------------------------------------


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
    query = _with_prefixes(f"SELECT * WHERE {{\n{body} .\n}}")
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

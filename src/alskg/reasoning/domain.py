"""Domain rules: parsing the SPARQL CONSTRUCT files in ``queries/rules/`` (``rule_run`` runs them).

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, URIRef, Variable
from rdflib.namespace import RDF
from rdflib.paths import AlternativePath
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from ..curation.namespaces import prefixes
from .terms import Triple

HEADER = re.compile(r"^#\+\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$")

# A premise pattern: subject, alternative predicates, object (terms or variables).
Pattern = tuple[Node, tuple[Node, ...], Node]
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


def load_rules(rules_dir: Path | None,
               parse: Callable[[str, str], DomainRule] | None = None) -> list[DomainRule]:
    """Parse every ``*.rq`` file of a folder (with `parse`, default `parse_rule`), sorted by
    (stratum, name)."""
    if rules_dir is None or not rules_dir.is_dir():
        return []
    rules = [
        (parse or parse_rule)(path.name, path.read_text(encoding="utf-8"))
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


def with_prefixes(text: str) -> str:
    """Prepend a PREFIX line for each project prefix the query text does not declare."""
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
    full = with_prefixes(text)
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


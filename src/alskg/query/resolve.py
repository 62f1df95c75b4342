"""Resolve named-query parameters that name a resource: a CURIE, a short name or an external id.

A parameter of type `iri` or `curie` accepts an absolute IRI, a CURIE with a pre-declared prefix
(`intervention:msc-therapy`, `CHEBI:8863`) or a short name (`msc-therapy`, `riluzole`; the
parameter's example or default tells which kind of resource to look in, else every kind). The
value must then name something in the graph: an external identifier that one of the graph's
resources maps to (`skos:exactMatch`, as CHEBI:8863 for riluzole) resolves to that resource, and
a value that names nothing is refused with the closest names the graph has (difflib's ratio over
slugs and labels: the standard library does this well, so no index is needed for a few hundred
names).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from ..curation.namespaces import DEFAULT_BASE
from .catalog import NamedQuery, Parameter, ParameterError

NAMED = ("iri", "curie")
MAX_SUGGESTIONS = 5
Rows = Callable[[str], list[dict[str, Node]]]


def _kind_hint(param: Parameter, prefixes: Mapping[str, str]) -> str | None:
    """Return the resource namespace the parameter's example or default points into, if any."""
    for sample in (param.default, param.example):
        if sample and ":" in sample:
            prefix = sample.split(":", 1)[0]
            namespace = prefixes.get(prefix, "")
            if namespace.startswith(DEFAULT_BASE + "id/"):
                return namespace
    return None


def suggest_kind(param: Parameter, prefixes: Mapping[str, str]) -> str | None:
    """Return the kind a form's typeahead offers for a parameter naming a resource.

    The `id/<kind>/` segment of its example or default (`intervention`), "" for any kind, or None
    for no typeahead: a parameter that is not a resource, or one that takes external ids.
    """
    if param.type not in NAMED or _takes_external(param, prefixes):
        return None
    hint = _kind_hint(param, prefixes)
    if hint is None:
        return ""
    return hint[len(DEFAULT_BASE + "id/"):].strip("/")


def _takes_external(param: Parameter, prefixes: Mapping[str, str]) -> bool:
    """Tell whether the parameter's example or default is an external identifier."""
    for sample in (param.default, param.example):
        if sample and ":" in sample:
            namespace = prefixes.get(sample.split(":", 1)[0])
            if namespace is not None and not namespace.startswith(DEFAULT_BASE):
                return True
    return False


def expand(raw: str, param: Parameter, prefixes: Mapping[str, str], run: Rows) -> str:
    """Return the absolute IRI a raw value names (CURIE expanded, short name looked up).

    A short name with no match is returned unchanged, so that binding reports it.
    """
    text = raw.strip()
    prefix, sep, local = text.partition(":")
    if sep and prefix in prefixes and not local.startswith("//"):
        return prefixes[prefix] + local
    if sep:
        return text
    hint = _kind_hint(param, prefixes)
    root = hint or DEFAULT_BASE + "id/"
    found = [str(row["resource"]) for row in run(_SLUG_QUERY.replace(
        "$NAME", _literal(text)).replace("$ROOT", _literal(root))) if "resource" in row]
    if root + text in found:
        return root + text
    return found[0] if found else root + text


_SLUG_QUERY = """SELECT DISTINCT ?resource WHERE {
  { ?resource a ?type .
    FILTER (isIRI(?resource) && STRSTARTS(STR(?resource), $ROOT)
            && STRENDS(STR(?resource), CONCAT("/", $NAME))) }
  UNION
  { ?resource <http://www.w3.org/2000/01/rdf-schema#label>
              |<http://www.w3.org/2004/02/skos/core#altLabel> ?label .
    FILTER (isIRI(?resource) && STRSTARTS(STR(?resource), $ROOT)
            && LCASE(STR(?label)) = LCASE($NAME)) }
} ORDER BY STRLEN(STR(?resource)) ?resource LIMIT 5"""

_DESCRIBED = """ASK { { <$IRI> a ?type } UNION
  { <$IRI> <http://www.w3.org/2000/01/rdf-schema#label> ?label } }"""
_MAPPED = """SELECT DISTINCT ?resource WHERE {
  ?resource <http://www.w3.org/2004/02/skos/core#exactMatch> <$IRI> } LIMIT 2"""
_MENTIONED = "ASK { { <$IRI> ?p ?o } UNION { ?s ?p <$IRI> } }"
_NAMES = """SELECT ?resource ?label WHERE {
  ?resource <http://www.w3.org/2000/01/rdf-schema#label>
            |<http://www.w3.org/2004/02/skos/core#altLabel> ?label .
  FILTER (isIRI(?resource) && STRSTARTS(STR(?resource), $ROOT))
}"""


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve(named: NamedQuery, raw: Mapping[str, str], prefixes: Mapping[str, str],
            run: Rows, ask: Callable[[str], bool]) -> dict[str, Node]:
    """Return the query's bindings with every named resource resolved, or raise ParameterError.

    `run` and `ask` answer SELECT and ASK text over the build (a Service or an engine).
    """
    given = dict(raw)
    by_name = {p.name: p for p in named.params}
    for name, value in raw.items():
        param = by_name.get(name)
        if param is not None and param.type in NAMED and value.strip():
            given[name] = expand(value, param, prefixes, run)
    bound = named.bindings(given, dict(prefixes))
    by_variable = {p.variable: p for p in named.params}
    for variable, term in list(bound.items()):
        param = by_variable.get(variable)
        if param is None or param.type not in NAMED or not isinstance(term, URIRef):
            continue
        bound[variable] = _existing(param, raw.get(param.name, str(term)), term, prefixes, run,
                                   ask)
    return bound


def _existing(param: Parameter, raw: str, term: URIRef, prefixes: Mapping[str, str],
              run: Rows, ask: Callable[[str], bool]) -> URIRef:
    iri = str(term)
    if any(c in iri for c in "<>\"{}|\\^` \n"):
        raise ParameterError(param.name, "an IRI, a CURIE or a short name", raw)
    if ask(_DESCRIBED.replace("$IRI", iri)):
        return term
    if _takes_external(param, prefixes) and ask(_MENTIONED.replace("$IRI", iri)):
        return term   # the query matches external ids itself (CL:0000134 stays CL:0000134)
    mapped = run(_MAPPED.replace("$IRI", iri))
    if len(mapped) == 1:
        return URIRef(str(mapped[0]["resource"]))
    if ask(_MENTIONED.replace("$IRI", iri)):
        return term
    hint = _kind_hint(param, prefixes)
    raise ParameterError(param.name, "a resource of this graph", raw,
                         "it names nothing here" + _suggestions(raw, hint, prefixes, run))


def _suggestions(raw: str, hint: str | None, prefixes: Mapping[str, str], run: Rows) -> str:
    names = run(_NAMES.replace("$ROOT", _literal(hint or DEFAULT_BASE + "id/")))
    wanted = raw.strip().rsplit(":", 1)[-1].rsplit("/", 1)[-1].lower()
    scored: dict[str, float] = {}
    for row in names:
        resource, label = str(row["resource"]), str(row.get("label", ""))
        slug = resource.rsplit("/", 1)[-1].lower()
        score = max(difflib.SequenceMatcher(None, wanted, slug).ratio(),
                    difflib.SequenceMatcher(None, wanted, label.lower()).ratio())
        if score >= 0.5:
            scored[resource] = max(score, scored.get(resource, 0.0))
    best = sorted(scored, key=lambda r: (-scored[r], r))[:MAX_SUGGESTIONS]
    if not best:
        return ""
    return "; closest: " + ", ".join(_curie(r, prefixes) for r in best)


def _curie(iri: str, prefixes: Mapping[str, str]) -> str:
    for prefix, namespace in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if namespace.startswith(DEFAULT_BASE + "id/") and iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def suggestions_of(error: ParameterError) -> list[str]:
    """Return the closest names an unresolved parameter's error message offers (for JSON)."""
    text = str(error)
    return text.split("; closest: ", 1)[1].split(", ") if "; closest: " in text else []


def service_resolver(service: Any) -> tuple[Rows, Callable[[str], bool]]:
    """Return (run, ask) over a query Service (the web app's)."""
    return (lambda text: service.rows(text)), (lambda text: service.ask(text))

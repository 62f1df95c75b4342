"""The remote engine: answer queries from a SPARQL 1.1 store over HTTP (Virtuoso, Fuseki, ...).

The store is named `sparql+http://host:port/sparql` (the `sparql+` prefix is dropped) and is
spoken to with the SPARQL 1.1 Protocol only: a URL-encoded POST carrying the query and the
dataset as `default-graph-uri` / `named-graph-uri` parameters. Nothing in the query text is
rewritten except what the embedded engines do outside the text:

- the pre-declared prefixes are prepended (only those the query uses and does not declare);
- typed bindings (named-query parameters, `?_name`) are substituted into the text as constants,
  the same semantics as Oxigraph's `substitutions` (SEP-0007); a bound variable that the query
  projects is projected as `(<value> AS ?_name)`.

Stores add graphs of their own (Virtuoso keeps its system graphs beside ours), so the dataset is
always explicit: when a request names default graphs but no named graphs, a named graph that
holds nothing is sent, so `GRAPH ?g` cannot wander into the store's own graphs. Stores that
combine FROM in the query text with the protocol dataset (Virtuoso does) differ from the embedded
engines there, where the protocol dataset replaces FROM.

Results come back as SPARQL JSON (SELECT, ASK) or N-Triples/Turtle (CONSTRUCT, DESCRIBE) and are
turned into rdflib terms exactly as the Oxigraph engine does (an `xsd:string` literal is a plain
literal). The deadline becomes the HTTP request's own deadline (-> StoreTimeout, 504); rows past
the cap are dropped and the outcome marked truncated. Queries run side by side (no lock): each is
its own HTTP request.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from rdflib.term import Node

from ...curation.namespaces import DEFAULT_BASE, GRAPH_NAMES, graph_iri
from ...errors import QuerySyntaxError, StoreTimeout
from ...formats.terms import from_oxigraph as to_rdflib
from ...formats.terms import from_sparql_json
from ...formats.terms import sparql_text as term_text
from ..sparqltext import masked, query_form
from .base import DatasetSpec, Engine, QueryOutcome
from .store_client import (
    DEFAULT_TIMEOUT,
    HttpAnswer,
    RemoteStoreError,
    StoreClient,
    parse_auth,
    raise_for_answer,
    store_url,
)

__all__ = ["EMPTY_GRAPH", "HttpAnswer", "RemoteEngine", "RemoteStoreError", "StoreClient",
           "parse_auth", "raise_for_answer", "store_url"]

JSON_RESULTS = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
FORM_TYPE = "application/x-www-form-urlencoded"
#: A graph no store holds: sent as the only named graph when a request names none, because some
#: stores (Virtuoso) read "no named-graph-uri" as "every graph, system graphs included".
EMPTY_GRAPH = "urn:x-alskg:no-named-graph"

_PREFIX_DECL = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w.\-]*)?\s*:")
# Tokens of a query that the binding substitution must step over or act on.
_TOKENS = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*)"
    r"|(?P<var>[?$][A-Za-z0-9_\u00B7-\U000EFFFF]+)"
    r"|(?P<word>[A-Za-z_][\w]*)"
    r"|(?P<open>[{(])|(?P<close>[})])",
)


class RemoteEngine(Engine):
    """Answer queries from a remote SPARQL store; the build's graphs must have been published."""

    name = "remote"
    thread_safe = True  # every query is its own HTTP request: no state shared between them

    def __init__(self, store: str, *, base: str = DEFAULT_BASE, auth: str | None = None,
                 graphs: Iterable[str] | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(base)
        self.url = store_url(store)
        self.client = StoreClient(auth)
        self.timeout = timeout
        self.known_graphs = tuple(graphs) if graphs is not None else tuple(
            graph_iri(name, base) for name in GRAPH_NAMES)
        self._graph_names: list[str] | None = None

    # -- the engine contract ---------------------------------------------------------------
    def graph_names(self, deadline: float | None = None) -> list[str]:
        """Return those of the build's graphs (and any `graphs` given) the store holds."""
        if self._graph_names is None:
            if not self.known_graphs:
                return []
            outcome = self._send(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                (EMPTY_GRAPH,), self.known_graphs, "SELECT", 10_000, deadline)
            self._graph_names = sorted(str(row[0]) for row in outcome.rows if row[0] is not None)
        return list(self._graph_names)

    def _run(self, query: str, spec: DatasetSpec, bindings: dict[str, Node], max_rows: int,
             deadline: float | None) -> QueryOutcome:
        form = query_form(query)
        if form is None:
            raise QuerySyntaxError("not a SPARQL query (expected SELECT, ASK, CONSTRUCT or "
                                   "DESCRIBE)")
        default, named = spec.effective(self.base)
        if named is None:
            named = tuple(self.graph_names(deadline))
        text = self.prepare(query, bindings)
        return self._send(text, default or (EMPTY_GRAPH,), named or (EMPTY_GRAPH,), form,
                          max_rows, deadline)

    # -- helpers -----------------------------------------------------------------------------
    def prepare(self, query: str, bindings: dict[str, Node] | None = None) -> str:
        """Return the text sent to the store: used prefixes declared, bindings substituted."""
        text = substitute(query, bindings) if bindings else query
        return with_prefixes(text, self.prefixes)

    def _send(self, text: str, default: tuple[str, ...], named: tuple[str, ...], form: str,
              max_rows: int, deadline: float | None) -> QueryOutcome:
        params: list[tuple[str, str]] = [("query", text)]
        params += [("default-graph-uri", g) for g in default]
        params += [("named-graph-uri", g) for g in named]
        accept = JSON_RESULTS if form in ("SELECT", "ASK") else GRAPH_ACCEPT
        timeout = self.timeout
        if deadline is not None:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise StoreTimeout("the store used up the query's time limit")
        answer = self.client.request(
            "POST", self.url, data=urllib.parse.urlencode(params).encode("utf-8"),
            headers={"Content-Type": FORM_TYPE, "Accept": accept}, timeout=timeout)
        if answer.status >= 400:
            raise_for_answer(answer)
        if "s1tat" in answer.headers.get("x-sql-state", "").lower():
            # Virtuoso's "anytime query": partial results after its own time limit.
            raise StoreTimeout("the store stopped the query at its time limit")
        if form in ("SELECT", "ASK"):
            return parse_json_results(answer.body, max_rows)
        return parse_graph_results(answer.body, answer.content_type, max_rows, form)


# -- query text ------------------------------------------------------------------------------
def declared_prefixes(query: str) -> set[str]:
    """Return the prefix names the query declares (outside strings, IRIs and comments)."""
    return {m.group(1) or "" for m in _PREFIX_DECL.finditer(masked(query))}


def with_prefixes(query: str, table: dict[str, str]) -> str:
    """Prepend the pre-declared prefixes the query uses but does not declare."""
    text = masked(query)
    declared = declared_prefixes(query)
    lines = []
    for name, iri in table.items():
        if name in declared:
            continue
        if re.search(rf"(?<![\w.\-:]){re.escape(name)}:", text):
            lines.append(f"PREFIX {name}: <{iri}>\n")
    return "".join(lines) + query


def substitute(query: str, bindings: dict[str, Node]) -> str:
    """Replace bound variables by their values (SEP-0007); projected ones become (v AS ?x)."""
    values = {name.lstrip("?$"): term_text(term) for name, term in bindings.items()}
    out: list[str] = []
    position = 0
    # Track the projection: after SELECT, until the WHERE keyword or the `{` that opens the
    # pattern, at the same parenthesis depth.
    in_projection = False
    paren_depth = 0
    previous_word = ""
    for match in _TOKENS.finditer(query):
        out.append(query[position:match.start()])
        position = match.end()
        token = match.group(0)
        kind = match.lastgroup
        if kind == "word":
            upper = token.upper()
            if upper == "SELECT":
                in_projection, paren_depth = True, 0
            elif upper == "WHERE" and in_projection and paren_depth == 0:
                in_projection = False
            previous_word = upper
            out.append(token)
            continue
        if kind == "open":
            if token == "{" and in_projection and paren_depth == 0:
                in_projection = False
            if token == "(":
                paren_depth += 1
            out.append(token)
            previous_word = ""
            continue
        if kind == "close":
            if token == ")":
                paren_depth = max(0, paren_depth - 1)
            out.append(token)
            previous_word = ""
            continue
        if kind == "var":
            name = token[1:]
            if name in values and previous_word != "AS":
                if in_projection and paren_depth == 0:
                    out.append(f"({values[name]} AS ?{name})")
                else:
                    out.append(values[name])
            else:
                out.append(token)
            previous_word = ""
            continue
        out.append(token)
    out.append(query[position:])
    return "".join(out)


# -- results ---------------------------------------------------------------------------------
def json_term(value: dict[str, Any]) -> Node:
    """Convert one SPARQL JSON result term to an rdflib term (the rules of formats.terms)."""
    try:
        return from_sparql_json(value)
    except ValueError as exc:
        raise RemoteStoreError(f"the store's JSON results: {exc}") from None


def parse_json_results(body: bytes, max_rows: int) -> QueryOutcome:
    """Parse SPARQL 1.1 JSON results (SELECT or ASK) into a QueryOutcome."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RemoteStoreError(f"the store's JSON results do not parse: {exc}") from None
    if "boolean" in data:
        return QueryOutcome("ASK", boolean=bool(data["boolean"]))
    names = [str(v) for v in data.get("head", {}).get("vars", [])]
    outcome = QueryOutcome("SELECT", variables=names)
    for count, binding in enumerate(data.get("results", {}).get("bindings", [])):
        if count >= max_rows:
            outcome.truncated = True
            break
        outcome.rows.append(tuple(json_term(binding[n]) if n in binding else None
                                  for n in names))
    return outcome


def parse_graph_results(body: bytes, content_type: str, max_rows: int,
                        form: str = "CONSTRUCT") -> QueryOutcome:
    """Parse N-Triples (or Turtle) results of CONSTRUCT / DESCRIBE into a QueryOutcome."""
    import pyoxigraph as ox


    fmt = ox.RdfFormat.TURTLE if "turtle" in content_type else ox.RdfFormat.N_TRIPLES
    if content_type in ("application/rdf+xml",):
        fmt = ox.RdfFormat.RDF_XML
    outcome = QueryOutcome(form)
    try:
        for count, triple in enumerate(ox.parse(body, format=fmt)):
            if count >= max_rows:
                outcome.truncated = True
                break
            s, p, o = (to_rdflib(t) for t in (triple.subject, triple.predicate, triple.object))
            assert s is not None and p is not None and o is not None
            outcome.triples.append((s, p, o))
    except SyntaxError as exc:
        raise RemoteStoreError(f"the store's {content_type or 'graph'} results do not parse: "
                               f"{exc}") from None
    return outcome

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
literal). The deadline becomes the HTTP timeout (-> QueryTimeout); rows past the cap are dropped
and the outcome marked truncated.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib.term import Node

from ...curation.namespaces import DEFAULT_BASE, GRAPH_NAMES, graph_iri
from ...errors import AlskgError, QuerySyntaxError
from ...formats.terms import from_oxigraph as to_rdflib
from ...formats.terms import from_sparql_json
from ...formats.terms import sparql_text as term_text
from ..sparqltext import masked, query_form
from .base import DatasetSpec, Engine, QueryOutcome, QueryTimeout

JSON_RESULTS = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
FORM_TYPE = "application/x-www-form-urlencoded"
#: A graph no store holds: sent as the only named graph when a request names none, because some
#: stores (Virtuoso) read "no named-graph-uri" as "every graph, system graphs included".
EMPTY_GRAPH = "urn:x-alskg:no-named-graph"
DEFAULT_TIMEOUT = 60.0
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


class RemoteStoreError(AlskgError):
    """The remote store could not be reached or answered with an error we cannot map."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def store_url(url: str) -> str:
    """Return the HTTP URL of a store named `sparql+http(s)://…` (or already `http(s)://…`)."""
    url = url.strip()
    if url.startswith("sparql+"):
        url = url[len("sparql+"):]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"store URL must be sparql+http(s)://host[:port]/path, got {url!r}")
    return url


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """Split "user:password" (the password may contain colons); None or "" means no auth."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user:
        raise ValueError("credentials must be given as user:password")
    return user, password


@dataclass
class HttpAnswer:
    """A store's HTTP answer: status, headers (lower-cased names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class StoreClient:
    """HTTP to a store, with basic or digest authentication and timeouts as QueryTimeout.

    With credentials, the first request to a server is preceded by a body-less GET that learns
    which scheme it asks for: a store answering 401 before reading a large body (Virtuoso's
    digest endpoints do) would otherwise break the pipe mid-upload. A digest challenge is kept
    and reused (nonce count incremented) until the server calls it stale.
    """

    def __init__(self, auth: str | tuple[str, str] | None = None) -> None:
        self.credentials = parse_auth(auth) if isinstance(auth, str) or auth is None else auth
        self._opener = urllib.request.build_opener()
        self._schemes: dict[str, dict[str, str] | None] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float | None = None
                ) -> HttpAnswer:
        """Send one request; HTTP errors come back as answers, transport failures raise."""
        all_headers = {"User-Agent": "alskg-remote/1"}
        all_headers.update(headers or {})
        if not self.credentials:
            return self._send(method, url, data, all_headers, timeout)
        root = _root(url)
        if root not in self._schemes:
            probe = self._send("GET", root, None, {"User-Agent": "alskg-remote/1"}, timeout)
            self._learn(root, probe)
        for attempt in range(2):
            auth = self._authorization(root, method, url)
            if auth:
                all_headers["Authorization"] = auth
            answer = self._send(method, url, data, all_headers, timeout)
            if answer.status != 401 or attempt:
                return answer
            if not self._learn(root, answer):
                return answer
        return answer

    def _learn(self, root: str, answer: HttpAnswer) -> bool:
        """Remember the scheme a 401 asks for; return True when it is one we can answer."""
        with self._lock:
            if answer.status != 401:
                self._schemes[root] = None
                return False
            challenge = answer.headers.get("www-authenticate", "")
            if challenge.lower().startswith("digest"):
                self._schemes[root] = {"scheme": "digest", **_parse_challenge(challenge[6:])}
                self._counts[root] = 0
                return True
            if challenge.lower().startswith("basic"):
                self._schemes[root] = {"scheme": "basic"}
                return True
            self._schemes[root] = None
            return False

    def _authorization(self, root: str, method: str, url: str) -> str | None:
        assert self.credentials is not None
        user, password = self.credentials
        with self._lock:
            scheme = self._schemes.get(root)
            if scheme is None:
                return None
            if scheme["scheme"] == "basic":
                token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                return f"Basic {token}"
            self._counts[root] = self._counts.get(root, 0) + 1
            count = self._counts[root]
        parts = urllib.parse.urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        realm, nonce = scheme.get("realm", ""), scheme.get("nonce", "")
        qop = "auth" if "auth" in [q.strip() for q in scheme.get("qop", "").split(",")] else ""
        ha1 = _md5(f"{user}:{realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        cnonce = os.urandom(8).hex()
        nc = f"{count:08x}"
        if qop:
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
                  f'response="{response}"', 'algorithm="MD5"']
        if "opaque" in scheme:
            fields.append(f'opaque="{scheme["opaque"]}"')
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        return "Digest " + ", ".join(fields)

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
              timeout: float | None) -> HttpAnswer:
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=timeout if timeout is not None else
                                   DEFAULT_TIMEOUT) as response:
                body = response.read()
                return HttpAnswer(response.status, _lower(response.headers.items()), body)
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read()
            except (OSError, TimeoutError):
                body = b""
            return HttpAnswer(exc.code, _lower(exc.headers.items() if exc.headers else []), body)
        except TimeoutError as exc:
            raise QueryTimeout(f"the store did not answer in time ({exc})") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise QueryTimeout("the store did not answer in time") from None
            raise RemoteStoreError(f"cannot reach the store at {url}: {exc.reason}") from None
        except (ConnectionError, OSError) as exc:
            raise RemoteStoreError(f"cannot reach the store at {url}: {exc}") from None


def _root(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _parse_challenge(text: str) -> dict[str, str]:
    """Parse the key=value pairs of a WWW-Authenticate challenge (quoted or not)."""
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in re.finditer(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', text)}


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


class RemoteEngine(Engine):
    """Answer queries from a remote SPARQL store; the build's graphs must have been published."""

    name = "remote"

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
                raise QueryTimeout("query exceeded its time limit")
        answer = self.client.request(
            "POST", self.url, data=urllib.parse.urlencode(params).encode("utf-8"),
            headers={"Content-Type": FORM_TYPE, "Accept": accept}, timeout=timeout)
        if answer.status >= 400:
            raise_for_answer(answer)
        if "s1tat" in answer.headers.get("x-sql-state", "").lower():
            # Virtuoso's "anytime query": partial results after its own time limit.
            raise QueryTimeout("the store stopped the query at its time limit")
        if form in ("SELECT", "ASK"):
            return parse_json_results(answer.body, max_rows)
        return parse_graph_results(answer.body, answer.content_type, max_rows, form)


def raise_for_answer(answer: HttpAnswer) -> None:
    """Turn a store's error answer into QuerySyntaxError, QueryTimeout or RemoteStoreError."""
    message = answer.body.decode("utf-8", "replace").strip()[:2000]
    lowered = message.lower()
    if answer.status == 400 or "sp030" in lowered or "syntax error" in lowered:
        raise QuerySyntaxError(message or f"the store rejected the query (HTTP {answer.status})")
    if answer.status in (503, 504) and ("timeout" in lowered or "time limit" in lowered
                                        or "s1t00" in lowered):
        raise QueryTimeout(message)
    if "s1t00" in lowered or "estimated execution time" in lowered:
        raise QueryTimeout(message)
    raise RemoteStoreError(f"the store answered HTTP {answer.status}: {message}",
                           answer.status)


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

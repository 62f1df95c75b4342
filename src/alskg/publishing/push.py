"""Push the current build into a remote SPARQL store, graph by graph, and verify the counts.

Two ways to write, both standard:

- Graph Store Protocol (`--gsp-url`): the first chunk of a graph is sent with PUT (replacing
  the graph), the rest with POST (adding to it); bodies are N-Triples.
- SPARQL 1.1 Update (`--update-url`, or the query URL when neither is given):
  `DROP SILENT GRAPH <g>` then `INSERT DATA { GRAPH <g> { … } }` in chunks.

Blank nodes are scoped to one request, so triples connected through blank nodes always travel
in the same request: as `INSERT { … } WHERE { }` (Virtuoso refuses blank nodes in INSERT DATA),
in small chunks (its SPARQL compiler refuses updates past 10,000 lines of generated SQL; a plain
chunk it refuses is split in halves and sent again). After writing, each graph's triple count is
read back through the query endpoint (the graph named as the default graph) and compared with
the build.

Virtuoso: its `/sparql` endpoint accepts updates only after `GRANT SPARQL_UPDATE TO "SPARQL"`;
or use the authenticated endpoints `/sparql-auth` (update) and `/sparql-graph-crud-auth` (Graph
Store) with a user that has the SPARQL_UPDATE role (digest authentication, `--auth dba:…`).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import AlskgError
from ..query.engines.base import DatasetSpec
from ..query.engines.remote_engine import RemoteEngine, StoreClient, raise_for_answer, store_url

CHUNK_TRIPLES = 50_000          # triples per Graph Store request
UPDATE_CHUNK_TRIPLES = 1_000    # triples per INSERT DATA (Virtuoso: < 10,000 lines of SQL)
BNODE_CHUNK_TRIPLES = 250       # triples per INSERT template (Virtuoso: < 10,000 lines of SQL)
NTRIPLES = "application/n-triples"


class PublishError(AlskgError):
    """Publishing failed: the store refused a write, or the counts read back differ."""


class _TooLarge(Exception):
    """The store's SPARQL compiler refused an update as too large (Virtuoso SP031)."""


@dataclass
class GraphReport:
    """What was published into one graph and what the store holds afterwards."""

    graph: str
    expected: int
    found: int | None = None
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when the store holds exactly the build's triple count."""
        return self.found == self.expected


@dataclass
class PublishReport:
    """Every graph's report and the whole run's time."""

    graphs: list[GraphReport] = field(default_factory=list)
    seconds: float = 0.0
    method: str = ""

    @property
    def ok(self) -> bool:
        """Return True when every graph's count matches."""
        return all(g.ok for g in self.graphs)


@dataclass
class GraphLines:
    """One graph's triples as N-Triples lines, with the blank nodes each line mentions."""

    lines: list[str] = field(default_factory=list)
    bnodes: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def graphs_of(dataset_file: Path) -> dict[str, GraphLines]:
    """Read the build's N-Quads and return each named graph's distinct triples."""
    graphs: dict[str, GraphLines] = {}
    seen: dict[str, set[str]] = {}
    for quad in ox.parse(path=str(dataset_file), format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            continue
        name = quad.graph_name.value
        line = f"{quad.subject} {quad.predicate} {quad.object} .\n"
        bucket = seen.setdefault(name, set())
        if line in bucket:
            continue
        bucket.add(line)
        entry = graphs.setdefault(name, GraphLines())
        entry.lines.append(line)
        entry.bnodes.append(tuple(t.value for t in (quad.subject, quad.object)
                                  if isinstance(t, ox.BlankNode)))
    return graphs


def chunks(graph: GraphLines, size: int, bnode_size: int | None = None) -> Iterator[list[str]]:
    """Yield request-sized chunks of lines; never split the triples that share a blank node.

    A blank node means the same node only within one request, so the triples connected through
    blank nodes travel together (components packed into chunks of at most `bnode_size` triples,
    a larger component alone); the other triples fill chunks of `size`.
    """
    bnode_size = bnode_size or size
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for labels in graph.bnodes:
        for other in labels[1:]:
            a, b = find(labels[0]), find(other)
            if a != b:
                parent[a] = b
    components: dict[str, list[str]] = {}
    plain: list[str] = []
    for line, labels in zip(graph.lines, graph.bnodes, strict=True):
        if labels:
            components.setdefault(find(labels[0]), []).append(line)
        else:
            plain.append(line)
    produced = False
    current: list[str] = []
    for component in components.values():
        if current and len(current) + len(component) > bnode_size:
            yield current
            produced = True
            current = []
        current.extend(component)
    if current:
        yield current
        produced = True
    for start in range(0, len(plain), size):
        yield plain[start:start + size]
        produced = True
    if not produced:
        yield []


def has_bnode(lines: list[str]) -> bool:
    """Return True when any line mentions a blank node."""
    for line in lines:
        if "_:" not in line:
            continue
        triple = next(iter(ox.parse(line.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)))
        if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
            return True
    return False


class Publisher:
    """Write graphs into a store (Graph Store Protocol or SPARQL Update) and verify counts."""

    def __init__(self, store: str, *, update_url: str | None = None, gsp_url: str | None = None,
                 auth: str | None = None, timeout: float = 300.0,
                 chunk_triples: int | None = None) -> None:
        if update_url and gsp_url:
            raise ValueError("give either an update URL or a Graph Store URL, not both")
        self.query_url = store_url(store)
        self.gsp_url = store_url(gsp_url) if gsp_url else None
        self.update_url = None if gsp_url else store_url(update_url or store)
        self.client = StoreClient(auth)
        self.timeout = timeout
        self.chunk_triples = chunk_triples or (CHUNK_TRIPLES if gsp_url else UPDATE_CHUNK_TRIPLES)
        self.engine = RemoteEngine(store, auth=auth, timeout=timeout)

    @property
    def method(self) -> str:
        """Return "graph-store" or "update"."""
        return "graph-store" if self.gsp_url else "update"

    def publish(self, dataset_file: Path,
                progress: Callable[[str], None] | None = None) -> PublishReport:
        """Push every named graph of the build, then read each graph's count back."""
        started = time.perf_counter()
        report = PublishReport(method=self.method)
        for graph, lines in sorted(graphs_of(dataset_file).items()):
            item = GraphReport(graph, len(lines))
            t0 = time.perf_counter()
            item.requests = self.write_graph(graph, lines)
            item.seconds = time.perf_counter() - t0
            item.found = self.count(graph)
            report.graphs.append(item)
            if progress:
                progress(f"{item.found:>9} / {item.expected} triples  {graph}  "
                         f"({item.requests} request(s), {item.seconds:.2f} s)")
        report.seconds = time.perf_counter() - started
        return report

    def write_graph(self, graph: str, lines: GraphLines) -> int:
        """Replace one graph's content with `lines`; return the number of requests sent."""
        requests = 0
        bnode_size = self.chunk_triples if self.gsp_url else BNODE_CHUNK_TRIPLES
        for index, chunk in enumerate(chunks(lines, self.chunk_triples, bnode_size)):
            if self.gsp_url:
                self._gsp(graph, chunk, replace=index == 0)
                requests += 1
            else:
                requests += self._update_split(graph, chunk, replace=index == 0)
        return requests

    def _update_split(self, graph: str, lines: list[str], *, replace: bool) -> int:
        """Send an update; when the store finds it too large, send the halves (no blank nodes)."""
        try:
            self._update(graph, lines, replace=replace)
            return 1
        except _TooLarge:
            if len(lines) < 2 or has_bnode(lines):
                raise PublishError(f"{graph}: the store finds even {len(lines)} triples too "
                                   "many for one update; use --gsp-url") from None
        half = len(lines) // 2
        return (self._update_split(graph, lines[:half], replace=replace)
                + self._update_split(graph, lines[half:], replace=False))

    def _gsp(self, graph: str, lines: list[str], *, replace: bool) -> None:
        assert self.gsp_url is not None
        separator = "&" if "?" in self.gsp_url else "?"
        url = self.gsp_url + separator + urllib.parse.urlencode({"graph": graph})
        answer = self.client.request(
            "PUT" if replace else "POST", url, data="".join(lines).encode("utf-8"),
            headers={"Content-Type": NTRIPLES}, timeout=self.timeout)
        if answer.status >= 300:
            raise PublishError(f"{graph}: the Graph Store refused the write (HTTP "
                               f"{answer.status}): {_text(answer.body)}")

    def _update(self, graph: str, lines: list[str], *, replace: bool) -> None:
        assert self.update_url is not None
        triples = "".join(lines)
        if has_bnode(lines):
            # Blank nodes are legal in INSERT DATA, but Virtuoso refuses them there (SP031);
            # a template with an empty pattern inserts the same triples, one fresh node each.
            body = f"INSERT {{ GRAPH <{graph}> {{\n{triples}}} }} WHERE {{ }}"
        else:
            body = f"INSERT DATA {{ GRAPH <{graph}> {{\n{triples}}} }}"
        if replace:
            body = f"DROP SILENT GRAPH <{graph}> ;\n" + (body if lines else "")
        answer = self.client.request(
            "POST", self.update_url, data=urllib.parse.urlencode({"update": body}).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "*/*"}, timeout=self.timeout)
        if answer.status >= 300 and b"exceeded 10000 lines" in answer.body:
            raise _TooLarge()
        if answer.status >= 300:
            hint = ""
            if answer.status in (401, 403) or b"SPARQL_UPDATE" in answer.body or \
                    b"SR186" in answer.body:
                hint = (" (Virtuoso: GRANT SPARQL_UPDATE TO \"SPARQL\", or use /sparql-auth "
                        "with --auth)")
            raise PublishError(f"{graph}: the store refused the update (HTTP "
                               f"{answer.status}){hint}: {_text(answer.body)}")

    def count(self, graph: str) -> int:
        """Return the number of triples the store holds in `graph`."""
        try:
            outcome = self.engine.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                      DatasetSpec((graph,), ()), timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - report any failure as a publish error
            raise PublishError(f"{graph}: cannot count the published triples: {exc}") from None
        value = outcome.rows[0][0] if outcome.rows else None
        return int(str(value)) if value is not None else 0


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip()[:500]


__all__ = ["GraphLines", "GraphReport", "PublishError", "PublishReport", "Publisher", "chunks",
           "graphs_of", "raise_for_answer"]

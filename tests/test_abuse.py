"""Abuse cases against a live `alskg serve` (granian, killable query workers), both engines.

Extends tests/test_safety.py (which checks the basic forms through the test client):

* SSRF: SERVICE (plain, SILENT, variable endpoint, lower case and lexical disguises), FROM,
  FROM NAMED, DESCRIBE, LOAD and the protocol's graph parameters, aimed at a loopback listener
  and at a `file:` FIFO — zero connections, zero opens of the file.
* every update form on every channel is refused, and the build's content hash and quad count
  do not change;
* pathological queries are answered 4xx/503 within the time limit + 1 s while a parallel
  (uncached) ASK still answers within 1 s; a 1 MB query and a streamed 100 MB body are refused;
* 50 concurrent clients mixing queries and formats get no errors.

The SSRF and update cases are quick (fast suite); the pathological and load cases are slow.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import LiveServer
from listener import CountingListener

# The default engine in the fast run; rdflib, the reference, under -m slow (CI runs both).
ENGINES = ("oxigraph", pytest.param("rdflib", marks=pytest.mark.slow))
TIMEOUT = 2.0   # the abuse servers' query time limit (s)


# --------------------------------------------------------------------------- helpers

@dataclass
class Reply:
    """An HTTP answer: status, media type, body and the seconds it took."""

    status: int
    content_type: str
    body: bytes
    seconds: float


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
            method: str | None = None, timeout: float = 30) -> Reply:
    """Send a request; return the reply without raising on HTTP errors."""
    started = time.monotonic()
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            body = response.read()
            return Reply(response.status, response.headers.get("Content-Type", ""), body,
                         time.monotonic() - started)
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read(),
                     time.monotonic() - started)


def get_query(server: LiveServer, query: str, **params: str) -> Reply:
    """GET /sparql?query=…"""
    return request(server.url + "/sparql?" + urllib.parse.urlencode({"query": query, **params}))


def post_form(server: LiveServer, fields: dict[str, str], path: str = "/sparql") -> Reply:
    """POST an urlencoded form."""
    return request(server.url + path, urllib.parse.urlencode(fields).encode(),
                   {"Content-Type": "application/x-www-form-urlencoded"})


def post_direct(server: LiveServer, text: str, media_type: str) -> Reply:
    """POST a query or update directly."""
    return request(server.url + "/sparql", text.encode("utf-8"), {"Content-Type": media_type})


def nonce_ask() -> str:
    """An ASK the response cache has never seen (so it needs a query worker)."""
    return f"ASK {{}} # {uuid.uuid4().hex}"


def state(server: LiveServer) -> tuple[str, dict[str, int], bool]:
    """Return the content hash from /health, the quads per named graph and whether the
    default graph holds the probe triple, bypassing the cache."""
    health = json.loads(request(server.url + "/health").body)
    counts_query = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g "
                    f"# {uuid.uuid4().hex}")
    reply = request(server.url + "/sparql?" + urllib.parse.urlencode({"query": counts_query}),
                    timeout=90)
    assert reply.status == 200, reply.body
    counts = {row["g"]["value"]: int(row["n"]["value"])
              for row in json.loads(reply.body)["results"]["bindings"]}
    probe = get_query(server, f"ASK {{ <urn:a> ?p ?o }} # {uuid.uuid4().hex}")
    assert probe.status == 200, probe.body
    return str(health["content_hash"]), counts, bool(json.loads(probe.body)["boolean"])


def wait_idle(server: LiveServer, workers: int = 2, limit: float = 60) -> None:
    """Wait until every query worker is up and answers (after a kill, workers respawn in the
    background): /health counts them, and two fast ASKs alone could both be one worker's."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        health = json.loads(request(server.url + "/health").body)
        with ThreadPoolExecutor(workers) as pool:
            replies = list(pool.map(lambda _: get_query(server, nonce_ask()), range(workers)))
        if health.get("query_workers") == workers and all(
                r.status == 200 and r.seconds < 0.5 for r in replies):
            return
        time.sleep(0.2)
    raise AssertionError("query workers did not become idle")


class FileProbe:
    """A FIFO at a `file:` IRI: counts every open for reading (a fetch of the IRI)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "secret.ttl"
        os.mkfifo(self.path)
        self.iri = self.path.as_uri()
        self.opens = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY)   # blocks until a reader opens the FIFO
            except OSError:
                return
            if self._stop.is_set():
                os.close(fd)
                return
            self.opens += 1
            with contextlib.suppress(OSError):
                os.write(fd, b"<urn:secret> <urn:p> <urn:leaked> .\n")
            os.close(fd)

    def close(self) -> None:
        """Stop: release the blocked writer by opening the FIFO ourselves."""
        self._stop.set()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            time.sleep(0.05)
            os.close(fd)
        except OSError:
            pass
        self._thread.join(2)


def start_server(build_root: Path, engine: str, *extra: str) -> LiveServer:
    """Start a live server and wait until its query workers answer."""
    server = LiveServer(build_root, "--engine", engine, "--timeout", str(TIMEOUT),
                        "--query-workers", "2", *extra)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if get_query(server, nonce_ask()).status == 200:
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("query workers did not start")


_SERVERS: dict[str, LiveServer] = {}


@pytest.fixture(scope="module")
def servers(build_root: Path) -> Iterator[Callable[[str], LiveServer]]:
    """One live server per engine for this module, started on first use."""
    def get(engine: str) -> LiveServer:
        if engine not in _SERVERS:
            _SERVERS[engine] = start_server(build_root, engine)
        return _SERVERS[engine]

    yield get
    for server in _SERVERS.values():
        server.stop()
    _SERVERS.clear()


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CountingListener,
                                                                      FileProbe]]:
    """A loopback listener and a file: FIFO, neither of which may ever be contacted."""
    listener = CountingListener()
    fifo = FileProbe(tmp_path_factory.mktemp("fifo"))
    yield listener, fifo
    listener.close()
    fifo.close()


# --------------------------------------------------------------------------- SSRF

# name -> (channel, text with {url} = listener, {file} = file: IRI)
SSRF_PROBES: dict[str, tuple[str, str]] = {
    "service": ("query", "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }"),
    "service-silent": ("query", "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }"),
    "service-variable": ("query", "SELECT * WHERE { BIND(<{url}> AS ?e) SERVICE ?e { ?s ?p ?o } }"),
    "service-lowercase": ("query", "select * where { service <{url}> { ?s ?p ?o } }"),
    "service-file": ("query", "SELECT * WHERE { SERVICE <{file}> { ?s ?p ?o } }"),
    "service-in-subquery": ("query", "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o "
                            "SERVICE <{url}> { ?a ?b ?c } } LIMIT 1 } }"),
    "service-after-comment": ("query", "SELECT * WHERE { ?s ?p ?o #x\nSERVICE <{url}> "
                              "{ ?a ?b ?c } }"),
    # lexical disguises: the keyword check must see what the parser sees
    "service-after-dot": ("query", "SELECT * WHERE { ?s ?p ?o .SERVICE <{url}> { ?a ?b ?c } } "
                          "LIMIT 1"),
    "service-after-number": ("query", "SELECT * WHERE { ?s ?p 1SERVICE <{url}> { ?a ?b ?c } } "
                             "LIMIT 1"),
    "service-unicode-escape": ("query", "SELECT * WHERE { SERV\\u0049CE <{url}> { ?s ?p ?o } }"),
    "service-hidden-by-iri-quote": ("query", "SELECT * WHERE { BIND(<urn:x\u00a0'> AS ?z) "
                                    "SERVICE <{url}> { ?a ?b ?c } BIND(<urn:y'> AS ?w) }"),
    "service-after-escaped-hash": ("query", "PREFIX ex: <http://ex/a> SELECT * WHERE { "
                                   "?s ex:\\#b ?o . SERVICE <{url}> { ?a ?b ?c } }"),
    "service-file-after-dot": ("query", "SELECT * WHERE { ?s ?p ?o .SERVICE <{file}> "
                               "{ ?a ?b ?c } } LIMIT 1"),
    "from": ("query", "SELECT * FROM <{url}> WHERE { ?s ?p ?o } LIMIT 5"),
    "from-named": ("query", "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }"),
    "from-file": ("query", "SELECT * FROM <{file}> WHERE { ?s ?p ?o } LIMIT 5"),
    "from-named-file": ("query", "SELECT * FROM NAMED <{file}> WHERE { GRAPH ?g { ?s ?p ?o } }"),
    "construct-from": ("query", "CONSTRUCT { ?s ?p ?o } FROM <{url}> FROM <{file}> "
                       "WHERE { ?s ?p ?o } LIMIT 5"),
    "describe": ("query", "DESCRIBE <{url}>"),
    "describe-file": ("query", "DESCRIBE <{file}>"),
    "protocol-default-graph-uri": ("default-graph-uri", "SELECT * WHERE { ?s ?p ?o } LIMIT 5"),
    "protocol-named-graph-uri": ("named-graph-uri", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"),
    "load-update-form": ("update", "LOAD <{url}>"),
    "load-file-into-graph": ("update", "LOAD SILENT <{file}> INTO GRAPH <urn:g>"),
    "load-direct": ("direct-update", "LOAD <{url}>"),
    "load-as-query": ("query", "LOAD <{url}>"),
    "load-as-direct-query": ("direct-query", "LOAD <{file}>"),
}


def send_probe(server: LiveServer, channel: str, text: str, url: str, file_iri: str) -> Reply:
    """Send one probe on its channel."""
    if channel == "query":
        return post_form(server, {"query": text})
    if channel == "update":
        return post_form(server, {"update": text})
    if channel == "direct-update":
        return post_direct(server, text, "application/sparql-update")
    if channel == "direct-query":
        return post_direct(server, text, "application/sparql-query")
    if channel in ("default-graph-uri", "named-graph-uri"):
        return request(server.url + "/sparql?" + urllib.parse.urlencode(
            [("query", text), (channel, url), (channel, file_iri)]))
    raise ValueError(channel)


@pytest.mark.parametrize("name", list(SSRF_PROBES))
@pytest.mark.parametrize("engine", ENGINES)
def test_no_outbound_fetch(servers, probes, engine: str, name: str) -> None:  # type: ignore[no-untyped-def]
    server = servers(engine)
    listener, fifo = probes
    channel, template = SSRF_PROBES[name]
    text = template.replace("{url}", listener.url).replace("{file}", fifo.iri)
    assert (listener.connections, fifo.opens) == (0, 0), "contacted by an earlier probe"
    reply = send_probe(server, channel, text, listener.url, fifo.iri)
    time.sleep(0.05)   # a connection made while answering is accepted within milliseconds
    assert listener.connections == 0, f"{name}: the server connected to {listener.url}"
    assert fifo.opens == 0, f"{name}: the server opened {fifo.path}"
    assert b"urn:leaked" not in reply.body
    assert reply.status in (200, 400, 403), (reply.status, reply.body[:300])
    if "service" in name or "load" in name:
        assert reply.status in (400, 403), f"{name} answered {reply.status}"


# --------------------------------------------------------------------------- updates

UPDATES = [
    "INSERT DATA { GRAPH <https://w3id.org/alskg/graph/asserted> { <urn:a> <urn:b> <urn:c> } }",
    "DELETE DATA { GRAPH <https://w3id.org/alskg/graph/asserted> { <urn:a> <urn:b> <urn:c> } }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } USING <https://w3id.org/alskg/graph/asserted> "
    "WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/alskg/graph/asserted> DELETE WHERE { ?s ?p ?o }",
    "CLEAR SILENT DEFAULT",
    "CLEAR NAMED",
    "DROP ALL",
    "DROP SILENT NAMED",
    "CREATE SILENT GRAPH <urn:g>",
    "LOAD SILENT <http://127.0.0.1:9/x.ttl> INTO GRAPH <urn:g>",
    "COPY SILENT GRAPH <https://w3id.org/alskg/graph/asserted> TO DEFAULT",
    "MOVE GRAPH <https://w3id.org/alskg/graph/inferred> TO <urn:g>",
    "ADD DEFAULT TO GRAPH <https://w3id.org/alskg/graph/asserted>",
    "CLEAR ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "# a comment first\nDELETE WHERE { ?s ?p ?o }",
    "BASE <urn:x:> PREFIX p: <urn:p:> DELETE DATA { <a> p:b <c> }",
    "insert data { <urn:a> <urn:b> <urn:c> }",
    "\\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> DELETE { ?s rdf:type ?t } "
    "WHERE { ?s rdf:type ?t }",
]
CHANNELS = ("update-form", "query-form", "direct-update", "direct-query", "get-query",
            "get-update")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_update_form_is_refused_and_the_data_is_unchanged(build_root: Path,
                                                               engine: str) -> None:
    # its own server, with a time limit that lets a full quad count finish on rdflib
    server = start_server(build_root, engine, "--timeout", "60")
    try:
        check_updates_refused(server)
    finally:
        server.stop()


def check_updates_refused(server: LiveServer) -> None:
    """Send every update form on every channel; each is refused and no quad changes."""
    before = state(server)
    statuses: Counter[tuple[str, int]] = Counter()
    for update in UPDATES:
        for channel in CHANNELS:
            if channel == "update-form":
                reply = post_form(server, {"update": update})
            elif channel == "query-form":
                reply = post_form(server, {"query": update})
            elif channel == "direct-update":
                reply = post_direct(server, update, "application/sparql-update")
            elif channel == "direct-query":
                reply = post_direct(server, update, "application/sparql-query")
            elif channel == "get-query":
                reply = get_query(server, update)
            else:
                reply = request(server.url + "/sparql?" + urllib.parse.urlencode(
                    {"update": update}))
            statuses[(channel, reply.status)] += 1
            assert reply.status in (400, 403), (update, channel, reply.status, reply.body)
            if channel in ("update-form", "direct-update"):
                assert reply.status == 403 and b"read-only" in reply.body, (update, channel)
    assert state(server) == before
    assert (("get-update", 400)) in statuses


# --------------------------------------------------------------------------- pathological

ALL = "?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l"
PATHOLOGICAL = {
    "cross-product-count": f"SELECT (COUNT(*) AS ?n) WHERE {{ {ALL} }}",
    "cross-product-order": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
                           "ORDER BY DESC(STR(?c)) ?f ?i LIMIT 1",
    "alternative-negated-star-path": "SELECT (COUNT(*) AS ?n) WHERE { ?s "
                                     "(<urn:p>|!<urn:p>)* ?o . ?o (<urn:p>|!<urn:p>)* ?z }",
    "negated-path-plus-distinct": "SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ?s (!<urn:p>)+ ?o . "
                                  "?x (!<urn:q>)+ ?y }",
    "huge-values-cross": "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { "
                         + " ".join(str(i) for i in range(4000)) + " } VALUES ?y { "
                         + " ".join(str(i) for i in range(4000)) + " } ?s ?p ?o }",
    "regex-backtracking": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
                          "FILTER(REGEX(CONCAT(STR(?c), STR(?f), \"aaaaaaaaaaaaaaaaaaaaaaaa!\"), "
                          "\"^(a+)+$\")) }",
    "deeply-nested-groups": "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "deeply-nested-parentheses": "ASK { FILTER(" + "(" * 8000 + "1" + ")" * 8000 + ") }",
    "deeply-nested-bnodes": "ASK { ?s ?p " + "[ <urn:p> " * 5000 + "]" * 5000 + " }",
    "nested-collections": "ASK { ?s ?p " + "(" * 199 + ")" * 199 + " }",   # cubic parse time
    "long-unary-chain": "ASK { FILTER(" + "!" * 30000 + "true) }",
    "huge-group-concat": "SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?a), STR(?c), STR(?f)))) AS ?n) "
                         "WHERE { ?a ?b ?c . ?d ?e ?f }",
}


def run_with_parallel_ask(server: LiveServer, send: Callable[[], Reply],
                          delay: float = 0.4) -> tuple[Reply, Reply]:
    """Send an abusive request, and while it runs, an uncached ASK; return both replies."""
    result: dict[str, Reply] = {}
    thread = threading.Thread(target=lambda: result.setdefault("abuse", send()))
    thread.start()
    time.sleep(delay)
    ask = get_query(server, nonce_ask())
    thread.join(120)
    assert "abuse" in result, "the abusive request did not return"
    return result["abuse"], ask


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_query_is_stopped_while_others_answer(servers, engine: str,  # type: ignore[no-untyped-def]
                                                           name: str) -> None:
    server = servers(engine)
    wait_idle(server)
    query = PATHOLOGICAL[name] + f"\n# {uuid.uuid4().hex}"
    abuse, ask = run_with_parallel_ask(server, lambda: post_form(server, {"query": query}))
    finished = abuse.status == 200 and abuse.seconds < TIMEOUT   # (answered within the limit)
    assert abuse.status in (400, 403, 413, 503) or finished, (name, abuse.status,
                                                               abuse.body[:300])
    assert abuse.seconds < TIMEOUT + 1.0, f"{name} took {abuse.seconds:.2f} s"
    assert ask.status == 200 and json.loads(ask.body)["boolean"] is True
    assert ask.seconds < 1.0, f"a parallel ASK took {ask.seconds:.2f} s during {name}"
    wait_idle(server)   # and the server recovers (a killed worker is replaced)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_one_megabyte_query_is_refused(servers, engine: str) -> None:  # type: ignore[no-untyped-def]
    server = servers(engine)
    query = "ASK {}" + "#" + "x" * 1_000_000
    direct = post_direct(server, query, "application/sparql-query")
    assert direct.status == 413 and b"limit" in direct.body, direct.status
    form = post_form(server, {"query": query})
    assert form.status == 413
    get = get_query(server, query)
    # granian refuses a request head past its buffer (431); gunicorn a line > 8190 bytes (414)
    assert get.status in (413, 414, 431), get.status
    for reply in (direct, form, get):
        assert reply.seconds < TIMEOUT + 1.0
    assert get_query(server, nonce_ask()).status == 200


def stream_body(url: str, total: int, content_type: str, chunked: bool,
                chunk: bytes = b"x" * 65536) -> Reply:
    """POST `total` bytes generated on the fly (never held in memory) and read the answer.

    A writer thread streams the body while this thread waits for the status line, because a
    server that refuses early answers before the body is through.
    """
    parsed = urllib.parse.urlparse(url)
    started = time.monotonic()
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
    head = [f"POST {parsed.path} HTTP/1.1", f"Host: {parsed.netloc}",
            f"Content-Type: {content_type}", "Connection: close"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = [0]
    stop = threading.Event()

    def writer() -> None:
        try:
            while sent[0] < total and not stop.is_set():
                piece = chunk[:total - sent[0]]
                if chunked:
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    sock.sendall(piece)
                sent[0] += len(piece)
            if chunked and not stop.is_set():
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except OSError:
        pass
    stop.set()
    seconds = time.monotonic() - started
    sock.close()
    thread.join(5)
    status_line = data.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 else 0
    return Reply(status, "", data, seconds)


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("content_type", ["application/sparql-query",
                                          "application/x-www-form-urlencoded"])
def test_hundred_megabyte_body_is_refused(servers, chunked: bool, content_type: str) -> None:  # type: ignore[no-untyped-def]
    server = servers("oxigraph")
    wait_idle(server)
    abuse, ask = run_with_parallel_ask(server, lambda: stream_body(
        server.url + "/sparql", 100 * 2**20, content_type, chunked), delay=0.2)
    assert abuse.status == 413, abuse.body[:300]
    assert abuse.seconds < TIMEOUT + 1.0, f"{abuse.seconds:.2f} s"
    assert ask.status == 200 and ask.seconds < 1.0


# --------------------------------------------------------------------------- a crash, not a 503

NESTINGS = {
    "groups": "SELECT * WHERE " + "{" * 30000 + " ?s ?p ?o " + "}" * 30000,
    "parentheses": "ASK { FILTER(" + "(" * 30000 + "1" + ")" * 30000 + ") }",
    "blank-node-lists": "ASK { ?s ?p " + "[ <urn:p> " * 6000 + "]" * 6000 + " }",
    "unary-not": "ASK { FILTER(" + "!" * 60000 + "true) }",
}
@pytest.mark.parametrize("kind", list(NESTINGS))
@pytest.mark.parametrize("engine", ENGINES)
def test_deep_nesting_does_not_crash_the_engine_process(engine: str, kind: str,
                                                        tmp_path: Path) -> None:
    """The CLI and the inline executor run the engine in-process: a crash takes them down.

    (Under `alskg serve` a crash only kills a query process: 503, and it is replaced.)
    """
    nq = tmp_path / "d.nq"
    nq.write_text("<urn:a> <urn:b> <urn:c> <https://w3id.org/alskg/graph/asserted> .\n")
    query = tmp_path / "q.rq"
    query.write_text(NESTINGS[kind], encoding="utf-8")
    code = ("import sys; from pathlib import Path; from alskg.query.engines import open_engine\n"
            "from alskg.errors import QuerySyntaxError\n"
            f"e = open_engine({engine!r}, Path({str(nq)!r}))\n"
            f"q = Path({str(query)!r}).read_text(encoding='utf-8')\n"
            "try:\n    e.run(q, timeout=5)\nexcept QuerySyntaxError:\n    sys.exit(2)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode in (0, 2), f"exit {done.returncode}: {done.stderr[-500:]!r}"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_small_query_cannot_keep_the_engine_parsing(engine: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    """A 400-byte query of nested RDF collections: the engine gives up within its time limit."""
    nq = tmp_path / "d.nq"
    nq.write_text("<urn:a> <urn:b> <urn:c> <https://w3id.org/alskg/graph/asserted> .\n")
    code = ("import sys, time; from pathlib import Path\n"
            "from alskg.query.engines import open_engine\n"
            "from alskg.query.engines.base import QueryTimeout\n"
            "from alskg.errors import QuerySyntaxError\n"
            f"e = open_engine({engine!r}, Path({str(nq)!r}))\n"
            "q = 'ASK { ?s ?p ' + '(' * 199 + ')' * 199 + ' }'\n"
            "started = time.monotonic()\n"
            "try:\n    e.run(q, timeout=2)\nexcept (QuerySyntaxError, QueryTimeout):\n    pass\n"
            "print(time.monotonic() - started)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("still parsing a 400-byte query after 30 s (time limit 2 s)")
    assert done.returncode == 0, done.stderr[-500:]
    seconds = float(done.stdout.split()[-1])
    assert seconds < 2 + 0.5, f"the engine spent {seconds:.1f} s on it (time limit 2 s)"


# --------------------------------------------------------------------------- concurrency

DRUGS = "SELECT ?d ?l WHERE { ?d a als:Drug ; rdfs:label ?l } ORDER BY ?d"
MIX = [
    ("ASK {}", "application/sparql-results+json"),
    (DRUGS, "application/sparql-results+json"),
    (DRUGS, "application/sparql-results+xml"),
    (DRUGS, "text/csv"),
    ("SELECT ?s ?p WHERE { ?s ?p ?o } LIMIT 200", "text/tab-separated-values"),
    ("CONSTRUCT { ?d a als:Drug } WHERE { ?d a als:Drug }", "text/turtle"),
    ("CONSTRUCT { ?d a als:Drug } WHERE { ?d a als:Drug }", "application/n-triples"),
    ("DESCRIBE <https://w3id.org/alskg/id/intervention/riluzole>", "application/ld+json"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s a als:Study }", "application/sparql-results+json"),
]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_fifty_concurrent_clients_get_no_errors(servers, engine: str) -> None:  # type: ignore[no-untyped-def]
    server = servers(engine)
    wait_idle(server)
    per_client = 8

    def client(number: int) -> list[tuple[int, float, str]]:
        outcomes = []
        for step in range(per_client):
            query, accept = MIX[(number + step) % len(MIX)]
            if step % 3 == 0:   # a third of the requests miss the cache
                query += f"\n# client {number} step {step} {uuid.uuid4().hex}"
            if step % 4 == 1:
                reply = request(server.url + "/sparql", urllib.parse.urlencode(
                    {"query": query}).encode(), {"Accept": accept})
            else:
                reply = request(server.url + "/sparql?" + urllib.parse.urlencode(
                    {"query": query}), headers={"Accept": accept})
            ok = reply.status == 200 and reply.content_type.startswith(accept)
            outcomes.append((reply.status if ok else -reply.status, reply.seconds, accept))
            if step == per_client // 2:
                health = request(server.url + "/health")
                outcomes.append((health.status, health.seconds, "health"))
        return outcomes

    started = time.monotonic()
    with ThreadPoolExecutor(50) as pool:
        results = [o for batch in pool.map(client, range(50)) for o in batch]
    elapsed = time.monotonic() - started
    failures = [o for o in results if o[0] != 200]
    assert not failures, f"{len(failures)} failed requests: {failures[:5]}"
    assert len(results) == 50 * (per_client + 1)
    assert elapsed < 60, f"{len(results)} requests took {elapsed:.1f} s"

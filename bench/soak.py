"""Soak test: a bounded load on a real `alskg serve`, zero failed requests, latency and memory.

    python bench/soak.py                          # 60 s, 16 connections, oxigraph
    python bench/soak.py --seconds 300 --connections 32 --engine rdflib --json soak.json

What it does, all on 127.0.0.1:

1. builds the ALS graph into a temporary folder (or uses --build-dir);
2. starts `alskg serve` (gunicorn, 1 worker x --threads threads, --query-workers query
   processes) on a free port, logs to files in a temporary folder;
3. runs --connections client threads for --seconds, each on a keep-alive connection, sending a
   fixed mix: cached and uncached SPARQL (SELECT / ASK / CONSTRUCT / DESCRIBE) in every result
   format by Accept header or `format=`, GET and POST, named queries with varying parameters,
   the service description and /health;
4. samples the resident memory (VmRSS) of the server's whole process tree (gunicorn master,
   worker, query processes) every second from /proc;
5. prints requests, throughput, failures (anything but the expected status, or a broken
   connection), latency percentiles (p50 / p95 / p99 / max) per kind, and the memory series:
   flat means the peak after warm-up is within 10 % of the level right after warm-up.

Exit status: 0 when there were no failed requests and memory stayed flat, else 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RILUZOLE = "https://w3id.org/alskg/id/intervention/riluzole"
SELECT_DRUGS = "SELECT ?d ?l WHERE { ?d a als:Drug ; rdfs:label ?l } ORDER BY ?d"
SELECT_CLAIMS = ("SELECT ?claim ?i ?status WHERE { ?claim a als:Claim ; ?p ?i . "
                 "OPTIONAL { ?claim als:status ?status } } LIMIT 200")
CONSTRUCT_DRUGS = ("CONSTRUCT { ?d a als:Drug ; rdfs:label ?l } "
                   "WHERE { ?d a als:Drug ; rdfs:label ?l }")
COUNT_TYPES = "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)"
SUBCLASS_PATH = "SELECT ?c ?super WHERE { ?c rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }"
LETTERS = "abcdefghilmnoprstuvy"


@dataclass(frozen=True)
class Call:
    """One request of the mix: a kind (for the report), method, path, body and headers."""

    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    expect: int = 200


def sparql_get(query: str, accept: str | None = None, **params: str) -> tuple[str, tuple]:
    headers = (("Accept", accept),) if accept else ()
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params}), headers


def mix(rng: random.Random) -> Call:
    """Draw the next request of the mix."""
    roll = rng.random()
    nonce = uuid.uuid4().hex[:12]
    if roll < 0.12:
        path, headers = sparql_get(SELECT_DRUGS, rng.choice([
            "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
            "text/tab-separated-values"]))
        return Call("select-cached", "GET", path, headers=headers)
    if roll < 0.22:
        path, headers = sparql_get(SELECT_CLAIMS + f" # {nonce}", "application/sparql-results+json")
        return Call("select-uncached", "GET", path, headers=headers)
    if roll < 0.30:
        body = urllib.parse.urlencode({"query": COUNT_TYPES + f" # {nonce}"}).encode()
        return Call("aggregate-uncached-post", "POST", "/sparql", body, (
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/sparql-results+json")))
    if roll < 0.36:
        return Call("path-uncached-direct", "POST", "/sparql",
                    (SUBCLASS_PATH + f" # {nonce}").encode(), (
                        ("Content-Type", "application/sparql-query"), ("Accept", "text/csv")))
    if roll < 0.46:
        fmt = rng.choice(["turtle", "nt", "jsonld", "rdfxml", "trig", "nquads"])
        path, headers = sparql_get(CONSTRUCT_DRUGS, None, format=fmt)
        return Call("construct-cached", "GET", path, headers=headers)
    if roll < 0.50:
        path, headers = sparql_get(f"DESCRIBE <{RILUZOLE}> # {nonce}", "text/turtle")
        return Call("describe-uncached", "GET", path, headers=headers)
    if roll < 0.56:
        path, headers = sparql_get(f"ASK {{ ?s rdfs:label ?l }} # {nonce}")
        return Call("ask-uncached", "GET", path, headers=headers)
    if roll < 0.66:
        text = "".join(rng.choice(LETTERS) for _ in range(2))
        return Call("named-search-varying", "GET", "/queries/search-labels.json?"
                    + urllib.parse.urlencode({"text": text}))
    if roll < 0.74:
        start = rng.randint(1990, 2020)
        return Call("named-years-varying", "GET", "/queries/studies-by-year.csv?"
                    + urllib.parse.urlencode({"from": start, "to": start + rng.randint(0, 8)}))
    if roll < 0.82:
        name = rng.choice(["approved-drugs", "als-symptoms", "intervention-evidence",
                           "evidence-matrix-interventions", "studies-by-group"])
        return Call("named-cached", "GET", f"/queries/{name}.json")
    if roll < 0.88:
        return Call("service-description", "GET", "/sparql", headers=(("Accept", "text/turtle"),))
    if roll < 0.94:
        return Call("health", "GET", "/health")
    path, headers = sparql_get("SELECT * WHERE { ?s ?p ?o } LIMIT 1000",
                               "application/sparql-results+json")
    return Call("select-1000-cached", "GET", path, headers=headers)


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(root: int) -> list[int]:
    """Return `root` and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(stat[stat.rindex(")") + 2:].split()[1])].append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def rss_bytes(pid: int) -> int:
    """Return a process's resident set size in bytes (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Server:
    """`alskg serve` in a subprocess, logging to files."""

    def __init__(self, build_dir: Path, args: argparse.Namespace, logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout = (logs / "server.out").open("wb")
        self.stderr = (logs / "server.err").open("wb")
        command = [sys.executable, "-m", "alskg", "serve", "--build-dir", str(build_dir),
                   "--port", str(self.port), "--engine", args.engine,
                   "--query-workers", str(args.query_workers), "--threads", str(args.threads),
                   "--timeout", str(args.timeout)]
        self.process = subprocess.Popen(command, stdout=self.stdout, stderr=self.stderr)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {logs}")
            try:
                status, _ = request_once(self.url, Call("probe", "GET", "/sparql?query=ASK%7B%7D"))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer within 120 s")

    def rss(self) -> tuple[int, int]:
        """Return (total RSS of the process tree, number of processes)."""
        tree = process_tree(self.process.pid)
        return sum(rss_bytes(p) for p in tree), len(tree)

    def stop(self) -> int:
        """SIGTERM (graceful), then kill after 20 s; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.stdout.close()
        self.stderr.close()
        return int(self.process.returncode)


def request_once(url: str, call: Call, timeout: float = 30) -> tuple[int, bytes]:
    """Send one request on a fresh connection."""
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                            timeout=timeout)
    try:
        connection.request(call.method, call.path, body=call.body, headers=dict(call.headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------- the load

@dataclass
class Results:
    """What the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    bytes_read: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call, status: int, seconds: float, size: int, error: str = "") -> None:
        with self.lock:
            self.latencies[call.kind].append(seconds)
            self.statuses[(call.kind, status)] += 1
            self.bytes_read += size
            if status != call.expect:
                self.failures.append(f"{call.kind} {call.method} {call.path[:100]} -> "
                                     f"{status} {error[:200]}")


def client(url: str, stop_at: float, seed: int, results: Results, timeout: float) -> None:
    """One connection: keep-alive requests from the mix until `stop_at`."""
    rng = random.Random(seed)
    parsed = urllib.parse.urlparse(url)
    connection: http.client.HTTPConnection | None = None
    while time.monotonic() < stop_at:
        call = mix(rng)
        if connection is None:
            connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                                    timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(call.method, call.path, body=call.body,
                               headers=dict(call.headers))
            response = connection.getresponse()
            body = response.read()
            seconds = time.monotonic() - started
            results.add(call, response.status, seconds, len(body),
                        "" if response.status == call.expect else body.decode("utf-8", "replace"))
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as exc:
            results.add(call, 0, time.monotonic() - started, 0, f"{type(exc).__name__}: {exc}")
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build (if needed), serve, load, sample; return the figures."""
    with tempfile.TemporaryDirectory(prefix="alskg-soak-") as tmp:
        logs = Path(tmp)
        build_dir = args.build_dir
        if build_dir is None:
            from alskg.assembly.pipeline import BuildOptions, build

            build_dir = logs / "build"
            started = time.monotonic()
            build(BuildOptions(root=build_dir))
            print(f"built the ALS graph in {time.monotonic() - started:.1f} s", flush=True)
        server = Server(build_dir, args, logs)
        print(f"serving on {server.url} ({args.engine}, {args.query_workers} query workers, "
              f"{args.threads} threads); {args.connections} connections for {args.seconds} s",
              flush=True)
        results = Results()
        samples: list[tuple[float, int, int]] = []
        began = time.monotonic()
        stop_at = began + args.seconds
        done = threading.Event()

        def sampler() -> None:
            while not done.is_set():
                total, count = server.rss()
                samples.append((time.monotonic() - began, total, count))
                done.wait(1.0)

        sampler_thread = threading.Thread(target=sampler, daemon=True)
        sampler_thread.start()
        threads = [threading.Thread(target=client, args=(server.url, stop_at, args.seed + n,
                                                         results, args.timeout + 10))
                   for n in range(args.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + args.timeout + 60)
        elapsed = time.monotonic() - began
        done.set()
        sampler_thread.join(5)
        errors_in_log = sum(1 for line in (logs / "server.err").read_text(
            errors="replace").splitlines() if " ERROR " in line or "Traceback" in line)
        exit_code = server.stop()
    return summarize(args, results, samples, elapsed, exit_code, errors_in_log)


def summarize(args: argparse.Namespace, results: Results, samples: list[tuple[float, int, int]],
              elapsed: float, exit_code: int, errors_in_log: int) -> dict[str, Any]:
    """Compute the figures."""
    every = [s for values in results.latencies.values() for s in values]
    kinds = {kind: {"requests": len(values), "p50_ms": 1000 * percentile(values, 50),
                    "p99_ms": 1000 * percentile(values, 99),
                    "max_ms": 1000 * max(values)}
             for kind, values in sorted(results.latencies.items())}
    warm = [s for s in samples if s[0] >= args.warmup]
    baseline_window = [s[1] for s in warm if s[0] < args.warmup + 5] or [s[1] for s in warm[:1]]
    baseline = statistics.median(baseline_window) if baseline_window else 0
    peak = max((s[1] for s in warm), default=0)
    final = statistics.median([s[1] for s in warm[-5:]]) if warm else 0
    growth = (peak - baseline) / baseline if baseline else 0.0
    return {
        "engine": args.engine, "seconds": round(elapsed, 1), "connections": args.connections,
        "query_workers": args.query_workers, "threads": args.threads,
        "requests": len(every), "requests_per_second": round(len(every) / elapsed, 1),
        "failed": len(results.failures), "failures": results.failures[:20],
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(results.statuses.items())},
        "mb_read": round(results.bytes_read / 2**20, 1),
        "latency_ms": {"p50": round(1000 * percentile(every, 50), 1),
                       "p95": round(1000 * percentile(every, 95), 1),
                       "p99": round(1000 * percentile(every, 99), 1),
                       "max": round(1000 * max(every, default=0), 1)},
        "by_kind": {k: {m: round(v, 1) if isinstance(v, float) else v for m, v in d.items()}
                    for k, d in kinds.items()},
        "rss_mb": {"after_warmup": round(baseline / 2**20, 1), "peak": round(peak / 2**20, 1),
                   "final": round(final / 2**20, 1), "growth_percent": round(100 * growth, 1),
                   "processes": samples[-1][2] if samples else 0,
                   "series": [round(s[1] / 2**20, 1) for s in samples]},
        "rss_flat": growth <= 0.10,
        "server_exit_code": exit_code,
        "server_log_errors": errors_in_log,
    }


def print_summary(figures: dict[str, Any]) -> None:
    """Print the figures for people."""
    lat = figures["latency_ms"]
    rss = figures["rss_mb"]
    print(f"\nsoak: {figures['requests']} requests in {figures['seconds']} s "
          f"({figures['requests_per_second']}/s) over {figures['connections']} connections, "
          f"engine {figures['engine']}; {figures['mb_read']} MB read")
    print(f"  failed requests: {figures['failed']}")
    for failure in figures["failures"]:
        print(f"    {failure}")
    print(f"  latency: p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, "
          f"max {lat['max']} ms")
    width = max(len(k) for k in figures["by_kind"])
    for kind, row in figures["by_kind"].items():
        print(f"    {kind:<{width}}  {row['requests']:>6}  p50 {row['p50_ms']:>7} ms  "
              f"p99 {row['p99_ms']:>7} ms  max {row['max_ms']:>7} ms")
    print(f"  memory (RSS of {rss['processes']} server processes): {rss['after_warmup']} MB "
          f"after warm-up, peak {rss['peak']} MB, final {rss['final']} MB "
          f"({rss['growth_percent']:+} %): {'flat' if figures['rss_flat'] else 'NOT FLAT'}")
    print(f"  series (MB, 1/s): {' '.join(str(v) for v in rss['series'])}")
    print(f"  server: exit code {figures['server_exit_code']} after SIGTERM, "
          f"{figures['server_log_errors']} error lines in its log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak test of alskg serve on 127.0.0.1.")
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (60)")
    parser.add_argument("--connections", type=int, default=16, help="client connections (16)")
    parser.add_argument("--engine", choices=["oxigraph", "rdflib"], default="oxigraph")
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads (8)")
    parser.add_argument("--timeout", type=float, default=10.0, help="query time limit (10 s)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before memory must be flat (default: a quarter, ≤ 15 s)")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help="an existing build folder (default: build into a temp folder)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(15.0, args.seconds / 4)
    figures = run(args)
    print_summary(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = figures["failed"] == 0 and figures["rss_flat"] and figures["server_exit_code"] == 0
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

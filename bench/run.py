"""alskg benchmark: one command, one run, every figure and ratio against peers on 127.0.0.1.

    python bench/run.py            # full run (ALS graph + synthetic 10 k, 100 k, 1 M triples)
    python bench/run.py --quick    # short run (ALS graph + synthetic 10 k; 2 s per load test)

Peers, all on 127.0.0.1, same data, same query text, one at a time (2 cores):
- alskg: `alskg serve` under granian (the default) and under gunicorn gthread, the same app
  (1 worker x 8 threads, 2 query worker processes each);
- static ceiling: a WSGI app returning a fixed body under each of those servers;
- rdflib-endpoint (PyPI), as shipped (uvicorn, one process);
- the Oxigraph server (PyPI `oxigraph` ships the Rust binary): `oxigraph serve-read-only`, and
  again with `--timeout-s 10` as an operator would run it (does it survive 8 connections?).
Cases: researcher queries, large answers (a two-hop join, 1,000 and all rows, JSON and CSV; a
CONSTRUCT of the whole default graph in Turtle and N-Triples) and named queries sent as text.
Load: wrk (Debian) with one thread and 8 connections, or a bounded Python client if wrk is
absent. Every request goes to 127.0.0.1 and each load test stops after --duration seconds.

"uncached" requests append a unique comment to the query text (a Lua script for wrk), so no
cache can answer them; "cached" requests repeat the same URL (alskg's response cache answers).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
from bench.queries import (  # noqa: E402
    HTTP_QUERIES,
    LARGE_QUERIES,
    NAMED_FOR_HTTP,
    PREFIXES,
    SCALE_QUERIES,
)

PY = sys.executable
BIN = Path(PY).parent
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
HOST = "127.0.0.1"
LUA_UNIQUE = """
counter = 0
prefix = nil
init = function(args) prefix = args[1] end
request = function()
  counter = counter + 1
  return wrk.format(nil, prefix .. "%0A%23" .. counter)
end
"""


def log(message: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_tree_mb(pid: int) -> float:
    """Return the resident memory of a process and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def http_get(url: str, accept: str | None = None, timeout: float = 60.0) -> tuple[int, bytes]:
    """GET a URL; return (status, body)."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """Poll until the URL answers 200; return the seconds since the call."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} not ready after {timeout} s")


@dataclass
class Server:
    """A server process started by the bench (stopped by its own id)."""

    name: str
    command: list[str]
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    ready_s: float = 0.0

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Server:
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL,
                                        env={**os.environ, **self.env})
        try:
            self.ready_s = wait_ready(self.base + self.ready_path, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def rss_mb(self) -> float:
        assert self.process is not None
        return rss_tree_mb(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


# -- load generation ------------------------------------------------------------------------------
@dataclass
class Load:
    """One load test's figures."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, accept: str, duration: float, connections: int, unique: bool,
            workdir: Path) -> Load:
    """Run wrk against one URL (unique query text per request when `unique`)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
               "--timeout", "30s", "-H", f"Accept: {accept}"]
    if unique:
        script = workdir / "unique.lua"
        script.write_text(LUA_UNIQUE)
        parts = urllib.parse.urlsplit(url)
        command += ["-s", str(script), f"{parts.scheme}://{parts.netloc}/", "--",
                    f"{parts.path}?{parts.query}"]
    else:
        command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60,
                          check=False)
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    if not rps:
        raise RuntimeError(f"wrk failed: {out}{done.stderr}")
    return Load(float(rps.group(1)), _ms(p50.group(1)) if p50 else float("nan"),
                _ms(p99.group(1)) if p99 else float("nan"),
                int(total.group(1)) if total else 0, errors)


def run_python_client(url: str, accept: str, duration: float, connections: int,
                      unique: bool, workdir: Path) -> Load:
    """A bounded keep-alive client: `connections` threads until `duration` has passed."""
    parts = urllib.parse.urlsplit(url)
    path = f"{parts.path}?{parts.query}"
    deadline = time.perf_counter() + duration
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            target = path
            if unique:
                with lock:
                    counter[0] += 1
                    target = f"{path}%0A%23{counter[0]}"
            t0 = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Accept": accept})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - t0) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    if not latencies:
        return Load(0.0, float("nan"), float("nan"), 0, errors[0])
    return Load(len(latencies) / elapsed, latencies[len(latencies) // 2],
                latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                len(latencies), errors[0])


# -- building and probing -------------------------------------------------------------------------
def alskg(*args: str, env: dict[str, str] | None = None, timeout: float = 3600
          ) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run the alskg CLI in a subprocess; return (seconds, result)."""
    started = time.perf_counter()
    done = subprocess.run([PY, "-m", "alskg", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"alskg {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, done


def receipt(build_root: Path) -> dict[str, Any]:
    """Return the current build's receipt."""
    return json.loads((build_root / "current" / "receipt.json").read_text())


def merged_ntriples(dataset: Path, out: Path) -> int:
    """Write the server default graph (ontology + asserted + inferred) as N-Triples."""
    import pyoxigraph as ox

    wanted = {f"https://w3id.org/alskg/graph/{n}" for n in ("ontology", "asserted", "inferred")}
    seen: set[str] = set()
    with out.open("w", encoding="utf-8") as handle:
        for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
            if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in wanted:
                line = f"{quad.subject} {quad.predicate} {quad.object} .\n"
                if line not in seen:
                    seen.add(line)
                    handle.write(line)
    return len(seen)


def serve_startup(build_root: Path, runs: int) -> dict[str, float]:
    """Time `alskg serve` from spawn to /health and to the first query answer (medians)."""
    ready, first = [], []
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    for _ in range(runs):
        server = Server("alskg", [PY, "-m", "alskg", "serve", "--build-dir", str(build_root),
                                  "--port", "{port}"], "/health")
        started = time.perf_counter()
        try:
            server.start()
            ready.append(time.perf_counter() - started)
            status, _ = http_get(f"{server.base}/sparql?{query}", JSON, timeout=300)
            if status != 200:
                raise RuntimeError(f"first query answered {status}")
            first.append(time.perf_counter() - started)
            rss = server.rss_mb()
        finally:
            server.stop()
    return {"ready_s": statistics.median(ready), "first_answer_s": statistics.median(first),
            "rss_mb": rss}


def probe_engine(dataset: Path, engine: str, queries: list[tuple[str, str]], workdir: Path,
                 repeat: int = 7, timeout: float = 60.0) -> dict[str, Any]:
    """Run bench/probe_engine.py in a fresh process and return its report."""
    spec = workdir / "probe-queries.json"
    spec.write_text(json.dumps(queries))
    done = subprocess.run([PY, str(BENCH / "probe_engine.py"), str(dataset), engine, str(spec),
                           "--repeat", str(repeat), "--timeout", str(timeout)],
                          capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-1500:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def synthetic_data(target: int, out_dir: Path) -> tuple[Path, int]:
    """Write a synthetic graph of about `target` triples (bench/synthetic.py) as data/*.ttl."""
    from bench.synthetic import generate

    # The generator's triple count per unit drifts with size; calibrate on a small sample.
    sample = len(generate(20_000, seed=0))
    request = int(target * 20_000 / sample)
    graph = generate(request, seed=0)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "synthetic.ttl"
    # N-Triples is Turtle: the build's Turtle loader reads it as is.
    graph.serialize(path, format="nt", encoding="utf-8")
    return path, len(graph)


def reasoning_times(modes: tuple[str, ...]) -> dict[str, float]:
    """Time alskg.reasoning.reason on the ALS ontology and data in each mode."""
    from alskg.curation.sources import load_sources
    from alskg.reasoning import reason

    sources = load_sources()
    result = {}
    for mode in modes:
        started = time.perf_counter()
        reason(sources.ontology, sources.asserted, mode=mode)
        result[mode] = time.perf_counter() - started
    return result


def reasoning_synthetic(path: Path, modes: tuple[str, ...]) -> dict[str, Any]:
    """Time reasoning on a synthetic data file with the project ontology."""
    from rdflib import Graph

    from alskg.curation.sources import load_sources
    from alskg.reasoning import reason

    ontology = load_sources().ontology
    data = Graph().parse(path, format="nt")
    result: dict[str, Any] = {}
    for mode in modes:
        started = time.perf_counter()
        outcome = reason(ontology, data, mode=mode)
        result[mode] = {"seconds": round(time.perf_counter() - started, 2),
                        "inferred": len(outcome.inferred)}
    return result


# -- the HTTP comparison --------------------------------------------------------------------------
def row_count(body: bytes, accept: str) -> int:
    """Count rows of a JSON or CSV result, or triples of a Turtle / N-Triples answer."""
    if accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    if accept == "text/csv":
        import csv
        import io

        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    from rdflib import Graph

    syntax = "nt" if accept == "application/n-triples" else "turtle"
    return len(Graph().parse(data=body.decode("utf-8"), format=syntax))


def bench_queries() -> list[tuple[str, str, str, str]]:
    """Every HTTP case: (key, form, text, accept), the named queries sent as text."""
    from alskg.query.catalog import load_catalog

    catalog = {q.name: q for q in load_catalog()}
    cases = [(key, form, text, JSON if form == "SELECT" else TURTLE)
             for key, form, text in HTTP_QUERIES]
    cases += [(key, form, PREFIXES + text, accept) for key, form, text, accept in LARGE_QUERIES]
    cases += [(f"named:{n}", "SELECT", catalog[n].text, JSON) for n in NAMED_FOR_HTTP
              if n in catalog]
    return cases


ALSKG_SERVERS = ("alskg", "alskg-gunicorn")


def http_section(build_root: Path, workdir: Path, duration: float, connections: int,
                 loader: Callable[..., Load]) -> dict[str, Any]:
    """Start each server in turn and load-test the same queries on it."""
    from alskg.query.catalog import load_catalog

    dataset = build_root / "current" / "dataset.nq"
    merged = workdir / "merged.nt"
    triples = merged_ntriples(dataset, merged)
    oxi_dir = workdir / "oxigraph-store"
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(oxi_dir), "--file",
                    str(merged)], check=True, capture_output=True, timeout=600)
    catalog = {q.name: q for q in load_catalog()}
    queries = bench_queries()
    named = next((n for n in NAMED_FOR_HTTP if n in catalog), None)
    alskg_serve = [PY, "-m", "alskg", "serve", "--build-dir", str(build_root), "--port", "{port}",
                   "--workers", "1", "--threads", "8", "--query-workers", "2"]
    servers = {
        # The row cap raised above the largest answer, so every server returns every row.
        "alskg": Server("alskg", [*alskg_serve, "--server", "granian"], "/health",
                        env={"ALSKG_MAX_ROWS": "100000"}),
        "alskg-gunicorn": Server("alskg-gunicorn", [*alskg_serve, "--server", "gunicorn"],
                                 "/health", env={"ALSKG_MAX_ROWS": "100000"}),
        "rdflib-endpoint": Server("rdflib-endpoint", [
            str(BIN / "rdflib-endpoint"), "serve", str(merged), "--host", HOST,
            "--port", "{port}"], "/?query=ASK%7B%7D"),
        "oxigraph-server": Server("oxigraph-server", [
            str(BIN / "oxigraph"), "serve-read-only", "--location", str(oxi_dir), "--bind",
            f"{HOST}:{{port}}"], "/query?query=ASK%7B%7D"),
    }
    # rdflib-endpoint 0.6 serves its endpoint at "/".
    paths = {"alskg": "/sparql", "alskg-gunicorn": "/sparql", "rdflib-endpoint": "/",
             "oxigraph-server": "/query"}
    results: dict[str, Any] = {"triples_default_graph": triples, "loads": {}, "rows": {},
                               "rss_mb": {}, "ready_s": {}}

    # The static ceiling gets alskg's exact cached body for the named query.
    body_file = workdir / "static-body.json"
    body_file.write_bytes(b'{"head": {"vars": []}, "results": {"bindings": []}}')

    def record(server: str, key: str, load: Load) -> None:
        results["loads"].setdefault(server, {})[key] = load.__dict__
        log(f"  {server:<16} {key:<30} {load.rps:9.1f} req/s  p50 {load.p50_ms:8.2f} ms  "
            f"p99 {load.p99_ms:8.2f} ms  errors {load.errors}")

    for name, server in servers.items():
        log(f"starting {name}")
        server.start()
        results["ready_s"][name] = round(server.ready_s, 3)
        if name in ALSKG_SERVERS:  # let every query worker finish loading before measuring
            http_get(f"{server.base}/sparql?query=ASK%7B%7D", JSON, timeout=120)
            time.sleep(2.0)
        try:
            for key, _form, text, accept in queries:
                url = f"{server.base}{paths[name]}?{urllib.parse.urlencode({'query': text})}"
                status, body = http_get(url, accept, timeout=120)
                if status != 200:
                    results["rows"].setdefault(key, {})[name] = f"HTTP {status}"
                    log(f"  {name} {key}: HTTP {status} {body[:200]!r}")
                    continue
                results["rows"].setdefault(key, {})[name] = row_count(body, accept)
                record(name, key + " (uncached)",
                       loader(url, accept, duration, connections, True, workdir))
                if name in ALSKG_SERVERS:
                    record(name, key + " (cached)",
                           loader(url, accept, duration, connections, False, workdir))
            if name in ALSKG_SERVERS and named:
                url = f"{server.base}/queries/{named}.json"
                status, body = http_get(url, JSON)
                if status == 200:
                    body_file.write_bytes(body)
                    record(name, f"named {named} (cached)",
                           loader(url, JSON, duration, connections, False, workdir))
            results["rss_mb"][name] = round(server.rss_mb(), 1)
        finally:
            server.stop()

    statics = {
        "static gunicorn": [str(BIN / "gunicorn"), "--bind", f"{HOST}:{{port}}", "--workers",
                            "1", "--worker-class", "gthread", "--threads", "8",
                            "--access-logfile", "-", "--chdir", str(BENCH), "static_app:app"],
        "static granian": [str(BIN / "granian"), "--interface", "wsgi", "--host", HOST,
                           "--port", "{port}", "--blocking-threads", "8", "--no-ws",
                           "--working-dir", str(BENCH), "static_app:app"],
    }
    for label, command in statics.items():
        log(f"starting {label} ceiling")
        static = Server(label, command, "/", env={"BENCH_STATIC_BODY": str(body_file)})
        static.start()
        try:
            record("static", label, loader(static.base + "/", JSON, duration, connections,
                                           False, workdir))
        finally:
            static.stop()
    results["oxigraph_timeout"] = oxigraph_with_timeout(oxi_dir, queries, duration,
                                                        connections, loader, workdir)
    return results


def oxigraph_with_timeout(oxi_dir: Path, queries: list[tuple[str, str, str, str]],
                          duration: float, connections: int, loader: Callable[..., Load],
                          workdir: Path) -> dict[str, Any]:
    """Run Oxigraph's server as an operator would (`--timeout-s 10`) under load: does it live?"""
    server = Server("oxigraph-timeout", [
        str(BIN / "oxigraph"), "serve-read-only", "--location", str(oxi_dir), "--bind",
        f"{HOST}:{{port}}", "--timeout-s", "10"], "/query?query=ASK%7B%7D")
    log("starting oxigraph-server --timeout-s 10")
    server.start()
    found: dict[str, Any] = {"loads": {}, "crashed_after": None}
    try:
        for key, _form, text, accept in queries:
            url = f"{server.base}/query?{urllib.parse.urlencode({'query': text})}"
            load = loader(url, accept, duration, connections, True, workdir)
            found["loads"][key] = load.__dict__
            assert server.process is not None
            alive = server.process.poll() is None
            died = "" if alive else f"  (server died: exit {server.process.returncode})"
            log(f"  oxigraph --timeout-s {key:<30} {load.rps:9.1f} req/s errors {load.errors}"
                f"{died}")
            if not alive:
                found["crashed_after"] = key
                found["exit_code"] = server.process.returncode
                break
    finally:
        server.stop()
    return found


# -- report ---------------------------------------------------------------------------------------
def geomean(values: list[float]) -> float:
    """Return the geometric mean of positive values (nan when none)."""
    values = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _rps(loads: dict[str, Any], server: str, key: str) -> float:
    load = loads.get(server, {}).get(key)
    return float(load["rps"]) if load and load["rps"] else float("nan")


def http_ratios(http: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per query: alskg's uncached and cached req/s over each peer's uncached req/s."""
    loads = http["loads"]
    ratios: dict[str, dict[str, float]] = {}
    for key, _form, _text, _accept in bench_queries():
        ours = _rps(loads, "alskg", key + " (uncached)")
        cached = _rps(loads, "alskg", key + " (cached)")
        oxi = _rps(loads, "oxigraph-server", key + " (uncached)")
        ratios[key] = {
            "vs rdflib-endpoint": ours / _rps(loads, "rdflib-endpoint", key + " (uncached)"),
            "vs oxigraph": ours / oxi,
            "cached vs oxigraph": cached / oxi,
            "granian vs gunicorn": ours / _rps(loads, "alskg-gunicorn", key + " (uncached)"),
            "granian vs gunicorn cached": cached / _rps(loads, "alskg-gunicorn",
                                                        key + " (cached)"),
        }
    return ratios


def http_report(http: dict[str, Any]) -> list[str]:
    """The HTTP tables: req/s per server and query, and each ratio from the same run."""
    out: list[str] = []
    loads = http["loads"]
    out.append(f"### HTTP, ALS graph ({http['triples_default_graph']} triples in the default "
               "graph)\n")
    out.append("req/s (p50 ms) per server; uncached = a unique comment per request.\n")
    columns = [("alskg", " (uncached)", "alskg granian"), ("alskg", " (cached)", "cached"),
               ("alskg-gunicorn", " (uncached)", "alskg gunicorn"),
               ("alskg-gunicorn", " (cached)", "cached"),
               ("rdflib-endpoint", " (uncached)", "rdflib-endpoint"),
               ("oxigraph-server", " (uncached)", "Oxigraph server")]
    out.append("| query | rows | " + " | ".join(c[2] for c in columns) +
               " | / rdflib-endpoint | / Oxigraph | cached / Oxigraph | granian / gunicorn |")
    out.append("|---|---|" + "---|" * (len(columns) + 4))
    ratios = http_ratios(http)
    for key, figures in ratios.items():
        cells = []
        for server, label, _ in columns:
            load = loads.get(server, {}).get(key + label)
            cells.append(f"{load['rps']:.0f} ({load['p50_ms']:.1f})" if load else
                         str(http["rows"].get(key, {}).get(server, "—")))
        rows = "/".join(str(v) for v in http["rows"].get(key, {}).values())
        out.append(f"| {key} | {rows} | " + " | ".join(cells) +
                   f" | {figures['vs rdflib-endpoint']:.1f}x | {figures['vs oxigraph']:.2f}x | "
                   f"{figures['cached vs oxigraph']:.2f}x | "
                   f"{figures['granian vs gunicorn']:.2f}x |")
    out.append("| **geometric mean** | | " + " | " * len(columns) +
               f"**{geomean([f['vs rdflib-endpoint'] for f in ratios.values()]):.1f}x** | "
               f"**{geomean([f['vs oxigraph'] for f in ratios.values()]):.2f}x** | "
               f"**{geomean([f['cached vs oxigraph'] for f in ratios.values()]):.2f}x** | "
               f"**{geomean([f['granian vs gunicorn'] for f in ratios.values()]):.2f}x** |\n")
    out.append("| ceiling check | req/s | p50 ms | p99 ms |")
    out.append("|---|---|---|---|")
    for key, load in sorted(loads.get("static", {}).items()):
        out.append(f"| {key} WSGI body (1 process x 8 threads) | {load['rps']:.0f} | "
                   f"{load['p50_ms']:.2f} | {load['p99_ms']:.2f} |")
    for server in ALSKG_SERVERS:
        for key, load in loads.get(server, {}).items():
            if key.startswith("named "):
                out.append(f"| {server} {key} | {load['rps']:.0f} | {load['p50_ms']:.2f} | "
                           f"{load['p99_ms']:.2f} |")
    out.append("")
    out.append("Server RSS after its tests (process tree): " + ", ".join(
        f"{k} {v:.0f} MB" for k, v in http["rss_mb"].items()) + "; ready (s): " + ", ".join(
        f"{k} {v:.2f}" for k, v in http["ready_s"].items()) + "\n")
    timeout_run = http.get("oxigraph_timeout")
    if timeout_run:
        crashed = timeout_run.get("crashed_after")
        out.append("Oxigraph server with `--timeout-s 10` under "
                   f"{results_connections(http)} connections: " +
                   (f"**crashed** during `{crashed}` (exit {timeout_run.get('exit_code')})"
                    if crashed else "stayed up through every query") + "; req/s: " +
                   ", ".join(f"{k} {v['rps']:.0f} ({v['errors']} errors)"
                             for k, v in timeout_run["loads"].items()) + "\n")
    return out


def results_connections(http: dict[str, Any]) -> int:
    """The connection count of the run (kept beside the figures)."""
    return int(http.get("connections", 8))


def markdown_report(results: dict[str, Any]) -> str:
    """Render every figure as Markdown tables, with the targets."""
    out: list[str] = []
    env = results["environment"]
    out.append(f"Run {env['date']} on {env['cpus']} CPUs ({env['machine']}), Python "
               f"{env['python']}, load generator {env['loader']} (1 thread, "
               f"{env['connections']} connections, {env['duration']} s per test).\n")
    http = results.get("http")
    if http:
        out.extend(http_report(http))
    als = results.get("als")
    if als:
        out.append("### ALS graph: build, reasoning, serve start-up\n")
        out.append("| step | seconds |")
        out.append("|---|---|")
        for label, value in als.items():
            if isinstance(value, (int, float)):
                out.append(f"| {label} | {value:.3f} |")
        out.append("")
    scale = results.get("scale")
    if scale:
        out.append("### Synthetic graphs (bench/synthetic.py), embedded Oxigraph engine\n")
        out.append("| asserted triples | build (s) | reasoning rules (s) | inferred | "
                   "merged triples | dataset quads (all graphs) | engine load (s) | "
                   "RSS after load (MB) | lookup ms | 3-hop anchored ms | 3-hop join+count ms | "
                   "aggregate ms | serve ready (s) | serve first answer (s) | "
                   "alskg import (s) |")
        out.append("|" + "---|" * 15)
        for size, row in scale.items():
            probe = row.get("probe", {})
            q = probe.get("queries", {})

            def cell(key: str, q: dict[str, Any] = q) -> str:
                entry = q.get(key)
                if not entry:
                    return "—"
                return str(entry["median_ms"]) if entry["status"] == "ok" else entry["status"]

            out.append(
                f"| {row.get('asserted', size)} | {row.get('build_s', '—')} | "
                f"{row.get('reasoning_s', '—')} | {row.get('inferred', '—')} | "
                f"{row.get('merged', '—')} | {row.get('quads', '—')} | "
                f"{probe.get('load_s', '—')} | "
                f"{probe.get('rss_after_load_mb', '—')} | {cell('lookup')} | "
                f"{cell('3hop-anchored')} | {cell('3hop-join-count')} | {cell('aggregate')} | "
                f"{row.get('serve', {}).get('ready_s', float('nan')):.2f} | "
                f"{row.get('serve', {}).get('first_answer_s', float('nan')):.2f} | "
                f"{row.get('import_s', '—')} |")
        out.append("")
        rdf = {s: r["rdflib_probe"] for s, r in scale.items() if "rdflib_probe" in r}
        if rdf:
            out.append("rdflib engine on the same graphs (load s / 3-hop anchored ms / "
                       "3-hop join+count ms): " + "; ".join(
                           f"{s}: {p.get('load_s')} / "
                           f"{p.get('queries', {}).get('3hop-anchored', {}).get('median_ms')} / "
                           f"{p.get('queries', {}).get('3hop-join-count', {}).get('median_ms') or p.get('queries', {}).get('3hop-join-count', {}).get('status')}"  # noqa: E501
                           for s, p in rdf.items()) + "\n")
        owl = {s: r["owlrl"] for s, r in scale.items() if "owlrl" in r}
        if owl:
            out.append("owlrl mode on the synthetic data: " + "; ".join(
                f"{s}: {v}" for s, v in owl.items()) + "\n")
    targets = results.get("targets")
    if targets:
        out.append("### Targets\n")
        out.append("| target | measured | met |")
        out.append("|---|---|---|")
        for name, measured, met in targets:
            out.append(f"| {name} | {measured} | {'yes' if met else '**no**'} |")
        out.append("")
    return "\n".join(out)


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Check the issue's ratio targets against this run's figures."""
    found: list[tuple[str, str, bool]] = []
    http = results.get("http")
    if http:
        ratios = http_ratios(http)
        large = [k for k, *_ in LARGE_QUERIES]
        uncached = [f["vs rdflib-endpoint"] for f in ratios.values()]
        worst = min(uncached) if uncached else float("nan")
        found.append(("every uncached query >= 10x rdflib-endpoint",
                      f"min {worst:.1f}x, geometric mean {geomean(uncached):.1f}x", worst >= 10))
        g = geomean([f["vs oxigraph"] for f in ratios.values()])
        found.append(("geometric mean >= 0.5x Oxigraph server, uncached", f"{g:.2f}x", g >= 0.5))
        big = [ratios[k]["vs oxigraph"] for k in large if k in ratios]
        if big:
            found.append(("answers of >= 1,000 rows/triples >= 0.8x Oxigraph server",
                          f"min {min(big):.2f}x, geometric mean {geomean(big):.2f}x",
                          min(big) >= 0.8))
        cached = [f["cached vs oxigraph"] for f in ratios.values()]
        found.append(("cached /sparql >= 1.0x Oxigraph server uncached",
                      f"min {min(cached):.2f}x, geometric mean {geomean(cached):.2f}x",
                      min(cached) >= 1.0))
        loads = http["loads"]
        named_key = next((k for k in loads.get("alskg", {}) if k.startswith("named ")), None)
        oxi_named = _rps(loads, "oxigraph-server",
                         "named:" + named_key.split()[1] + " (uncached)") if named_key else 0
        if named_key and oxi_named:
            share = loads["alskg"][named_key]["rps"] / oxi_named
            found.append(("cached named query >= 1.0x Oxigraph server uncached", f"{share:.2f}x",
                          share >= 1.0))
    als = results.get("als", {})
    if "build (rules, default) s" in als:
        found.append(("ALS build <= 3 s", f"{als['build (rules, default) s']:.2f} s",
                      als["build (rules, default) s"] <= 3))
    if "serve ready s" in als:
        found.append(("`alskg serve` ready <= 0.5 s from a built dataset",
                      f"{als['serve ready s']:.2f} s to /health, "
                      f"{als['serve first answer s']:.2f} s to the first answer",
                      als["serve ready s"] <= 0.5))
    for size, row in results.get("scale", {}).items():
        if int(size) < 900_000:
            continue
        probe = row.get("probe", {})
        if "load_s" in probe:
            found.append((f"{size}-triple graph: load <= 5 s", f"{probe['load_s']:.2f} s",
                          probe["load_s"] <= 5))
            q = probe["queries"].get("3hop-anchored", {})
            if q.get("median_ms") is not None:
                found.append((f"{size}-triple graph: 3-hop query <= 50 ms",
                              f"{q['median_ms']} ms anchored; join+count "
                              f"{probe['queries'].get('3hop-join-count', {}).get('median_ms')} ms",
                              q["median_ms"] <= 50))
            found.append((f"{size}-triple graph: RSS <= 1 GB",
                          f"{probe['rss_after_load_mb']:.0f} MB after load, peak "
                          f"{probe['peak_rss_mb']:.0f} MB", probe["peak_rss_mb"] <= 1024))
    return found


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run: 10 k only, 2 s tests")
    parser.add_argument("--sizes", default=None,
                        help="synthetic sizes, comma-separated (default 10000,100000,1000000; "
                             "--quick: 10000)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per load test")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--reason-max", type=int, default=1_000_000,
                        help="synthetic sizes above this are built with --no-reason (default: "
                             "reason at every size; builds above 50,000 inferences keep their "
                             "explanations in the derivation file only)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--python-client", action="store_true",
                        help="use the bounded Python client even when wrk is installed")
    parser.add_argument("--out", type=Path, default=None,
                        help="write results (.json and .md) to this path stem")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    duration = args.duration or (2.0 if args.quick else 5.0)
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else
                                             "10000,100000,1000000")).split(",") if s]
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    loader = run_wrk if use_wrk else run_python_client
    workdir = Path(tempfile.mkdtemp(prefix="alskg-bench-"))
    os.environ["ALSKG_BUILD_DIR"] = str(workdir / "default-build")
    results: dict[str, Any] = {"environment": {
        "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(),
        "loader": "wrk" if use_wrk else "python client", "connections": args.connections,
        "duration": duration, "quick": args.quick}}
    try:
        # -- the ALS graph: build (both reasoners), reasoning, serve start-up --------------------
        log("building the ALS graph")
        als_root = workdir / "als"
        seconds, _ = alskg("build", "--build-dir", str(als_root))  # first: registries asked
        als: dict[str, Any] = {"build (rules, default, cold registry cache) s": seconds}
        seconds, _ = alskg("build", "--build-dir", str(als_root))
        als["build (rules, default) s"] = seconds
        als["build (rules) receipt s"] = receipt(als_root)["seconds"]
        als["reasoning in build (rules) s"] = receipt(als_root)["reasoning"].get("seconds", 0.0)
        owl_root = workdir / "als-owlrl"
        seconds, _ = alskg("build", "--build-dir", str(owl_root), "--reasoner", "owlrl")
        als["build (owlrl) s"] = seconds
        als["reasoning in build (owlrl) s"] = receipt(owl_root)["reasoning"].get("seconds", 0.0)
        for mode, value in reasoning_times(("owlrl", "rules")).items():
            als[f"reason() {mode} s"] = value
        log("serve start-up (ALS)")
        startup = serve_startup(als_root, runs=1 if args.quick else 3)
        als["serve ready s"] = startup["ready_s"]
        als["serve first answer s"] = startup["first_answer_s"]
        results["als"] = als

        if not args.skip_http:
            log(f"HTTP comparison ({'wrk' if use_wrk else 'python client'})")
            results["http"] = http_section(als_root, workdir, duration, args.connections, loader)
            results["http"]["connections"] = args.connections

        if not args.skip_scale:
            scale: dict[str, Any] = {}
            for size in sizes:
                log(f"synthetic graph of {size} triples")
                row: dict[str, Any] = {}
                data_dir = workdir / f"syn-{size}"
                path, asserted = synthetic_data(size, data_dir)
                row["asserted"] = asserted
                build_root = workdir / f"build-{size}"
                reasoning = ["--reasoner", "rules"] if size <= args.reason_max else \
                    ["--no-reason"]
                seconds, _ = alskg("build", "--build-dir", str(build_root), "--data-dir",
                                   str(data_dir), "--no-validate", *reasoning)
                info = receipt(build_root)
                row["build_s"] = round(seconds, 2)
                row["reasoning_s"] = info["reasoning"].get("seconds", "skipped")
                row["inferred"] = info["reasoning"].get("inferred_triples", "—")
                graphs = info["graphs"]
                row["quads"] = sum(graphs.values())
                row["merged"] = sum(v for k, v in graphs.items()
                                    if k.rsplit("/", 1)[1] in ("ontology", "asserted", "inferred"))
                dataset = build_root / "current" / "dataset.nq"
                log("  probing the oxigraph engine")
                row["probe"] = probe_engine(dataset, "oxigraph", SCALE_QUERIES, workdir)
                if size <= 10_000:
                    log("  probing the rdflib engine")
                    row["rdflib_probe"] = probe_engine(dataset, "rdflib", SCALE_QUERIES, workdir,
                                                       repeat=3, timeout=30)
                if size <= 10_000:
                    log("  owlrl reasoning")
                    row["owlrl"] = reasoning_synthetic(path, ("owlrl",))
                log("  serve start-up")
                row["serve"] = serve_startup(build_root, runs=1)
                log("  alskg import")
                nt = data_dir / "synthetic.nt"
                path.rename(nt)
                started = time.perf_counter()
                done = subprocess.run(
                    [PY, "-c", "from alskg.cli.store import import_command; import_command()",
                     str(nt), "--store-path", str(workdir / f"store-{size}"),
                     "--without-build"], capture_output=True, text=True, timeout=3600,
                    check=False)
                row["import_s"] = round(time.perf_counter() - started, 2)
                if done.returncode != 0:
                    row["import_s"] = f"failed: {done.stderr[-300:]}"
                scale[str(size)] = row
                log(f"  {json.dumps(row)[:400]}")
            results["scale"] = scale
        results["targets"] = targets(results)
        report = markdown_report(results)
        print(report)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str))
            args.out.with_suffix(".md").write_text(report + "\n")
            log(f"wrote {args.out.with_suffix('.md')} and .json")
    finally:
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

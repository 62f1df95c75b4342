"""Search latency over HTTP: p50 / p95 / p99 per request of /search.json, /search (HTML) and
/search/suggest on `alskg serve` (granian, the defaults), on the ALS graph and on a synthetic
build of about 1 M triples (bench/synthetic.py, built with --no-validate --no-reason).

Every query is sent once (distinct texts, so the response cache never answers: the *uncached*
figures), over one keep-alive connection, then again with four connections at once; a last
pass repeats queries already answered (*cached*). The queries come from the build's own search
index, drawn with a fixed seed: exact labels, label prefixes of 2–8 characters, two words of a
label, identifiers (CURIEs, NCT numbers, DOIs), labels with one letter changed (typos) and
words that match nothing; for typeahead, label prefixes of 2–16 characters. Before measuring,
the server's query workers have loaded the dataset and 40 other queries per endpoint have been
sent (each server thread opens its own read-only connection to the index on first use).
Targets (issue 21): p95 ≤ 20 ms on the ALS graph, ≤ 50 ms at 1 M.

Usage:
    python bench/bench_search.py                      # ALS graph and 1 M synthetic
    python bench/bench_search.py --synthetic 0        # ALS graph only
    python bench/bench_search.py --als-build .alskg --synthetic-build /tmp/syn --queries 300

Servers listen on 127.0.0.1, are started and stopped by this script (by their own process id).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGETS = {"als": 20.0, "synthetic": 50.0}
WARM_UP = 40  # queries sent per endpoint before measuring (not measured, not repeated)
ENDPOINTS = (("/search.json", "application/json"), ("/search", "text/html"),
             ("/search/suggest", "application/json"))


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def alskg(*args: str) -> None:
    """Run the alskg CLI; fail loudly."""
    done = subprocess.run([sys.executable, "-m", "alskg", *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"alskg {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def synthetic_build(target: int, work: Path) -> Path:
    """Write a synthetic graph of about `target` asserted triples and build it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import generate

    sample = len(generate(20_000, seed=0))  # the generator's triples per unit drift with size
    graph = generate(int(target * 20_000 / sample), seed=0)
    data = work / "syn-data"
    data.mkdir(parents=True, exist_ok=True)
    graph.serialize(data / "synthetic.ttl", format="nt", encoding="utf-8")
    log(f"  {len(graph)} asserted triples; building")
    root = work / "syn-build"
    alskg("build", "--build-dir", str(root), "--data-dir", str(data), "--no-validate",
          "--no-reason")
    return root


def receipt(root: Path) -> dict[str, object]:
    """Return the current build's receipt."""
    return dict(json.loads((root / "current" / "receipt.json").read_text()))


def queries(index: Path, count: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Return (search queries, typeahead prefixes), distinct, drawn from the index."""
    con = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    rng = random.Random(seed)
    docs = con.execute("SELECT label, curie FROM doc ORDER BY id").fetchall()
    idents = [k for (k,) in con.execute(
        "SELECT key FROM ident WHERE key LIKE 'nct%' OR key LIKE '10.%' ORDER BY key")]
    con.close()
    found: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for _ in range(100 * count):
        if len(found) >= count and len(prefixes) >= count:
            break
        label, curie = rng.choice(docs)
        words = label.split()
        roll = rng.random()
        if roll < 0.25:
            text = label[:120]
        elif roll < 0.45:
            text = label[:rng.randint(2, 8)]
        elif roll < 0.65 and len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            text = " ".join(words[start:start + 2])
        elif roll < 0.75:
            text = rng.choice(idents) if idents and rng.random() < 0.5 else curie
        elif roll < 0.9:
            long_words = [w for w in words if len(w) >= 5 and w.isalpha()] or [label]
            word = rng.choice(long_words)
            i = rng.randrange(len(word))
            text = word[:i] + rng.choice("aeiouxz") + word[i + 1:]
        else:
            text = "".join(rng.choice("bcdfghjklmnpqvwxz") for _ in range(rng.randint(4, 9)))
        if text.strip():
            found[text.strip()] = None
        prefix = label[:rng.randint(2, max(2, min(len(label), 16)))].strip()
        if prefix:
            prefixes[prefix] = None
    return list(found)[:count], list(prefixes)[:count]


class Server:
    """`alskg serve` on a free port (granian, defaults), stopped by its own process id."""

    def __init__(self, root: Path) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind((HOST, 0))
            self.port = int(sock.getsockname()[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alskg", "serve", "--build-dir", str(root), "--port",
             str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("alskg serve exited before it was ready")
            try:  # ready once the query workers answer too (they load the dataset at start)
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/sparql?query=ASK%7B%7D",
                                            timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("alskg serve not ready in 600 s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def timed(port: int, path: str, accept: str, texts: list[str]) -> tuple[list[float], int]:
    """Send one GET per text over one keep-alive connection; return (latencies in ms, errors)."""
    con = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies, errors = [], 0
    for text in texts:
        started = time.perf_counter()
        con.request("GET", f"{path}?{urlencode({'q': text})}", headers={"Accept": accept})
        response = con.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status != 200
    con.close()
    return latencies, errors


def concurrent(port: int, path: str, accept: str, texts: list[str],
               connections: int) -> tuple[list[float], int, float]:
    """Send the texts over `connections` connections at once; return (ms, errors, req/s)."""
    parts = [texts[i::connections] for i in range(connections)]
    results: list[tuple[list[float], int]] = [([], 0)] * connections

    def run(i: int) -> None:
        results[i] = timed(port, path, accept, parts[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [ms for found, _ in results for ms in found]
    return latencies, sum(e for _, e in results), len(latencies) / elapsed


def percentiles(latencies: list[float]) -> dict[str, float]:
    """Return p50, p95, p99 and max in ms."""
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))]  # noqa: E731
    return {"p50": round(statistics.median(ordered), 2), "p95": round(pick(0.95), 2),
            "p99": round(pick(0.99), 2), "max": round(ordered[-1], 2)}


def measure(name: str, root: Path, count: int) -> dict[str, object]:
    """Measure every endpoint on one build; return the figures."""
    info = receipt(root)
    index = root / "current" / "search.sqlite"
    texts, prefixes = queries(index, count + WARM_UP)
    (warm, texts), (warm_prefixes, prefixes) = ((t[:WARM_UP], t[WARM_UP:])
                                                for t in (texts, prefixes))
    log(f"{name}: {info['triples']} quads, {info['search_file']['documents']} documents, "  # type: ignore[index]
        f"index {info['search_file']['bytes'] / 1e6:.1f} MB; {len(texts)} queries")  # type: ignore[index]
    server = Server(root)
    rows: dict[str, object] = {}
    try:
        for path, accept in ENDPOINTS:  # every server thread opens its index connection
            timed(server.port, path, accept, warm_prefixes if path.endswith("suggest") else warm)
        for path, accept in ENDPOINTS:
            asked = prefixes if path.endswith("suggest") else texts
            half = len(asked) // 2
            one, errors = timed(server.port, path, accept, asked[:half])
            many, errors_many, rate = concurrent(server.port, path, accept, asked[half:], 4)
            cached, _ = timed(server.port, path, accept, asked[:min(100, half)])
            rows[path] = {"uncached_1": percentiles(one), "uncached_4": percentiles(many),
                          "req_per_s_4": round(rate), "cached_1": percentiles(cached),
                          "errors": errors + errors_many, "requests": len(one) + len(many)}
            log(f"  {path}: p95 {rows[path]['uncached_1']['p95']} ms uncached")  # type: ignore[index]
    finally:
        server.stop()
    return {"build": name, "quads": info["triples"],
            "documents": info["search_file"]["documents"],  # type: ignore[index]
            "index_bytes": info["search_file"]["bytes"],  # type: ignore[index]
            "index_seconds": info["search_file"].get("seconds"),  # type: ignore[union-attr]
            "target_p95_ms": TARGETS["als" if name == "ALS graph" else "synthetic"],
            "endpoints": rows}


def report(results: list[dict[str, object]]) -> str:
    """Return the figures as a Markdown table."""
    lines = ["| build | endpoint | p50 | p95 | p99 | max | p95, 4 connections | req/s, 4 "
             "connections | p95 cached | target p95 | met |", "|---" * 11 + "|"]
    for result in results:
        for path, row in result["endpoints"].items():  # type: ignore[attr-defined]
            p95 = row["uncached_1"]["p95"]
            met = "yes" if p95 <= result["target_p95_ms"] else "NO"
            lines.append(
                f"| {result['build']} | `{path}` | {row['uncached_1']['p50']} | {p95} | "
                f"{row['uncached_1']['p99']} | {row['uncached_1']['max']} | "
                f"{row['uncached_4']['p95']} | {row['req_per_s_4']} | {row['cached_1']['p95']} | "
                f"{result['target_p95_ms']} | {met} |")
    return "\n".join(lines)


def main() -> None:
    """Build what is needed, measure, print the table and the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--als-build", type=Path, help="build folder of the ALS graph "
                        "(default: build one in the work folder)")
    parser.add_argument("--synthetic", type=int, default=1_000_000,
                        help="asserted triples of the synthetic build (0: skip)")
    parser.add_argument("--synthetic-build", type=Path, help="an existing synthetic build folder")
    parser.add_argument("--queries", type=int, default=400, help="distinct queries per build")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="alskg-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    als = args.als_build
    if als is None:
        log("building the ALS graph")
        als = work / "als-build"
        alskg("build", "--build-dir", str(als))
    results = [measure("ALS graph", als, args.queries)]
    if args.synthetic or args.synthetic_build:
        syn = args.synthetic_build
        if syn is None:
            log(f"synthetic graph of {args.synthetic} triples")
            syn = synthetic_build(args.synthetic, work)
        results.append(measure(f"synthetic {args.synthetic // 1000} k", syn, args.queries))
    print(f"\nSearch latency, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"`{' '.join(['python', 'bench/bench_search.py', *sys.argv[1:]])}`\n")
    print(report(results))
    print("\n" + json.dumps({"date": started.isoformat(timespec="seconds"), "results": results}))


if __name__ == "__main__":
    main()

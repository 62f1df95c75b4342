"""Load a built dataset into an alskg engine in a fresh process; time the load and some queries.

Usage: python bench/probe_engine.py DATASET.nq ENGINE QUERIES.json [--repeat N] [--timeout S]
Prints one JSON object: load seconds, RSS after load, per-query median/min ms and rows, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path


def rss_mb() -> float:
    """Return this process's current resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Load, query, report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", type=Path)
    parser.add_argument("engine")
    parser.add_argument("queries", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    from alskg.query.engines import DatasetSpec, QueryTimeout, open_engine

    base_rss = rss_mb()
    started = time.perf_counter()
    engine = open_engine(args.engine, args.dataset)
    load = time.perf_counter() - started
    report: dict[str, object] = {"engine": args.engine, "load_s": round(load, 3),
                                 "rss_after_load_mb": round(rss_mb(), 1),
                                 "rss_before_mb": round(base_rss, 1), "queries": {}}
    for key, text in json.loads(args.queries.read_text()):
        times = []
        rows = 0
        status = "ok"
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            try:
                outcome = engine.run(text, DatasetSpec(), max_rows=10_000_000,
                                     timeout=args.timeout)
            except QueryTimeout:
                status = f"timeout>{args.timeout:g}s"
                break
            times.append((time.perf_counter() - t0) * 1000)
            rows = len(outcome.rows) if outcome.form == "SELECT" else len(outcome.triples)
            if sum(times) > args.timeout * 1000:
                break
        report["queries"][key] = {  # type: ignore[index]
            "status": status, "rows": rows,
            "median_ms": round(statistics.median(times), 2) if times else None,
            "min_ms": round(min(times), 2) if times else None, "runs": len(times)}
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["rss_end_mb"] = round(rss_mb(), 1)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

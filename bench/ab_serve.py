"""A/B of `alskg serve` variants: the same uncached queries, interleaved rounds, one at a time.

    python bench/ab_serve.py --build-dir BUILD \\
        --variant now=src --variant t2=src:--threads,2 --variant before=/tmp/old/src \\
        --queries lookup,join-2hop --rounds 3

A variant is `name=SRC[:serve options]`: the source tree put on PYTHONPATH (an older checkout
for a before/after comparison) and extra `alskg serve` options, comma-separated (`--threads,2`;
the defaults are the bench's: 1 worker x 8 threads, 2 query workers). Each round starts every
variant in turn on 127.0.0.1, runs wrk (1 thread, 8 connections, unique query text per request)
for each query and stops it by its own process id; the rounds interleave the variants, so other
work on the machine disturbs them alike. Prints req/s per round. Needs wrk.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.queries import HTTP_QUERIES, LARGE_QUERIES, PREFIXES  # noqa: E402
from bench.run import JSON, TURTLE, Server, http_get, run_wrk  # noqa: E402

CASES = {key: (text, JSON if form == "SELECT" else TURTLE) for key, form, text in HTTP_QUERIES}
CASES.update({key: (PREFIXES + text, accept) for key, _form, text, accept in LARGE_QUERIES})
DEFAULTS = {"--workers": "1", "--threads": "8", "--query-workers": "2"}


def serve_command(build_dir: Path, extra: list[str]) -> list[str]:
    """The `alskg serve` command line of a variant (its options over the bench's defaults)."""
    options = dict(DEFAULTS)
    options.update(zip(extra[::2], extra[1::2], strict=True))
    return [sys.executable, "-m", "alskg", "serve", "--build-dir", str(build_dir), "--port",
            "{port}", *(part for pair in options.items() for part in pair)]


def main() -> None:
    """Run the rounds and print req/s per query and variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--variant", action="append", required=True, help="name=SRC[:options]")
    parser.add_argument("--queries", default="lookup,join-2hop")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2.0)
    args = parser.parse_args()
    keys = args.queries.split(",")
    unknown = [key for key in keys if key not in CASES]
    if unknown:
        parser.error(f"unknown queries {unknown}; known: {', '.join(CASES)}")
    variants = []
    for spec in args.variant:
        name, _, rest = spec.partition("=")
        source, _, options = rest.partition(":")
        variants.append((name, str(Path(source).resolve()), options.split(",") if options else []))
    figures: dict[str, dict[str, list[float]]] = {key: {} for key in keys}
    with tempfile.TemporaryDirectory(prefix="alskg-ab-") as work:
        for _ in range(args.rounds):
            for name, source, extra in variants:
                server = Server(name, serve_command(args.build_dir, extra), "/health",
                                env={"PYTHONPATH": source}).start()
                try:  # as bench/run.py: let every query worker finish loading first
                    http_get(f"{server.base}/sparql?query=ASK%7B%7D", JSON, timeout=120)
                    time.sleep(1.5)
                    for key in keys:
                        text, accept = CASES[key]
                        url = f"{server.base}/sparql?{urllib.parse.urlencode({'query': text})}"
                        load = run_wrk(url, accept, args.duration, 8, True, Path(work))
                        figures[key].setdefault(name, []).append(load.rps)
                finally:
                    server.stop()
    for key, by_variant in figures.items():
        cells = [f"{name}: {' / '.join(f'{rps:.0f}' for rps in values)}"
                 for name, values in by_variant.items()]
        print(f"{key:<24} " + "   ".join(cells))


if __name__ == "__main__":
    main()

"""What the operator metrics cost per request: a cached answer replayed through the app's WSGI
stack in-process, with metrics off, on (one process) and on in multi-process mode.

    python bench/bench_metrics.py [--build-dir D] [--requests 20000]

No HTTP server and no load generator: the figure is the layer's own cost (counting the request
by rule and status, its duration, the cache lookup), to set beside a server's per-request time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def per_request_us(build_dir: Path, metrics: str, requests: int) -> float:
    """Replay one cached /sparql answer `requests` times; return microseconds per request."""
    from werkzeug.test import EnvironBuilder

    from alskg.web import create_app

    app = create_app({"ALSKG_EXECUTOR": "inline", "ALSKG_BUILD_ROOT": str(build_dir),
                      "ALSKG_METRICS": metrics})
    environ = EnvironBuilder(path="/sparql", query_string="query=ASK%7B%7D").get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None
                       ) -> None:
        return None

    list(app.wsgi_app(dict(environ), start_response))   # run once: now cached
    started = time.perf_counter()
    for _ in range(requests):
        list(app.wsgi_app(dict(environ), start_response))
    elapsed = time.perf_counter() - started
    app.extensions["alskg"].close()
    return elapsed / requests * 1e6


def main() -> None:
    """Print the per-request cost in each mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--mode", choices=["off", "on"], default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:   # one measurement, in a fresh process (multi-process mode is chosen at import)
        print(json.dumps(per_request_us(args.build_dir, args.mode, args.requests)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        build_dir = args.build_dir
        if build_dir is None:
            from alskg.assembly.pipeline import BuildOptions, build

            build_dir = Path(scratch) / "build"
            build(BuildOptions(root=build_dir))
        results = {}
        for label, mode, multiproc in (("metrics off", "off", False),
                                       ("metrics on, one process", "on", False),
                                       ("metrics on, multi-process mode", "on", True)):
            env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
            if multiproc:
                env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(dir=scratch)
            done = subprocess.run(
                [sys.executable, __file__, "--build-dir", str(build_dir), "--mode", mode,
                 "--requests", str(args.requests)], env=env, capture_output=True, text=True,
                check=True)
            results[label] = float(done.stdout.strip().splitlines()[-1])
    base = results["metrics off"]
    for label, value in results.items():
        print(f"{label:32} {value:6.1f} µs per cached request  (+{value - base:.1f} µs)")


if __name__ == "__main__":
    main()

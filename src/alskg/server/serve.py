"""Run the app under an HTTP server: granian (default) or gunicorn (gthread), same behaviour.

Both run the Flask app in worker processes (each with its killable query workers), log every
request, restart a worker that dies, and on SIGTERM stop accepting, let requests in flight finish
(up to 15 s) and exit. granian is the default because it answered 16x more cached and 1.8x more
uncached requests per second than gunicorn on this machine (bench/run.py, same app): its HTTP
handling is Rust, so the Python work per request is the app's own.

Metrics are summed over the worker processes (alskg.metrics_dir): each server runs inside
`multiprocess_metrics()`, gunicorn marks a dead worker at once and, for granian (which has no such
hook), the /metrics view sweeps workers that are gone before it collects.
"""

from __future__ import annotations

import gc
import json
import os
from typing import Any

from .metrics_dir import mark_worker_dead, multiprocess_metrics

SERVERS = ("granian", "gunicorn")
GRACEFUL_SECONDS = 15
OVERRIDES_ENV = "ALSKG_SERVE_OVERRIDES"


def make_app(overrides: dict[str, Any]) -> Any:
    """Create the Flask app and start its query workers (once per server worker).

    The objects made at start-up (modules, the app, the catalog) live as long as the process:
    `gc.freeze` moves them out of the collector's reach, so a full collection, which runs every
    few hundred requests, no longer walks them (measured: ~10 µs of every request's Python)."""
    from ..web import create_app

    app = create_app(overrides)
    app.extensions["alskg"].warm_up()
    gc.collect()
    gc.freeze()
    return app


def granian_app() -> Any:
    """The granian factory: the app built from the overrides `run_server` put in the environment.

    Requests are logged by web.request_log (granian's own access log costs 2/3 of the cached
    throughput).
    """
    from .request_log import RequestLog

    return RequestLog(make_app(json.loads(os.environ.get(OVERRIDES_ENV, "{}"))))


def run_server(overrides: dict[str, Any], *, host: str, port: int, workers: int,
               threads: int, server: str = "granian") -> None:
    """Serve until interrupted; SIGTERM lets requests in flight finish first."""
    if server == "gunicorn":
        run_gunicorn(overrides, host=host, port=port, workers=workers, threads=threads)
        return
    if server != "granian":
        raise ValueError(f"unknown server {server!r}; expected one of {SERVERS}")
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    os.environ[OVERRIDES_ENV] = json.dumps(overrides)  # the workers inherit it
    with multiprocess_metrics():
        Granian(
            "alskg.server.serve:granian_app", address=host, port=port, interface=Interfaces.WSGI,
            factory=True, workers=max(1, workers), blocking_threads=max(1, threads),
            http=HTTPModes.http1, websockets=False, log_access=False,
            respawn_failed_workers=True, respawn_interval=0.5,
            workers_kill_timeout=GRACEFUL_SECONDS,
        ).serve()


def run_gunicorn(overrides: dict[str, Any], *, host: str, port: int, workers: int,
                 threads: int) -> None:
    """Serve with gunicorn's threaded workers (kept for comparison in the bench)."""
    from gunicorn.app.base import BaseApplication

    class GunicornServer(BaseApplication):
        """A gunicorn application that builds the Flask app in each worker process."""

        def load_config(self) -> None:
            """Apply the gunicorn options."""
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            """Create the Flask app (once per worker, after fork)."""
            return make_app(overrides)

    timeout = float(overrides.get("ALSKG_QUERY_TIMEOUT", 10.0))
    options = {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": max(1, threads),
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "graceful_timeout": GRACEFUL_SECONDS,
        "timeout": int(timeout + 30),
        "limit_request_line": 8190,
        "preload_app": False,
        "child_exit": lambda _arbiter, worker: mark_worker_dead(worker.pid),
    }
    with multiprocess_metrics():
        GunicornServer().run()

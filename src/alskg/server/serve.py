"""Run the app under an HTTP server: granian (default) or gunicorn (gthread).

Both run the Flask app in worker processes (each with its killable query workers), log every
request, restart a worker that dies, and on SIGTERM stop accepting, let requests in flight finish
(up to 15 s) and exit. granian is the default because it answered 16x more cached and 1.8x more
uncached requests per second than gunicorn on this machine (bench/run.py, same app): its HTTP
handling is Rust, so the Python work per request is the app's own.

Under granian each worker runs server.front (bodies read with a deadline and a bound before the
app sees them) and the master keeps the served build (server.serving): it claims the port
(server.port), pins the build every worker opens, and on SIGHUP switches all of them to the
newest build at once. Under gunicorn (kept for comparison) every worker opens the pinned build;
gunicorn's own SIGHUP restarts the workers on that same build, and request bodies are read by
the request threads as gunicorn hands them over.

Metrics are summed over the worker processes (alskg.metrics_dir): each server runs inside
`multiprocess_metrics()`, gunicorn marks a dead worker at once and, for granian (which has no such
hook), the /metrics view sweeps workers that are gone before it collects.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from .metrics_dir import mark_worker_dead, multiprocess_metrics
from .port import claim_port
from .serving import STATE_ENV, Conductor, RunFolder

SERVERS = ("granian", "gunicorn")
GRACEFUL_SECONDS = 15
OVERRIDES_ENV = "ALSKG_SERVE_OVERRIDES"
THREADS_KEY = "ALSKG_SERVER_THREADS"


def make_app(overrides: dict[str, Any]) -> Any:
    """Create the Flask app and start its query workers (once per server worker and build).

    The objects made at start-up (modules, the app, the catalog) live as long as the process:
    `gc.freeze` moves them out of the collector's reach, so a full collection, which runs every
    few hundred requests, no longer walks them (measured: ~10 µs of every request's Python)."""
    from ..web import create_app

    app = create_app(overrides)
    app.extensions["alskg"].warm_up()
    gc.collect()
    gc.freeze()
    return app


def front_app() -> Any:
    """The granian factory (in each worker): the front over the build the master pinned."""
    from ..assembly.lease import drop_inherited
    from .front import Front

    drop_inherited()  # the master's leases, inherited by fork: the worker takes its own

    overrides = json.loads(os.environ.get(OVERRIDES_ENV, "{}"))
    threads = int(overrides.pop(THREADS_KEY, 8))
    return Front(make_app, overrides, RunFolder(Path(os.environ[STATE_ENV])), threads)


def run_server(overrides: dict[str, Any], *, host: str, port: int, workers: int,
               threads: int, server: str = "granian") -> None:
    """Serve until interrupted; SIGTERM lets requests in flight finish first; SIGHUP (granian)
    switches every worker to the newest build. PortInUse, BuildUnusable and StoreCorrupt stop
    it before it listens."""
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; expected one of {SERVERS}")
    with claim_port(host, port):
        run = RunFolder(Path(tempfile.mkdtemp(prefix="alskg-run-")))
        try:
            root, store = overrides.get("ALSKG_BUILD_DIR"), overrides.get("ALSKG_STORE_PATH")
            conductor = Conductor(run, Path(root) if root else None,
                                  Path(store) if store else None)
            try:
                if server == "gunicorn":
                    run_gunicorn({**overrides, **conductor.active.settings()}, host=host,
                                 port=port, workers=workers, threads=threads)
                else:
                    run_granian(overrides, run, conductor, host=host, port=port,
                                workers=workers, threads=threads)
            finally:
                conductor.close()
        finally:
            shutil.rmtree(run.path, ignore_errors=True)


def run_granian(overrides: dict[str, Any], run: RunFolder, conductor: Conductor, *,
                host: str, port: int, workers: int, threads: int) -> None:
    """Serve with granian's RSGI interface and server.front in every worker."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    os.environ[OVERRIDES_ENV] = json.dumps({**overrides, THREADS_KEY: threads})  # inherited
    os.environ[STATE_ENV] = str(run.path)
    body_timeout = float(overrides.get("ALSKG_BODY_TIMEOUT", 10.0))
    with multiprocess_metrics():
        granian = Granian(
            "alskg.server.serve:front_app", address=host, port=port, interface=Interfaces.RSGI,
            factory=True, workers=max(1, workers), http=HTTPModes.http1, websockets=False,
            log_access=False, respawn_failed_workers=True, respawn_interval=0.5,
            workers_kill_timeout=GRACEFUL_SECONDS,
            http1_settings=HTTP1Settings(  # granian takes 1 ms to 60 s here
                header_read_timeout=min(60_000, max(1, int(body_timeout * 1000)))))
        granian.on_startup(lambda: reload_on_sighup(conductor))
        granian.serve()


def reload_on_sighup(conductor: Conductor) -> None:
    """Make SIGHUP switch every worker to the newest build (in place of granian's rolling
    restart of its workers, which serves two builds side by side meanwhile)."""
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s")
    lock = threading.Lock()

    def reload() -> None:
        with lock:
            conductor.reload()

    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
        target=reload, name="alskg-reload", daemon=True).start())


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

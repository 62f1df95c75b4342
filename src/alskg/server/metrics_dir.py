"""Metrics across server processes: the PROMETHEUS_MULTIPROC_DIR folder a multi-process server
needs, made before any worker starts and removed after, and the hook for a dead worker.

Kept apart from the web package on purpose: prometheus-client decides at import whether it runs
in multi-process mode, so this module imports it only inside `mark_worker_dead`, after the
folder is set. Any server (gunicorn now, another later) calls `multiprocess_metrics()` around its
run and `mark_worker_dead(pid)` when a worker exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..assembly.store import process_alive

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics() -> Iterator[Path]:
    """Give worker processes a fresh metrics folder (or the operator's own) for the server's run.

    A folder made here is removed on exit; one the operator set in PROMETHEUS_MULTIPROC_DIR is
    kept (and used as it is)."""
    own = os.environ.get(ENV)
    if own:
        Path(own).mkdir(parents=True, exist_ok=True)
        yield Path(own)
        return
    folder = tempfile.mkdtemp(prefix="alskg-metrics-")
    os.environ[ENV] = folder
    try:
        yield Path(folder)
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


def mark_worker_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters and histograms keep counting in the sum)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def sweep_dead_workers() -> None:
    """Mark every worker whose process is gone (for servers without an exit hook, like granian).

    prometheus-client names its files `<kind>_<pid>.db`; a pid that no longer runs is a dead
    worker whose live gauges must stop counting."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    pids = {int(name.rsplit("_", 1)[-1][:-3]) for name in os.listdir(folder)
            if name.endswith(".db") and name.rsplit("_", 1)[-1][:-3].isdigit()}
    for pid in pids:
        if not process_alive(pid):
            mark_worker_dead(pid)

"""Killable query worker processes: each query runs with a time limit and a memory limit.

A worker process holds one engine. Before loading the build's dataset it checks the file against
the receipt's SHA-256 (a replacement worker started long after the server does the same), and
once the engine is loaded it caps its own address space at its present size plus the memory a
query may take (`--max-query-memory`, RLIMIT_AS): a query that needs more fails to allocate —
MemoryError in Python, an abort in Rust — and gets 503 naming the limit; the pool replaces the
worker, so no query grows the service by more than the bound. A query past its time limit kills
its worker. A worker that cannot start (a damaged file, no memory) is retried with growing pauses
(up to 30 s) for as long as the pool lives; while no worker can answer, a query gets 503 with
the reason at once and `status()` reports it (/health).

The process handling (spawn, pipes, kill, respawn) is hand-written: multiprocessing's pools
cannot kill one task's process at a deadline and keep the others, and concurrent.futures'
process pool breaks as a whole when one of its processes dies.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..errors import AlskgError, MemoryLimit, QueryCrashed, ServerBusy
from . import wire
from .executor import (
    EngineConfig,
    PoolStatus,
    QueryRequest,
    QueryResponse,
    execute,
    failed,
    timed_out,
)

log = logging.getLogger(__name__)
MIB = 1 << 20
MAX_RETRY_PAUSE = 30.0


def memory_message(limit: int) -> str:
    """Return the message of a query stopped at the memory limit (`limit` in bytes)."""
    return (f"Query stopped: it needed more memory than a query may take ({limit // MIB} MiB, "
            "the server's --max-query-memory)")


def limit_address_space(extra: int) -> int | None:
    """Cap this process's address space at its present size plus `extra` bytes (Linux: the
    size is VmSize from /proc); return the cap, or None where it cannot be measured."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            size = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


def _exit_with_parent(parent: int) -> None:
    """Leave as soon as the parent (the server process) is gone, even in the middle of a query."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _worker_main(conn: Connection, config: EngineConfig, memory_limit: int) -> None:
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="alskg-parent-watch",
                     daemon=True).start()
    fd = conn.fileno()
    try:
        engine = config.open()  # checks the dataset against its SHA-256 first
    except Exception as exc:  # noqa: BLE001 - tell the pool why, then leave
        error = exc if isinstance(exc, AlskgError) else QueryCrashed(
            f"cannot open the {config.name} engine: {type(exc).__name__}: {exc}")
        wire.send(fd, ("failed", error))
        return
    gc.collect()
    gc.freeze()  # the engine and the modules stay for the worker's life: out of the collector's way
    if memory_limit:
        limit_address_space(memory_limit)
    wire.send(fd, ("ready", None))
    while True:
        try:
            fields, _ = wire.receive(fd)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if fields is None:
            return
        try:
            response = execute(engine, QueryRequest.from_wire(fields))
        except MemoryError:
            response = failed(MemoryLimit(memory_message(memory_limit)))
        except Exception as exc:  # noqa: BLE001 - report, never die on one query
            response = failed(QueryCrashed(f"Query failed: {type(exc).__name__}: {exc}"))
        wire.send(fd, *response.to_wire())


class _Worker:
    def __init__(self, context: Any, config: EngineConfig, memory_limit: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, config, memory_limit),
                                       daemon=True)
        self.process.start()
        child.close()
        self.fd = self.conn.fileno()
        self.waiter = wire.Waiter(self.fd)

    def wait_ready(self, timeout: float) -> AlskgError | None:
        """Wait for the worker's engine; None when ready, else why it is not."""
        if not self.waiter.ready(timeout):
            return ServerBusy(f"a query worker did not start within {timeout:g} s")
        try:
            (state, error), _ = wire.receive(self.fd)
        except (EOFError, OSError, ValueError, TypeError):
            return QueryCrashed("a query worker died while it started")
        return None if state == "ready" else error

    def ask(self, request: QueryRequest, timeout: float) -> QueryResponse | None:
        """Send a request and wait for its answer; None when none came within `timeout`."""
        wire.send(self.fd, request.to_wire())
        if not self.waiter.ready(timeout):
            return None
        return QueryResponse.from_wire(*wire.receive(self.fd))

    def stop(self, grace: float = 0.0) -> int | None:
        """End the process (after `grace` seconds to exit by itself); return its exit code."""
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()
        return self.process.exitcode


class WorkerPool:
    """Worker processes that each hold the engine; a query past its limits loses its worker.

    `on_restart(reason)` is told of every replaced worker ("timeout", "memory" or "died")."""

    def __init__(self, config: EngineConfig, size: int = 2, start_timeout: float = 120.0,
                 on_restart: Callable[[str], None] | None = None, memory_limit: int = 0) -> None:
        self.config = config
        self.on_restart = on_restart
        self.size = max(1, size)
        self.start_timeout = start_timeout
        self.memory_limit = memory_limit
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closing = threading.Event()
        self._all: set[_Worker] = set()
        self._ready: set[_Worker] = set()
        self._lock = threading.Lock()
        self.error: AlskgError | None = None
        self.restarts = 0
        started = [self._spawn() for _ in range(self.size)]
        for worker in started:
            problem = worker.wait_ready(start_timeout)
            if problem is None:
                self._admit(worker)
            else:
                self._retire(worker)
                self.error = problem
                self._start_in_background()

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.config, self.memory_limit)
        with self._lock:
            self._all.add(worker)
        return worker

    def _admit(self, worker: _Worker) -> None:
        with self._lock:
            self._ready.add(worker)
            self.error = None
        self._idle.put(worker)

    def _retire(self, worker: _Worker, grace: float = 0.0) -> int | None:
        with self._lock:
            self._all.discard(worker)
            self._ready.discard(worker)
        return worker.stop(grace)

    def _replace(self, dead: _Worker, reason: str) -> None:
        self._retire(dead)
        self._restarted(reason)

    def _restarted(self, reason: str) -> None:
        """Count a replaced worker, tell `on_restart`, and start its successor."""
        with self._lock:
            self.restarts += 1
        if self.on_restart is not None:
            self.on_restart(reason)
        self._start_in_background()

    def _start_in_background(self) -> None:
        """Start one worker in a thread, retrying with growing pauses until it is ready."""

        def start() -> None:
            pause = 0.5
            while not self._closing.is_set():
                worker = self._spawn()
                problem = worker.wait_ready(self.start_timeout)
                if problem is None and not self._closing.is_set():
                    self._admit(worker)
                    return
                self._retire(worker)
                if problem is not None:
                    self.error = problem
                    log.error("query worker failed to start: %s; retrying in %.1f s",
                              problem, pause)
                self._closing.wait(pause)
                pause = min(pause * 2, MAX_RETRY_PAUSE)

        threading.Thread(target=start, name="alskg-respawn", daemon=True).start()

    def status(self) -> PoolStatus:
        """Return how many workers can answer, and the last reason one could not start."""
        with self._lock:
            ready = len(self._ready)
        return PoolStatus(ready, self.size, None if self.error is None else str(self.error))

    def _next_idle(self, wait: float) -> _Worker | QueryResponse:
        """Take an idle worker within `wait` seconds; while none can start (a damaged file,
        say), answer at once with the reason instead of waiting."""
        deadline = time.monotonic() + wait
        while True:
            error = self.error
            if error is not None and not self._ready:
                return failed(ServerBusy(f"No query worker can start: {error}"))
            left = deadline - time.monotonic()
            if left <= 0:
                return failed(ServerBusy("Server busy: every query worker is occupied; retry "
                                         "later"))
            try:
                return self._idle.get(timeout=min(left, 0.25))
            except queue.Empty:
                continue

    def run(self, request: QueryRequest, queue_timeout: float | None = None) -> QueryResponse:
        """Run a request on an idle worker; ServerBusy or QueryTimeout when it cannot."""
        worker = self._next_idle(request.timeout if queue_timeout is None else queue_timeout)
        if isinstance(worker, QueryResponse):
            return worker
        started = time.monotonic()
        try:
            response = worker.ask(request, request.timeout + 0.5)
        except (EOFError, OSError):
            code = self._retire(worker, grace=1.0)
            # Rust aborts a process that cannot allocate: under a memory limit, that is why
            memory = bool(self.memory_limit) and code == -signal.SIGABRT
            self._restarted("memory" if memory else "died")
            if memory:
                return failed(MemoryLimit(memory_message(self.memory_limit)))
            return failed(ServerBusy("The query worker stopped unexpectedly; retry the query"))
        if response is None:
            log.warning("query killed after %.1f s", time.monotonic() - started)
            self._replace(worker, "timeout")
            return timed_out(request.timeout)
        if isinstance(response.error, MemoryLimit):  # give its memory back to the system
            self._replace(worker, "memory")
        else:
            self._idle.put(worker)
        return response

    def close(self) -> None:
        """Stop every worker."""
        self._closing.set()
        with self._lock:
            workers = list(self._all)
            self._all.clear()
            self._ready.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                wire.send(worker.fd, None)
            worker.stop()

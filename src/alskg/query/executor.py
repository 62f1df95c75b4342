"""Run queries with a hard time limit: in killable worker processes, or inline for the CLI."""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rdflib.term import Node

from ..curation.namespaces import DEFAULT_BASE
from ..errors import (
    AlskgError,
    QueryCrashed,
    QueryError,
    QueryTimeout,
    ServerBusy,
    StoreFailed,
)
from ..formats import media as formats
from . import wire
from .engines import DatasetSpec, Engine, QueryOutcome, open_engine
from .engines.base import SerializedAnswer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    """How to open an engine in any process: its name, the build's dataset file and options."""

    name: str
    dataset_file: Path
    base: str = DEFAULT_BASE
    options: dict[str, Any] = field(default_factory=dict)

    def open(self) -> Engine:
        """Open the engine this configuration names."""
        return open_engine(self.name, self.dataset_file, base=self.base, options=self.options)


@dataclass(frozen=True)
class QueryRequest:
    """One query to run: text, dataset view, typed bindings, wanted format and limits."""

    query: str
    spec: DatasetSpec = DatasetSpec()
    bindings: tuple[tuple[str, Node], ...] = ()
    format_key: str | None = None
    max_rows: int = 10_000
    timeout: float = 10.0
    as_terms: bool = False  # answer with the outcome's terms (pages), not serialized bytes

    def to_wire(self) -> tuple[Any, ...]:
        """Return the request as plain fields for the worker's wire (no dataclass pickling)."""
        spec = self.spec
        return (self.query, spec.default_graphs, spec.named_graphs, spec.inference,
                self.bindings, self.format_key, self.max_rows, self.timeout, self.as_terms)

    @classmethod
    def from_wire(cls, fields: tuple[Any, ...]) -> QueryRequest:
        """Rebuild a request from `to_wire`'s fields."""
        query, default, named, inference, bindings, format_key, max_rows, timeout, terms = fields
        return cls(query, DatasetSpec(default, named, inference), bindings, format_key,
                   max_rows, timeout, terms)


@dataclass(frozen=True)
class QueryResponse:
    """The answer to a QueryRequest: serialized bytes or terms, or the error that stopped it."""

    content_type: str = ""
    body: bytes = b""
    form: str | None = None
    truncated: bool = False
    rows: int | None = 0  # None: a native writer sent the answer without counting its rows
    error: QueryError | None = None
    outcome: QueryOutcome | None = None

    def to_wire(self) -> tuple[tuple[Any, ...], bytes]:
        """Return (plain fields, body) for the wire: the body travels apart, never pickled."""
        return (self.content_type, self.form, self.truncated, self.rows, self.error,
                self.outcome), self.body

    @classmethod
    def from_wire(cls, fields: tuple[Any, ...], body: bytes) -> QueryResponse:
        """Rebuild a response from `to_wire`'s fields and body."""
        content_type, form, truncated, rows, error, outcome = fields
        return cls(content_type, body, form, truncated, rows, error, outcome)

    @property
    def ok(self) -> bool:
        """Tell whether the query was answered."""
        return self.error is None

    @property
    def timed_out(self) -> bool:
        """Tell whether the query was stopped at its time limit."""
        return isinstance(self.error, QueryTimeout)

    @property
    def size(self) -> int:
        """Return roughly how many bytes the answer holds (for the cache's bound)."""
        rows = self.rows or 0
        return len(self.body) + 100 * rows if self.outcome is not None else len(self.body)


def failed(error: QueryError) -> QueryResponse:
    """Return the response of a request stopped by `error`."""
    return QueryResponse(error=error)


def timed_out(limit: float) -> QueryResponse:
    """Return the response of a query stopped at its time limit."""
    return failed(QueryTimeout(f"Query stopped: it ran past the {limit:g} s limit"))


def execute(engine: Engine, request: QueryRequest) -> QueryResponse:
    """Run a request on an engine; answer with bytes or terms, or with the error that stopped it.

    The time limit holds over the whole answer, its writing included: the writers check the
    same deadline as the engine (formats.deadline)."""
    deadline = time.monotonic() + request.timeout
    try:
        if not request.as_terms:
            native = engine.run_serialized(request.query, request.spec,
                                           bindings=dict(request.bindings),
                                           max_rows=request.max_rows, timeout=request.timeout,
                                           format_key=request.format_key)
            if native is not None:
                return _native_response(native)
        outcome = engine.run(request.query, request.spec, bindings=dict(request.bindings),
                             max_rows=request.max_rows, timeout=request.timeout)
        count = len(outcome.rows) if outcome.form == "SELECT" else len(outcome.triples)
        if request.as_terms:
            return QueryResponse(form=outcome.form, truncated=outcome.truncated, rows=count,
                                 outcome=outcome)
        fmt = None
        if request.format_key:
            fmt = formats.by_name(request.format_key, outcome.form)
        if fmt is None:
            fmt = formats.offered(outcome.form)[0]
        body = formats.serialize(outcome, fmt, engine.prefixes, deadline)
    except StoreFailed as exc:  # the store's faults, its time-outs included (502, 504)
        return failed(exc)
    except QueryTimeout:
        return timed_out(request.timeout)
    except QueryError as exc:
        return failed(exc)
    except AlskgError as exc:  # e.g. the remote store is down or refused the query
        return failed(StoreFailed(f"The backing store failed: {exc}"))
    charset = "" if fmt.key == "rdfxml" else "; charset=utf-8"
    return QueryResponse(fmt.media_type + charset, body, outcome.form, outcome.truncated, count)


def _native_response(answer: SerializedAnswer) -> QueryResponse:
    fmt = formats.by_name(answer.format_key, answer.form)
    assert fmt is not None
    charset = "" if fmt.key == "rdfxml" else "; charset=utf-8"
    return QueryResponse(fmt.media_type + charset, answer.body, answer.form, answer.truncated,
                         answer.rows)


class InlineExecutor:
    """Run queries in the calling process (CLI, tests, the remote engine); the deadline is
    cooperative. Queries run one at a time, except on an engine that is safe to share between
    threads (the remote one: each query is its own HTTP request with its own deadline)."""

    def __init__(self, config: EngineConfig) -> None:
        self.engine = config.open()
        self._lock: contextlib.AbstractContextManager[Any] = (
            contextlib.nullcontext() if self.engine.thread_safe else threading.Lock())

    def run(self, request: QueryRequest) -> QueryResponse:
        """Run one request; a fault of the engine is an answer (QueryCrashed), never a raise."""
        with self._lock:
            try:
                return execute(self.engine, request)
            except Exception as exc:  # noqa: BLE001 - the server must answer, with a message
                log.exception("query failed")
                return failed(QueryCrashed(f"Query failed: {type(exc).__name__}: {exc}"))

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()


def _exit_with_parent(parent: int) -> None:
    """Leave as soon as the parent (the server process) is gone, even in the middle of a query."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _worker_main(conn: Connection, config: EngineConfig) -> None:
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="alskg-parent-watch",
                     daemon=True).start()
    engine = config.open()
    gc.collect()
    gc.freeze()  # the engine and the modules stay for the worker's life: out of the collector's way
    fd = conn.fileno()
    wire.send(fd, "ready")
    while True:
        try:
            fields, _ = wire.receive(fd)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if fields is None:
            return
        try:
            response = execute(engine, QueryRequest.from_wire(fields))
        except Exception as exc:  # noqa: BLE001 - report, never die on one query
            response = failed(QueryCrashed(f"Query failed: {type(exc).__name__}: {exc}"))
        wire.send(fd, *response.to_wire())


class _Worker:
    def __init__(self, context: Any, config: EngineConfig) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, config), daemon=True)
        self.process.start()
        child.close()
        self.fd = self.conn.fileno()
        self.waiter = wire.Waiter(self.fd)

    def wait_ready(self, timeout: float) -> bool:
        if self.waiter.ready(timeout):
            try:
                return wire.receive(self.fd)[0] == "ready"
            except (EOFError, OSError):
                return False
        return False

    def ask(self, request: QueryRequest, timeout: float) -> QueryResponse | None:
        """Send a request and wait for its answer; None when none came within `timeout`."""
        wire.send(self.fd, request.to_wire())
        if not self.waiter.ready(timeout):
            return None
        return QueryResponse.from_wire(*wire.receive(self.fd))

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """Worker processes that each hold the engine; a query past its limit kills its worker.

    `on_restart(reason)` is told of every replaced worker ("timeout" or "died")."""

    def __init__(self, config: EngineConfig, size: int = 2, start_timeout: float = 120.0,
                 on_restart: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.on_restart = on_restart
        self.size = max(1, size)
        self.start_timeout = start_timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.restarts = 0
        started = [self._spawn() for _ in range(self.size)]
        for worker in started:
            if not worker.wait_ready(start_timeout):
                self.close()
                raise RuntimeError(f"query worker failed to start ({config.name} engine)")
            self._idle.put(worker)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.config)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, dead: _Worker, reason: str) -> None:
        dead.kill()
        with self._lock:
            self._all.discard(dead)
            self.restarts += 1
        if self.on_restart is not None:
            self.on_restart(reason)

        def start() -> None:
            if self._closed:
                return
            worker = self._spawn()
            if worker.wait_ready(self.start_timeout) and not self._closed:
                self._idle.put(worker)
            else:
                worker.kill()

        threading.Thread(target=start, name="alskg-respawn", daemon=True).start()

    def run(self, request: QueryRequest, queue_timeout: float | None = None) -> QueryResponse:
        """Run a request on an idle worker; ServerBusy or QueryTimeout when it cannot."""
        wait = request.timeout if queue_timeout is None else queue_timeout
        try:
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            return failed(ServerBusy("Server busy: every query worker is occupied; retry later"))
        started = time.monotonic()
        try:
            response = worker.ask(request, request.timeout + 0.5)
            if response is not None:
                self._idle.put(worker)
                return response
        except (EOFError, OSError):
            self._replace(worker, "died")
            return failed(ServerBusy("The query worker stopped unexpectedly; retry the query"))
        log.warning("query killed after %.1f s", time.monotonic() - started)
        self._replace(worker, "timeout")
        return timed_out(request.timeout)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                wire.send(worker.fd, None)
            worker.kill()

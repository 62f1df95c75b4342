"""Run queries: the request and its answer, the run itself, and the inline executor.

The killable worker processes that run them in a server live in query.worker_pool."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib.term import Node

from ..assembly.store import file_sha256
from ..curation.namespaces import DEFAULT_BASE
from ..errors import (
    AlskgError,
    BuildCorrupt,
    QueryCrashed,
    QueryError,
    QueryTimeout,
    StoreFailed,
)
from ..formats import media as formats
from .engines import DatasetSpec, Engine, QueryOutcome, open_engine
from .engines.base import SerializedAnswer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    """How to open an engine in any process: its name, the build's dataset file and options;
    `sha256` is the dataset's checksum from the receipt, checked before every load."""

    name: str
    dataset_file: Path
    base: str = DEFAULT_BASE
    options: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None

    def open(self) -> Engine:
        """Open the engine this configuration names (BuildCorrupt if the dataset changed)."""
        if self.sha256 is not None and file_sha256(self.dataset_file) != self.sha256:
            raise BuildCorrupt(f"{self.dataset_file}: corrupt dataset (SHA-256 differs from the "
                               "receipt); not loaded")
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

    def status(self) -> PoolStatus:
        """Report the one engine, always ready."""
        return PoolStatus(1, 1)

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()


@dataclass(frozen=True)
class PoolStatus:
    """How many workers can answer now, of how many, and why the others cannot (if known)."""

    ready: int
    size: int
    error: str | None = None

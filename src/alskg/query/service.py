"""The server's long-lived state: the build, the query executor and the response cache.

A Service serves one build for its whole life: the folder `alskg serve` pinned
(ALSKG_BUILD_PATH), else the one `current` names when it starts; it holds a lease on that folder
(and on the store version it reads), so no later build or import prunes it. A new build is
served by a new Service (server.front switches between them on a reload).
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rdflib.term import Node

from ..assembly.lease import Lease
from ..assembly.store import BuiltDataset, open_folder, resolve_current
from ..curation.namespaces import prefixes
from ..errors import AlskgError, BuildCorrupt, ServerBusy
from ..formats.terms import checked
from .cache import ResponseCache
from .catalog import NamedQuery, load_catalog
from .engines import DatasetSpec, QueryOutcome
from .executor import (
    EngineConfig,
    InlineExecutor,
    PoolStatus,
    QueryRequest,
    QueryResponse,
    failed,
)
from .worker_pool import MIB, WorkerPool

if TYPE_CHECKING:  # the derivation reader needs the reasoning package: imported when used
    from .derivation_reader import CheckedDerivations


class QueryMetrics(Protocol):
    """What the service reports to the operator metrics (web.metrics.Metrics implements it)."""

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """Count a cache hit or miss."""

    def query_ran(self, text: str, form: str | None, engine: str, seconds: float, *,
                  timed_out: bool, truncated: bool) -> None:
        """Record one query's latency, timeout and truncation."""

    def worker_restarted(self, engine: str, reason: str) -> None:
        """Count a query worker replaced after a timeout or a crash."""


class NoMetrics:
    """The metrics of a service without an operator endpoint (CLI, tests): counts nothing."""

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """Count nothing."""

    def query_ran(self, text: str, form: str | None, engine: str, seconds: float, *,
                  timed_out: bool, truncated: bool) -> None:
        """Count nothing."""

    def worker_restarted(self, engine: str, reason: str) -> None:
        """Count nothing."""


class Executor(Protocol):
    """Anything that runs a QueryRequest: the worker pool or the inline runner."""

    def run(self, request: QueryRequest) -> QueryResponse:
        """Run one request."""

    def status(self) -> PoolStatus:
        """Tell how many workers can answer, and why the others cannot."""

    def close(self) -> None:
        """Release resources."""


class Unavailable:
    """The executor of a service whose engine cannot be opened: every query gets the reason."""

    def __init__(self, error: AlskgError) -> None:
        self.error = error

    def run(self, request: QueryRequest) -> QueryResponse:
        """Answer with the reason (503)."""
        return failed(ServerBusy(f"The query engine cannot start: {self.error}"))

    def status(self) -> PoolStatus:
        """Report no worker, and why."""
        return PoolStatus(0, 0, str(self.error))

    def close(self) -> None:
        """Nothing to release."""


def open_served(settings: dict[str, Any]) -> tuple[BuiltDataset, Lease]:
    """Open the build a service serves, under a lease taken before its files are checked: the
    pinned folder, or the one `current` names (resolved again if a prune removed it meanwhile)."""
    pinned = settings.get("ALSKG_BUILD_PATH")
    root = settings["ALSKG_BUILD_DIR"]
    for attempt in range(3):
        folder = Path(pinned) if pinned else resolve_current(Path(root) if root else None)
        try:
            lease = Lease(folder)
        except BuildCorrupt:
            if pinned or attempt == 2:
                raise
            continue
        try:
            return open_folder(folder), lease
        except BaseException:
            lease.release()
            raise
    raise AssertionError("unreachable")


class Service:
    """Everything one server process holds: settings, build, executor (lazy) and cache."""

    def __init__(self, settings: dict[str, Any], metrics: QueryMetrics | None = None) -> None:
        self.settings = settings
        self.metrics: QueryMetrics = metrics or NoMetrics()
        self.build, lease = open_served(settings)
        self._leases: list[Lease] = [lease]
        self._derivations: CheckedDerivations | None = None
        self.base: str = settings["ALSKG_BASE"]
        self.prefixes = prefixes(self.base)
        self.catalog: tuple[NamedQuery, ...] = load_catalog()  # immutable while serving
        self.cache: ResponseCache[QueryResponse] = ResponseCache(
            settings["ALSKG_CACHE_ENTRIES"], settings["ALSKG_CACHE_TOTAL_BYTES"] // 2)
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    @property
    def engine_name(self) -> str:
        """Return the configured engine name."""
        return str(self.settings["ALSKG_ENGINE"])

    def engine_config(self) -> EngineConfig:
        """Return the configuration workers use to open the engine (the dataset's checksum
        with it, so that every process loading the file checks it)."""
        options: dict[str, Any] = {}
        if self.settings.get("ALSKG_STORE_PATH"):  # an on-disk store filled by `alskg import`
            from ..publishing.store_versions import checked_store_version

            pinned = self.settings.get("ALSKG_STORE_VERSION")
            version = Path(pinned) if pinned else checked_store_version(
                Path(self.settings["ALSKG_STORE_PATH"]), self.build)
            self._leases.append(Lease(version))
            return EngineConfig("oxigraph", self.build.dataset_file, self.base,
                                {"store_path": str(version), "read_only": True})
        if self.settings.get("ALSKG_STORE"):
            options["store"] = self.settings["ALSKG_STORE"]
            options["auth"] = self.settings.get("ALSKG_STORE_AUTH")
            return EngineConfig(self.engine_name, self.build.dataset_file, self.base, options)
        return EngineConfig(self.engine_name, self.build.dataset_file, self.base, options,
                            sha256=self.build.content_hash)

    @property
    def executor(self) -> Executor:
        """Return the executor, starting it on first use (after the server has forked); an
        engine that cannot be configured gives an executor that answers why (503)."""
        with self._lock:
            if self._executor is None:
                try:
                    config = self.engine_config()
                except AlskgError as exc:
                    self._executor = Unavailable(exc)
                    return self._executor
                if self.settings["ALSKG_EXECUTOR"] == "inline" or config.name == "remote":
                    self._executor = InlineExecutor(config)
                else:
                    self._executor = WorkerPool(
                        config, self.settings["ALSKG_QUERY_WORKERS"],
                        on_restart=lambda reason: self.metrics.worker_restarted(
                            self.engine_name, reason),
                        memory_limit=int(self.settings["ALSKG_MAX_QUERY_MEMORY"]) * MIB)
            return self._executor

    def status(self) -> PoolStatus:
        """Return the executor's state: workers ready, and why none can answer (if so); a
        service whose executor is still starting has no workers and no error yet."""
        with self._lock:
            executor = self._executor
        if executor is None:
            return PoolStatus(0, int(self.settings["ALSKG_QUERY_WORKERS"]))
        return executor.status()

    def derivations(self) -> CheckedDerivations | None:
        """Return the build's derivation file, opened once per process after its SHA-256
        matched the receipt (BuildCorrupt otherwise); None for a build without one."""
        info = self.build.receipt.get("derivation_file")
        if not isinstance(info, dict):
            return None
        with self._lock:
            if self._derivations is None:
                from .derivation_reader import CheckedDerivations

                self._derivations = CheckedDerivations(self.build.derivation_file,
                                                       str(info.get("sha256")))
            return self._derivations

    def warm_up(self) -> None:
        """Start the executor in the background so the first query does not wait for it."""
        threading.Thread(target=lambda: self.executor, name="alskg-warm-up", daemon=True).start()

    def etag(self, key: tuple[Any, ...]) -> str:
        """Return a strong ETag for a response: the build's content hash and the request key."""
        digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:20]
        return f"{self.build.content_hash[:20]}-{digest}"

    def run(self, request: QueryRequest) -> QueryResponse:
        """Answer a request from the cache, or run it and cache a successful answer."""
        key = request_key(request)
        cached = self.cache.get(key)
        self.metrics.cache_lookup("query", cached is not None)
        if cached is not None:
            return cached
        started = time.perf_counter()
        response = self.executor.run(request)
        self.metrics.query_ran(request.query, response.form, self.engine_name,
                               time.perf_counter() - started, timed_out=response.timed_out,
                               truncated=response.truncated)
        if response.ok and response.size <= self.settings["ALSKG_CACHE_ENTRY_BYTES"]:
            self.cache.put(key, response)
        return response

    def query(self, text: str, *, spec: DatasetSpec | None = None,
              bindings: dict[str, Any] | None = None, format_key: str = "json",
              max_rows: int | None = None) -> QueryResponse:
        """Run a query with the server's limits (used by pages, named queries and the API)."""
        return self.run(self.request(text, spec=spec, bindings=bindings, format_key=format_key,
                                     max_rows=max_rows))

    def outcome(self, text: str, *, spec: DatasetSpec | None = None,
                bindings: dict[str, Node] | None = None,
                max_rows: int | None = None) -> QueryOutcome:
        """Run a query (cached, time-limited) and return its terms; raise what stopped it."""
        response = self.run(self.request(text, spec=spec, bindings=bindings, format_key=None,
                                         max_rows=max_rows, as_terms=True))
        if response.error is not None:
            raise response.error
        assert response.outcome is not None
        return response.outcome

    def rows(self, text: str, **options: Any) -> list[dict[str, Node]]:
        """Run a SELECT and return its rows as {variable: term} (unbound variables left out)."""
        outcome = self.outcome(text, **options)
        return [{name: term for name, term in zip(outcome.variables, row, strict=True)
                 if term is not None} for row in outcome.rows]

    def ask(self, text: str, **options: Any) -> bool:
        """Run an ASK query and return its answer."""
        return bool(self.outcome(text, **options).boolean)

    def request(self, text: str, *, spec: DatasetSpec | None = None,
                bindings: dict[str, Any] | None = None, format_key: str | None = "json",
                max_rows: int | None = None, as_terms: bool = False) -> QueryRequest:
        """Build a QueryRequest with this server's limits; every bound term is checked first."""
        bound = tuple(sorted((name, checked(term)) for name, term in (bindings or {}).items()))
        return QueryRequest(
            text, spec or DatasetSpec(), bound, format_key,
            max_rows or self.settings["ALSKG_MAX_ROWS"], self.settings["ALSKG_QUERY_TIMEOUT"],
            as_terms)

    def close(self) -> None:
        """Stop the executor's workers and give back the leases."""
        with self._lock:
            if self._executor is not None:
                self._executor.close()
                self._executor = None
            if self._derivations is not None:
                self._derivations.close()
                self._derivations = None
            for lease in self._leases:
                lease.release()


def request_key(request: QueryRequest) -> tuple[Any, ...]:
    """Return the cache key of a request (everything that changes its answer)."""
    return (request.query, request.spec, request.bindings, request.format_key, request.max_rows,
            request.as_terms)

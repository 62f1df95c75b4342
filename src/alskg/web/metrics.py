"""Operator metrics at /metrics (Prometheus text format, prometheus-client): requests by route
and status, query latency by form and engine, timeouts, worker restarts, cache hits, truncations.

The collectors live on one registry per app (no module state; two apps in a process never clash).
Under several server processes (`alskg serve` sets PROMETHEUS_MULTIPROC_DIR, see
alskg.metrics_dir) each process writes its values to that folder and a scrape sums them with
prometheus-client's MultiProcessCollector, whichever process answers it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from ..query.sparqltext import query_form
from ..server.metrics_dir import sweep_dead_workers

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ROUTE_KEY = "alskg.route"          # the WSGI environ key holding the matched URL rule
UNMATCHED = "(no route)"
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"})
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                 10.0, 30.0)
OFF_WORDS = ("off", "false", "0", "no")


class Metrics:
    """The app's collectors and the events that move them (no-ops when metrics are off)."""

    def __init__(self, enabled: bool = True, multiprocess_dir: str | None = None) -> None:
        self.enabled = enabled
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "alskg_http_requests", "HTTP requests answered, by URL rule, method and status",
            ["route", "method", "status"], registry=registry)
        self.request_seconds = Histogram(
            "alskg_http_request_duration_seconds", "Time to answer an HTTP request, by URL rule",
            ["route"], buckets=QUERY_BUCKETS, registry=registry)
        self.query_seconds = Histogram(
            "alskg_query_duration_seconds", "Time to run a query (not answered from a cache), by "
            "query form and engine", ["form", "engine"], buckets=QUERY_BUCKETS, registry=registry)
        self.timeouts = Counter(
            "alskg_query_timeouts", "Queries stopped at the time limit", ["engine"],
            registry=registry)
        self.restarts = Counter(
            "alskg_query_worker_restarts", "Query worker processes replaced (killed at the time "
            "limit, or died)", ["engine", "reason"], registry=registry)
        self.cache_lookups = Counter(
            "alskg_cache_lookups", "Cache lookups: `response` is the WSGI fast path, `query` the "
            "query-result cache", ["cache", "result"], registry=registry)
        self.truncations = Counter(
            "alskg_result_truncations", "Query results cut at the row limit (counted when run)",
            ["form", "engine"], registry=registry)
        self.processes = Gauge(
            "alskg_server_processes", "Server processes alive", registry=registry,
            multiprocess_mode="livesum")
        if enabled:
            self.processes.set(1)
        # labelled children by (collector, label values): prometheus-client's `labels()` checks
        # and locks on every call, ~3 µs, five times per query; the label sets are few and fixed
        self._children: dict[tuple[Any, tuple[str, ...]], Any] = {}

    def _child(self, collector: Any, *values: str) -> Any:
        key = (collector, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = collector.labels(*values)
        return child

    def request_done(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count an answered request and its duration."""
        if not self.enabled:
            return
        self._child(self.requests, route, method if method in METHODS else "other",
                    str(status)).inc()
        self._child(self.request_seconds, route).observe(seconds)

    def cache_lookup(self, cache: str, hit: bool) -> None:
        """Count a cache hit or miss."""
        if self.enabled:
            self._child(self.cache_lookups, cache, "hit" if hit else "miss").inc()

    def query_ran(self, text: str, form: str | None, engine: str, seconds: float, *,
                  timed_out: bool, truncated: bool) -> None:
        """Record one query run: its latency, and whether it timed out or was truncated."""
        if not self.enabled:
            return
        form = form or query_form(text) or "UNKNOWN"
        self._child(self.query_seconds, form, engine).observe(seconds)
        if timed_out:
            self._child(self.timeouts, engine).inc()
        if truncated:
            self._child(self.truncations, form, engine).inc()

    def worker_restarted(self, engine: str, reason: str) -> None:
        """Count a replaced query worker."""
        if self.enabled:
            self._child(self.restarts, engine, reason).inc()

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """Return the metrics of this process, or of every process, in the format Accept asks."""
        registry = self.registry
        if self.multiprocess_dir:
            sweep_dead_workers()  # servers without an exit hook (granian) leave them behind
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)
        encoder, content_type = choose_encoder(accept)
        return encoder(registry), content_type


class CountRequests:
    """The outermost WSGI layer: counts every request (fast-path replays too) by URL rule."""

    def __init__(self, app: WSGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Run the app, noting the status it starts and the rule that answered."""
        started = time.perf_counter()
        seen: dict[str, int] = {}

        def note(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, note)
        except Exception:
            seen.setdefault("status", 500)
            raise
        finally:
            self.metrics.request_done(str(environ.get(ROUTE_KEY, UNMATCHED)),
                                      str(environ.get("REQUEST_METHOD", "GET")),
                                      seen.get("status", 500), time.perf_counter() - started)


def metrics_enabled(config: dict[str, Any]) -> bool:
    """Tell whether the ALSKG_METRICS setting leaves /metrics on."""
    return str(config.get("ALSKG_METRICS", "on")).strip().lower() not in OFF_WORDS


def install(app: Flask) -> Metrics:
    """Create the app's Metrics; when on, note each request's rule and serve /metrics."""
    metrics = Metrics(metrics_enabled(app.config), os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    if not metrics.enabled:
        return metrics

    @app.before_request
    def note_route() -> None:
        rule = request.url_rule
        request.environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED

    @app.get("/metrics", endpoint="metrics")
    def metrics_view() -> Response:
        """Serve the operator metrics (never cached; keep private behind the proxy)."""
        body, content_type = metrics.exposition(request.headers.get("Accept", ""))
        return Response(body, content_type=content_type,
                        headers={"Cache-Control": "no-store"})

    return metrics

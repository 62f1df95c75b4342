"""The engine interface: run a query on a dataset view, with a deadline and a row cap."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass, field

from rdflib.term import Node

from ...curation.namespaces import DEFAULT_BASE, graph_iri, prefixes
from ...errors import EmptyQuery, QuerySyntaxError, QueryTimeout, UnsafeQuery
from ..sparqltext import (
    MAX_NESTING,
    is_blank,
    looks_like_update,
    mentions_service,
    nesting_depth,
)

__all__ = ["DatasetSpec", "Engine", "QueryOutcome", "QueryTimeout", "UnsafeQuery"]


@dataclass(frozen=True)
class DatasetSpec:
    """Which graphs a query sees: protocol default/named graph IRIs, or the server default."""

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    inference: bool = True

    def server_default(self, base: str = DEFAULT_BASE) -> tuple[str, ...]:
        """Return the graphs merged into the default graph when the request names none."""
        names = ["ontology", "asserted"] + (["inferred"] if self.inference else [])
        return tuple(graph_iri(n, base) for n in names)

    def effective(self, base: str = DEFAULT_BASE) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """Return (default graphs, named graphs or None for all) following the SPARQL protocol."""
        if self.default_graphs is None and self.named_graphs is None:
            return self.server_default(base), None
        return tuple(self.default_graphs or ()), tuple(self.named_graphs or ())


@dataclass
class QueryOutcome:
    """An engine's answer in rdflib terms: rows for SELECT, a boolean for ASK, triples otherwise."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class SerializedAnswer:
    """An answer already written by the engine's own serializer: bytes, never term lists."""

    form: str
    format_key: str
    body: bytes
    truncated: bool = False
    rows: int | None = 0  # rows or triples written; None when the writer did not count them


class Engine(ABC):
    """A query engine over a built dataset: read-only, never fetching what a query names."""

    name = "abstract"

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = base
        self.prefixes = prefixes(base)
        self._service_checks: OrderedDict[str, bool] = OrderedDict()

    def run(self, query: str, spec: DatasetSpec | None = None, *,
            bindings: dict[str, Node] | None = None, max_rows: int = 10_000,
            timeout: float | None = None) -> QueryOutcome:
        """Check the query is safe, then run it with a deadline and a row cap."""
        deadline = self._check(query, timeout)
        try:
            return self._run(query, spec or DatasetSpec(), bindings or {}, max_rows, deadline)
        except QuerySyntaxError:
            if _parses_as_update(query):
                raise UnsafeQuery(
                    "SPARQL Update is not allowed: this endpoint is read-only") from None
            raise

    def run_serialized(self, query: str, spec: DatasetSpec | None = None, *,
                       bindings: dict[str, Node] | None = None, max_rows: int = 10_000,
                       timeout: float | None = None,
                       format_key: str | None = None) -> SerializedAnswer | None:
        """Like run(), but answer in bytes from the engine's own writers; None if it has none."""
        if not self.native_answers:
            return None
        deadline = self._check(query, timeout)
        try:
            return self._run_serialized(query, spec or DatasetSpec(), bindings or {}, max_rows,
                                        deadline, format_key)
        except QuerySyntaxError:
            if _parses_as_update(query):
                raise UnsafeQuery(
                    "SPARQL Update is not allowed: this endpoint is read-only") from None
            raise

    native_answers = False
    thread_safe = False  # may several threads run queries on one instance at once?

    def _run_serialized(self, query: str, spec: DatasetSpec, bindings: dict[str, Node],
                        max_rows: int, deadline: float | None,
                        format_key: str | None) -> SerializedAnswer | None:
        """Run and serialize a checked query natively (engines with native writers override)."""
        return None

    def _check(self, query: str, timeout: float | None) -> float | None:
        """Refuse empty text, deep nesting, updates and SERVICE; return the query's deadline."""
        if is_blank(query):  # an empty text parses as an (empty) update: say what it is
            raise EmptyQuery("the query holds no SPARQL text (only whitespace or comments)")
        if nesting_depth(query) > MAX_NESTING:
            raise QuerySyntaxError(f"the query nests groups deeper than {MAX_NESTING} levels")
        if looks_like_update(query):
            raise UnsafeQuery("SPARQL Update is not allowed: this endpoint is read-only")
        if self._uses_service(query):
            raise UnsafeQuery("SERVICE (federated query) is disabled on this endpoint")
        return time.monotonic() + timeout if timeout else None

    def _uses_service(self, query: str) -> bool:
        cached = self._service_checks.get(query)
        if cached is None:
            cached = mentions_service(query)
            self._service_checks[query] = cached
            while len(self._service_checks) > 1024:
                self._service_checks.popitem(last=False)
        return cached

    @abstractmethod
    def _run(self, query: str, spec: DatasetSpec, bindings: dict[str, Node], max_rows: int,
             deadline: float | None) -> QueryOutcome:
        """Run a checked query (engine-specific)."""

    @abstractmethod
    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs the engine holds."""

    def close(self) -> None:  # noqa: B027 - engines without resources need not override it
        """Release the engine's resources."""


def _parses_as_update(query: str) -> bool:
    from rdflib.plugins.sparql import parser

    try:
        parser.parseUpdate(query)
    except Exception:  # noqa: BLE001 - any parse failure means "not an update"
        return False
    return True

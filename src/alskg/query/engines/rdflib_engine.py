"""The rdflib engine: pure Python, with a deadline checked inside the store's triples()."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import rdflib.plugins.sparql as rdflib_sparql
from rdflib import Dataset, Graph, URIRef, Variable
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import Values
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from ...curation.namespaces import DEFAULT_BASE
from ...errors import QuerySyntaxError
from ...formats.deadline import DeadlineMemory
from ...formats.nquads import read_quads
from .base import DatasetSpec, Engine, QueryOutcome

_VIEW_CACHE_SIZE = 8
_PREPARED_CACHE_SIZE = 256


def load_dataset(dataset_file: Path) -> Dataset:
    """Read a build's N-Quads into an rdflib Dataset (parsed by Oxigraph, formats.nquads)."""
    dataset = Dataset()
    contexts: dict[str | None, Graph] = {None: dataset.default_context}
    for subject, predicate, obj, name in read_quads(dataset_file.read_bytes()):
        context = contexts.get(name)
        if context is None:
            context = contexts[name] = dataset.graph(URIRef(str(name)))
        context.add((subject, predicate, obj))
    return dataset


class RdflibEngine(Engine):
    """Answer queries with rdflib's SPARQL evaluator; serialised by a lock (rdflib #1282)."""

    name = "rdflib"

    def __init__(self, dataset_file: Path, *, base: str = DEFAULT_BASE) -> None:
        super().__init__(base)
        # Never dereference FROM / FROM NAMED / LOAD IRIs over the network.
        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        self.source = load_dataset(dataset_file)
        self._views: OrderedDict[tuple[Any, ...], tuple[Dataset, DeadlineMemory]] = OrderedDict()
        self._prepared: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs in the dataset."""
        return sorted(str(g.identifier) for g in self.source.graphs()
                      if isinstance(g.identifier, URIRef) and len(g))

    def _view(self, default: tuple[str, ...], named: tuple[str, ...] | None) -> tuple[
            Dataset, DeadlineMemory]:
        key = (default, named)
        if key in self._views:
            self._views.move_to_end(key)
            return self._views[key]
        store = DeadlineMemory()
        view = Dataset(store=store)
        for iri in default:
            for triple in self.source.graph(URIRef(iri)):
                view.default_graph.add(triple)
        for iri in named if named is not None else self.graph_names():
            target = view.graph(URIRef(iri))
            for triple in self.source.graph(URIRef(iri)):
                target.add(triple)
        self._views[key] = (view, store)
        while len(self._views) > _VIEW_CACHE_SIZE:
            self._views.popitem(last=False)
        return view, store

    def _prepare(self, query: str) -> Any:
        prepared = self._prepared.get(query)
        if prepared is not None:
            self._prepared.move_to_end(query)
            return prepared
        try:
            prepared = prepareQuery(query, initNs=self.prefixes, base=self.base)
        except Exception as exc:  # pyparsing's ParseException, unknown prefixes, bad algebra
            raise QuerySyntaxError(str(exc)) from None
        _fill_empty_values(prepared.algebra)
        self._prepared[query] = prepared
        while len(self._prepared) > _PREPARED_CACHE_SIZE:
            self._prepared.popitem(last=False)
        return prepared

    def _run(self, query: str, spec: DatasetSpec, bindings: dict[str, Node], max_rows: int,
             deadline: float | None) -> QueryOutcome:
        default, named = spec.effective(self.base)
        protocol_dataset = spec.default_graphs is not None or spec.named_graphs is not None
        with self._lock:
            prepared = self._prepare(query)
            if protocol_dataset and prepared.algebra.get("datasetClause"):
                # The protocol's default-graph-uri / named-graph-uri override FROM / FROM NAMED.
                prepared = Query(prepared.prologue, CompValue(
                    prepared.algebra.name, **{**prepared.algebra, "datasetClause": None}))
            view, store = self._view(default, named)
            store.deadline = deadline
            try:
                return self._evaluate(view, prepared, bindings, max_rows)
            finally:
                store.deadline = None

    def _evaluate(self, view: Dataset, prepared: Any, bindings: dict[str, Node],
                  max_rows: int) -> QueryOutcome:
        init: dict[Any, Any] = {Variable(k): v for k, v in bindings.items()}
        result = view.query(prepared, initBindings=init)
        if result.type == "ASK":
            return QueryOutcome("ASK", boolean=bool(result.askAnswer))
        if result.type == "SELECT":
            names = [str(v) for v in (result.vars or [])]
            outcome = QueryOutcome("SELECT", variables=names)
            for count, row in enumerate(result):
                if count >= max_rows:
                    outcome.truncated = True
                    break
                # rdflib may bind plain Python values (e.g. COALESCE()); those are not RDF terms
                values: tuple[Any, ...] = tuple(row)  # type: ignore[arg-type]
                outcome.rows.append(tuple(v if isinstance(v, Node) else None for v in values))
            return outcome
        outcome = QueryOutcome(result.type)
        assert result.graph is not None
        for count, triple in enumerate(result.graph):
            if count >= max_rows:
                outcome.truncated = True
                break
            outcome.triples.append(triple)
        return outcome


def _fill_empty_values(node: Any) -> None:
    """Give every empty `VALUES` block rdflib's own (empty) values node, in place.

    rdflib 7 translates `VALUES ?x { }` to a bare list that its evaluator then fails on
    (`AttributeError: 'list' object has no attribute 'name'`); an empty values node gives the
    answer the spec asks for: no solutions.
    """
    if not isinstance(node, CompValue):
        return
    if node.name == "ToMultiSet" and isinstance(node.get("p"), list):
        node["p"] = Values(node["p"])
    for value in node.values():
        if isinstance(value, CompValue):
            _fill_empty_values(value)
        elif isinstance(value, list):
            for item in value:
                _fill_empty_values(item)

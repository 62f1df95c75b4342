"""The derivations of one reasoning run, kept compact (engine ids), rendered as RDF only on demand.

A run at 1 M triples derives ~700 k triples; as an rdflib explanations graph (~14 triples each)
that costs minutes and GBs. So the run keeps one record per kept inference over the engine's
term ids, writes them to a derivation file (:mod:`.derivation_file`) in seconds, and renders the
RDF explanations graph (:func:`.explain.explanation_graph`) only when asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from .derivation_file import FlatRecord, write_derivations
from .explain import Record, explanation_graph
from .store import FactStore, IdTriple, gc_paused
from .terms import Triple


@dataclass
class Derivations:
    """One record per kept inferred triple, over the ids of the engine's term table."""

    store: FactStore
    records: dict[IdTriple, FlatRecord]
    ontology_triples: frozenset[IdTriple]
    ontology: Graph
    asserted: Graph
    bnode_labels: Mapping[Node, str]

    def __len__(self) -> int:
        """Return how many inferred triples have a derivation."""
        return len(self.records)

    def term_records(self) -> dict[Triple, Record]:
        """Return the records over rdflib terms, in id order."""
        triple = self.store.term_triple
        return {
            triple(t): Record(rule, round_, tuple(triple(p) for p in premises), via)
            for t, (rule, round_, premises, via) in sorted(self.records.items())
        }

    def graph(self) -> Graph:
        """Render the RDF explanations graph (for graph/explanations)."""
        return explanation_graph(self.term_records(), self.asserted, self.ontology,
                                 self.bnode_labels)

    def write(self, path: Path) -> None:
        """Write the records to a derivation file (see :mod:`.derivation_file`)."""
        with gc_paused():
            write_derivations(path, self.store.terms, self.bnode_labels, self.records,
                              self.ontology_triples)

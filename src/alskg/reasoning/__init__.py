"""Reasoning at build time: OWL 2 RL plus domain rules, noise filtered, every inference explained.

``reason(ontology, asserted, mode="owlrl" | "rules", rules_dir=None)`` returns a
:class:`ReasoningResult`:

- mode ``owlrl``: owlrl's OWL 2 RL closure of a copy of ontology + asserted (owlrl issue #76),
  iterated with the SPARQL CONSTRUCT rules of ``queries/rules/`` to a fixpoint;
- mode ``rules``: the ontology's axioms compiled into targeted rules, run semi-naively over
  Python indexes, iterated with the same domain rules. It gives the same meaningful triples and
  scales (see ``bench/bench_reasoning.py``).

Either way the inferred graph holds only meaningful triples (see :mod:`.noise`), never one that is
asserted, and every one has a derivation (see :mod:`.derivations`), found by the rules engine: a
meaningful owlrl triple it cannot explain is a bug and raises :class:`ReasoningError`. The
derivations are kept compact; the build writes them to a derivation file and renders the RDF
explanations graph only up to a size (see :mod:`..assembly.pipeline`).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from ..errors import AlskgError
from .derivations import Derivations
from .domain import DomainRule, RuleError, load_rules
from .explain import Explanation, explain, explain_text, flatten
from .noise import NOISE_KINDS, NoiseFilter
from .owlrl_mode import run_owlrl
from .rule_cache import RULES_CACHE_FILE, RuleCache
from .rules_mode import EngineRun, run_engine
from .store import IdTriple, gc_paused
from .terms import EXPLANATIONS_GRAPH, Triple

MODES = ("owlrl", "rules")

__all__ = [
    "EXPLANATIONS_GRAPH",
    "MODES",
    "NOISE_KINDS",
    "Derivations",
    "DomainRule",
    "Explanation",
    "ReasoningError",
    "ReasoningResult",
    "RuleError",
    "default_rules_dir",
    "explain",
    "explain_text",
    "load_rules",
    "reason",
]


class ReasoningError(AlskgError):
    """Reasoning failed: a bad mode or rule file, or an inference the rules cannot explain."""


@dataclass
class ReasoningResult:
    """What reasoning adds to a build: the inferred graph and the derivation of each triple."""

    inferred_triples: list[Triple]
    derivations: Derivations | None
    noise_counts: dict[str, int]
    counts_by_rule: dict[str, int]
    seconds: float
    mode: str = "owlrl"
    rounds: int = 0
    rules: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @cached_property
    def inferred(self) -> Graph:
        """Return the inferred triples as an rdflib Graph (built on first use)."""
        graph = Graph()
        for t in self.inferred_triples:
            graph.add(t)
        return graph

    @cached_property
    def explanations(self) -> Graph:
        """Return the explanations as RDF (rendered on first use; empty without derivations)."""
        return self.derivations.graph() if self.derivations is not None else Graph()


def default_rules_dir() -> Path | None:
    """Return ``queries/rules`` of the checkout or installed package, if present."""
    try:
        from ..curation.paths import queries_dir

        folder = queries_dir() / "rules"
    except FileNotFoundError:
        return None
    return folder if folder.is_dir() else None


def _kept_from_engine(run: EngineRun, noise: NoiseFilter) -> dict[IdTriple, Triple]:
    store = run.engine.store
    noise.count("literal-subject", len(run.engine.literal_subjects))
    kept: dict[IdTriple, Triple] = {}
    for t in sorted(store.derivations):
        triple = store.term_triple(t)
        if noise.keep(triple, check_asserted=False):
            kept[t] = triple
    return kept


def _derivations(run: EngineRun, kept: dict[IdTriple, Triple], ontology: Graph,
                 asserted: Graph) -> Derivations:
    engine = run.engine
    return Derivations(engine.store, flatten(engine.store, set(kept)), engine.ontology_triples,
                       ontology, asserted, engine.bnode_labels)


def reason(
    ontology: Graph,
    asserted: Graph,
    mode: str = "owlrl",
    rules_dir: Path | None = None,
    *,
    explanations: bool = True,
    cache_dir: Path | None = None,
) -> ReasoningResult:
    """Materialise the meaningful inferences of ontology + asserted, with their explanations.

    `rules_dir` defaults to the project's ``queries/rules``; pass a folder with no ``*.rq`` files to
    run OWL 2 RL alone. `cache_dir` (the machine's cache folder) keeps the parsed rules between
    builds (rule_cache). With ``explanations=False`` the explanations graph is left empty (for
    benchmarks; owlrl mode then skips the rules engine).
    """
    if mode not in MODES:
        raise ReasoningError(f"unknown reasoning mode {mode!r}; expected one of {MODES}")
    with gc_paused():
        return _reason(ontology, asserted, mode, rules_dir, explanations, cache_dir)


def _reason(
    ontology: Graph, asserted: Graph, mode: str, rules_dir: Path | None, explanations: bool,
    cache_dir: Path | None = None,
) -> ReasoningResult:
    started = time.perf_counter()
    cache = RuleCache(cache_dir / RULES_CACHE_FILE if cache_dir is not None else None)
    try:
        rules = load_rules(rules_dir if rules_dir is not None else default_rules_dir(),
                           cache.parse)
        cache.save()
    except RuleError as exc:
        raise ReasoningError(str(exc)) from exc
    messages: list[str] = []
    run: EngineRun | None = None
    if mode == "rules" or explanations:
        run = run_engine(ontology, asserted, rules, provenance=explanations)
        messages.extend(run.engine.warnings)
    noise = NoiseFilter(ontology, asserted, run.engine.input_terms if run is not None else None)
    if mode == "rules":
        assert run is not None
        noise.add_rule_literals(run.rule_literals)
        kept_ids = _kept_from_engine(run, noise)
        inferred_triples = list(kept_ids.values())
        rounds = run.engine.round
    else:
        owl = run_owlrl(ontology, asserted, rules)
        noise.add_rule_literals(owl.rule_literals)
        inferred_triples = [t for t in owl.closure if noise.keep(t)]
        rounds = owl.expansions
        kept_ids = {}
        if run is not None:
            kept_ids = _match(run, inferred_triples)
    derivations = (_derivations(run, kept_ids, ontology, asserted)
                   if run is not None and explanations else None)
    by_rule = Counter(record[0] for record in derivations.records.values()) \
        if derivations is not None else Counter()
    messages.extend(noise.messages)
    return ReasoningResult(
        inferred_triples=inferred_triples,
        derivations=derivations,
        noise_counts=noise.noise_counts(),
        counts_by_rule=dict(sorted(by_rule.items())),
        seconds=time.perf_counter() - started,
        mode=mode,
        rounds=rounds,
        rules=[rule.name for rule in rules],
        messages=messages,
    )


def _match(run: EngineRun, triples: list[Triple]) -> dict[IdTriple, Triple]:
    """Find the rules engine's derivation of each owlrl triple; raise if one has none."""
    store = run.engine.store
    ids = store.ids
    kept: dict[IdTriple, Triple] = {}
    missing: list[Triple] = []
    for triple in triples:
        s, p, o = ids.get(triple[0]), ids.get(triple[1]), ids.get(triple[2])
        key = (s, p, o)
        if s is None or p is None or o is None or key not in store.derivations:
            missing.append(triple)
            continue
        kept[(s, p, o)] = triple
    if missing:
        shown = "\n".join(" ".join(term.n3() for term in t) for t in sorted(missing)[:10])
        raise ReasoningError(
            f"{len(missing)} triple(s) inferred by owlrl have no derivation in the compiled "
            f"rules (a rule is missing from alskg.reasoning):\n{shown}"
        )
    return kept

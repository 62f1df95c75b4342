"""What the search index holds about each resource, read from a build's graphs.

One document per labelled resource under `<base>id/` (the bookkeeping kinds of search.kinds left
out) and per labelled term of the vocabulary: its label (rdfs:label, else skos:prefLabel, else
dcterms:title), the other names (alternative labels: brand and code names, other titles), its
text (descriptions, definitions, citations, the study group, a primary endpoint), its
identifiers (external matches, trial registrations, registry ids, its own IRI and CURIE) and a
one-line summary made of a few facts of its kind and the first sentence of its description.
The product names of the regulatory acts about an intervention (`Radicava`, `Rilutek`,
`Tiglutik (riluzole oral suspension, …)`) are other names of that intervention too: brand names
live on the acts, and a researcher types the brand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..curation.namespaces import ALS
from .identifiers import shown_identifier
from .kinds import TERM, kind_of
from .text import clip, first_sentence

LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
NAMES = (SKOS.altLabel, SKOS.hiddenLabel)
TEXT = (DCTERMS.description, SKOS.definition, RDFS.comment, DCTERMS.bibliographicCitation,
        ALS.citationText, ALS.studyGroup, ALS.basis, ALS.sourceStatement, ALS.primaryEndpoint)
DESCRIPTIONS = (DCTERMS.description, SKOS.definition, RDFS.comment, ALS.basis)
IDENTIFIERS = (SKOS.exactMatch, SKOS.closeMatch, ALS.trialRegistration, ALS.registryId, ALS.pmcid)
# The facts a summary leads with, by kind: (predicate, how a value is written).
FACTS: dict[str, tuple[tuple[URIRef, str], ...]] = {
    "study": ((ALS.phase, "{}"), (ALS.sampleSize, "{} participants"),
              (ALS.primaryOutcome, "primary endpoint {}"), (ALS.trialRegistration, "{}"),
              (ALS.year, "{}")),
    "claim": ((ALS.status, "{}"), (ALS.aspect, "{}"), (DCTERMS.date, "dated {}")),
    "publication": ((DCTERMS.bibliographicCitation, "{}"), (DCTERMS.issued, "{}")),
    "intervention": ((RDF.type, "{}"), (ALS.modality, "{}")),
    "regulatory": ((ALS.agency, "{}"), (ALS.action, "{}"), (DCTERMS.date, "{}")),
}
SUMMARY_CHARS = 200
PLAIN_TYPES = (OWL.NamedIndividual, SKOS.Concept, OWL.Thing, RDFS.Resource)
TERM_TYPES: dict[Node, str] = {
    OWL.Class: "class", OWL.ObjectProperty: "property", OWL.DatatypeProperty: "property",
    OWL.AnnotationProperty: "property", RDF.Property: "property"}


@dataclass(frozen=True)
class Document:
    """What the index holds about one resource."""

    iri: str
    kind: str
    curie: str
    label: str
    names: tuple[str, ...]        # other names, alternative labels first
    text: tuple[str, ...]
    identifiers: tuple[str, ...]  # external identifiers (IRIs or registry ids as text)
    summary: str


class _Facts:
    """The values of chosen predicates over the union of the graphs, by subject."""

    def __init__(self, graphs: Iterable[Graph], predicates: Iterable[URIRef]) -> None:
        self.values: dict[URIRef, dict[Node, list[Node]]] = {}
        for predicate in dict.fromkeys(predicates):
            found: dict[Node, list[Node]] = {}
            for graph in graphs:
                for s, o in graph.subject_objects(predicate):
                    found.setdefault(s, []).append(o)
            self.values[predicate] = {s: sorted(set(v), key=_sort_key) for s, v in found.items()}

    def of(self, subject: Node, predicate: URIRef) -> list[Node]:
        """Return the values of one predicate for a subject, sorted, without duplicates."""
        return self.values.get(predicate, {}).get(subject, [])


def _sort_key(term: Node) -> tuple[str, str]:
    return type(term).__name__, str(term)


def documents(graphs: Mapping[str, Graph], base: str) -> list[Document]:
    """Return the documents of every searchable resource in the graphs, sorted by IRI."""
    chosen = [graphs[name] for name in ("ontology", "asserted", "inferred", "meta")
              if name in graphs]
    fact_predicates = [p for facts in FACTS.values() for p, _ in facts]
    facts = _Facts(chosen, (*LABELS, *NAMES, *TEXT, *IDENTIFIERS, *fact_predicates,
                            ALS.product, ALS.regulates))
    products = _products(facts)
    asserted_types = _Facts([graphs[n] for n in ("ontology", "asserted") if n in graphs],
                            (RDF.type,))
    labels = _labels(facts)
    found = []
    for subject in sorted(labels):
        kind = kind_of(subject, base)
        if kind is None:
            continue
        node = URIRef(subject)
        label = labels[subject]
        names = [str(v) for p in (*NAMES, *LABELS) for v in facts.of(node, p)
                 if isinstance(v, Literal) and str(v) != label] + products.get(node, [])
        text = [str(v) for p in TEXT for v in facts.of(node, p) if isinstance(v, Literal)]
        identifiers = [str(v) for p in IDENTIFIERS for v in facts.of(node, p)]
        found.append(Document(
            subject, kind, _curie(subject, kind, base), label, tuple(dict.fromkeys(names)),
            tuple(dict.fromkeys(text)), tuple(dict.fromkeys(identifiers)),
            _summary(node, kind, facts, asserted_types, labels)))
    return found


def _products(facts: _Facts) -> dict[Node, list[str]]:
    """Return {intervention: the product names of the regulatory acts about it}, sorted."""
    found: dict[Node, set[str]] = {}
    for act, values in facts.values[ALS.product].items():
        for intervention in facts.of(act, ALS.regulates):
            found.setdefault(intervention, set()).update(
                " ".join(str(v).split()) for v in values if isinstance(v, Literal))
    return {node: sorted(names) for node, names in found.items()}


def _labels(facts: _Facts) -> dict[str, str]:
    """Return {IRI: label}: rdfs:label, else skos:prefLabel, else dcterms:title (least first)."""
    labels: dict[str, str] = {}
    for predicate in reversed(LABELS):
        for subject, values in facts.values[predicate].items():
            texts = [str(v) for v in values if isinstance(v, Literal) and str(v).strip()]
            if isinstance(subject, URIRef) and texts:
                labels[str(subject)] = " ".join(min(texts).split())
    return labels


def _curie(iri: str, kind: str, base: str) -> str:
    if kind == TERM:
        return "als:" + iri[len(base) + len("vocab#"):]
    return f"{kind}:{iri[len(base) + len('id/') + len(kind) + 1:]}"


def _summary(node: URIRef, kind: str, facts: _Facts, types: _Facts,
             labels: Mapping[str, str]) -> str:
    """Return the one-line summary: the kind's leading facts, then the description's first
    sentence (or, for a vocabulary term, whether it is a class or a property)."""
    parts: list[str] = []
    if kind == TERM:
        parts += sorted({TERM_TYPES[t] for t in types.of(node, RDF.type) if t in TERM_TYPES})
    for predicate, pattern in FACTS.get(kind, ()):
        source = types if predicate == RDF.type else facts
        shown = [_shown(v, labels) for v in source.of(node, predicate)
                 if not (predicate == RDF.type and v in PLAIN_TYPES)]
        shown = [s for s in shown if s]
        if shown:
            parts.append(pattern.format(", ".join(shown[:3])))
    described = next((str(v) for p in DESCRIPTIONS for v in facts.of(node, p)
                      if isinstance(v, Literal)), "")
    if described and not any(described.startswith(p) for p in parts):
        parts.append(first_sentence(described))
    return clip(" · ".join(parts), SUMMARY_CHARS)


def _shown(value: Node, labels: Mapping[str, str]) -> str:
    if isinstance(value, URIRef):
        label = labels.get(str(value))
        return label if label else shown_identifier(str(value))
    return " ".join(str(value).split())

"""`alskg explain`: resolve the user's terms and print an inferred triple's derivation tree."""

from __future__ import annotations

from rdflib import Dataset, URIRef
from rdflib.term import Node

from ..build.store import BuiltDataset
from ..curation.namespaces import graph_iri, prefixes
from ..formats.terms import parse_term


def resolve_term(text: str, table: dict[str, str] | None = None) -> Node:
    """Turn `<iri>`, an absolute IRI, a prefixed name, `a` or a `"literal"` into a checked term."""
    return parse_term(text, table or prefixes())


def explain_triple(built: BuiltDataset, subject: str, predicate: str, obj: str
                   ) -> tuple[str, bool]:
    """Return (the derivation tree as text, whether the triple is inferred)."""
    from . import explain_text

    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    s, p, o = (resolve_term(t) for t in (subject, predicate, obj))
    asserted = dataset.graph(URIRef(graph_iri("asserted"))) + \
        dataset.graph(URIRef(graph_iri("ontology")))
    inferred = dataset.graph(URIRef(graph_iri("inferred")))
    explanations = dataset.graph(URIRef(graph_iri("explanations")))
    if (s, p, o) in asserted:
        return f"{s.n3()} {p.n3()} {o.n3()} is asserted (not inferred).", True
    if (s, p, o) not in inferred:
        return f"{s.n3()} {p.n3()} {o.n3()} is neither asserted nor inferred.", False
    return explain_text(asserted, inferred, explanations, s, p, o), True

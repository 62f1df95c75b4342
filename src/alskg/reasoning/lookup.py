"""`alskg explain`: resolve the user's terms and print an inferred triple's derivation tree."""

from __future__ import annotations

from rdflib import Dataset, Literal, URIRef
from rdflib.term import Node

from ..build.store import BuiltDataset
from ..curation.namespaces import graph_iri, prefixes


def resolve_term(text: str, table: dict[str, str] | None = None) -> Node:
    """Turn `<iri>`, an absolute IRI, a prefixed name or a CURIE (or `"literal"`) into a term."""
    table = table or prefixes()
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if text.startswith('"') and text.endswith('"'):
        return Literal(text[1:-1])
    if text == "a":
        return URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    prefix, sep, local = text.partition(":")
    if sep and prefix in table:
        return URIRef(table[prefix] + local)
    return URIRef(text)


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

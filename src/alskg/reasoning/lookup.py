"""`alskg explain`: resolve the user's terms and print an inferred triple's derivation tree."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib.term import Node

from ..assembly.store import BuiltDataset
from ..curation.namespaces import graph_iri, prefixes
from ..formats.terms import parse_term, to_oxigraph
from .derivation_file import DerivationFile
from .explain import render_text


def resolve_term(text: str, table: dict[str, str] | None = None) -> Node:
    """Turn `<iri>`, an absolute IRI, a prefixed name, `a` or a `"literal"` into a checked term."""
    return parse_term(text, table or prefixes())


def _asserted(built: BuiltDataset, s: Node, p: Node, o: Node) -> bool:
    """Tell whether the triple is in the build's ontology or asserted graph."""
    store = ox.Store()
    store.bulk_load(path=str(built.dataset_file), format=ox.RdfFormat.N_QUADS)
    s_, p_, o_ = (to_oxigraph(t) for t in (s, p, o))
    return any(
        next(store.quads_for_pattern(s_, p_, o_, ox.NamedNode(graph_iri(name))), None) is not None
        for name in ("asserted", "ontology")
    )


def explain_triple(built: BuiltDataset, subject: str, predicate: str, obj: str
                   ) -> tuple[str, bool]:
    """Return (the derivation tree as text, whether the triple is asserted or inferred)."""
    s, p, o = (resolve_term(t) for t in (subject, predicate, obj))
    shown = f"{s.n3()} {p.n3()} {o.n3()}"
    tree = DerivationFile(built.derivation_file).explain((s, p, o))
    if tree is not None:
        return render_text(tree), True
    if _asserted(built, s, p, o):
        return f"{shown} is asserted (not inferred).", True
    return f"{shown} is neither asserted nor inferred.", False

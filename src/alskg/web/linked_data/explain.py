"""/explain: how a triple got into the graph — its rule and premises, down to asserted triples.

Which graphs hold the triple is asked of the query engine; the derivation tree is read from the
build's derivation file (alskg.reasoning.derivation_file), so it costs one indexed lookup per
node at any size, also where graph/explanations is left out of a large build. The file is the
one the service opened and checked against the receipt (Service.derivations): a damaged file is
a 503 naming it, never read.

The triple comes from the query string (`?s=<iri>&p=<iri>&o=<iri or literal>`); each term is
parsed and checked (formats.terms.parse_term) and bound to the queries, never pasted into them.
A term that names nothing valid is a 400 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, render_template, request
from rdflib import URIRef
from rdflib.term import Node

from ...errors import BadTerm
from ...formats.terms import parse_term
from ...query.service import Service
from ..http import HTML, TEXT, HttpError, answer, negotiate, service
from .facts import graph_name, labels_for
from .present import view

if TYPE_CHECKING:  # the reasoning package is build-time code: imported where it is used
    from ...reasoning.explain import Explanation

blueprint = Blueprint("explain", __name__)

GRAPHS_HOLDING = "SELECT DISTINCT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


@dataclass
class TreeNode:
    """One node of a rendered derivation tree."""

    triple: list[dict[str, Any]]
    rule: str | None
    round: int
    via: tuple[str, ...]
    asserted_in: str
    children: list[TreeNode]


@blueprint.get("/explain")
def explain_page() -> Response:
    """Show how a triple was derived: its rule, its premises, down to asserted triples."""
    from ...reasoning.explain import render_text

    svc = service()
    raw = [request.args.get(k, "") for k in ("s", "p", "o")]
    if not all(raw):
        raise HttpError(400, "Give the triple as ?s=<iri>&p=<iri>&o=<iri or literal>")
    try:
        s, p, o = (parse_term(t, svc.prefixes) for t in raw)
    except BadTerm as exc:
        raise HttpError(400, f"Cannot read the triple: {exc}") from None
    if not isinstance(s, URIRef) or not isinstance(p, URIRef):
        raise HttpError(400, "Cannot read the triple: the subject and predicate must be IRIs")
    wanted = "text" if request.args.get("format") == "text" else (
        "text" if negotiate([HTML, TEXT], default=HTML) == TEXT else "html")
    rows = svc.rows(GRAPHS_HOLDING, bindings={"s": s, "p": p, "o": o})
    graphs = sorted(graph_name(svc, r["g"]) for r in rows)
    tree = derivation_tree(svc, s, p, o) if "inferred" in graphs else None
    status = 200 if graphs else 404
    shown = f"{s.n3()} {p.n3()} {o.n3()}"
    if wanted == "text":
        if tree is not None:
            body = render_text(tree) + "\n"
        elif graphs:
            body = f"{shown} is asserted in graph/{', '.join(graphs)}\n"
        else:
            body = f"{shown} is neither asserted nor inferred\n"
        return answer(body, TEXT, status=status, negotiated=True, max_age=None)
    labels = labels_for(svc, [s, p, o] + ([t for n in tree.walk() for t in n.triple]
                                           if tree is not None else []))
    html = render_template("linked_data/explain.html", explain={
        "triple": [view(svc, t, labels) for t in (s, p, o)], "graphs": graphs,
        "tree": to_tree(svc, tree, labels) if tree is not None else None,
        "text": render_text(tree) if tree is not None else ""})
    return answer(html, HTML, status=status, negotiated=True, max_age=None)


def derivation_tree(svc: Service, s: Node, p: Node, o: Node) -> Explanation | None:
    """Read an inferred triple's derivation tree from the build's checked derivation file."""
    derivations = svc.derivations()
    return None if derivations is None else derivations.explain((s, p, o))


def to_tree(svc: Service, node: Explanation, labels: dict[str, str]) -> TreeNode:
    """Turn a reasoning Explanation into what the template renders."""
    return TreeNode([view(svc, t, labels) for t in node.triple], node.rule, node.round,
                    tuple(node.via), (node.asserted_in or "").rsplit("/", 1)[-1],
                    [to_tree(svc, child, labels) for child in node.premises])

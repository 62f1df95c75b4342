"""Dereferenceable IRIs: every IRI under the base resolves on this server, by content negotiation.

The base (ALSKG_BASE, default https://w3id.org/alskg/) maps onto this server's root:
`<base>id/disease/als` is served at `/id/disease/als`, the vocabulary `<base>vocab#Term` at
`/vocab` (hash IRIs: one document describes every term, with an HTML anchor per term), the named
graphs `<base>graph/<name>` at `/graph/<name>`, the dataset `<base>dataset` at `/dataset` (its VoID
description, also at `/.well-known/void`) and the build records `<base>build/...` at `/build/...`.

Cool URIs, the choice made here and applied everywhere: slash IRIs are answered directly, with
200 and content negotiation (no 303). The response carries `Vary: Accept`, a `Content-Location`
naming the document it sent (`/id/disease/als.ttl`, `.html`, `.jsonld`, `.nt`, `.rdf`, `.trig`,
`.nq`) and `Link: rel="alternate"` for each other format; each of those document URLs serves its
one format. Browsers (and `Accept: */*`) get HTML; RDF clients get Turtle, JSON-LD, N-Triples,
RDF/XML, TriG or N-Quads (the quad formats keep the graph of every triple, asserted vs inferred).
`?inference=false` leaves the inferred graph out. Unknown IRIs, and paths that cannot name an IRI
at all, give 404 in the error shape the client asked for.

Every kind of document (resource, vocabulary, graph, dataset) is a `Document`: what its RDF is and
how its page is drawn; one handler, `respond`, negotiates, checks the ETag and answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request

from ...curation.namespaces import GRAPH_NAMES, graph_iri
from ...errors import BadTerm
from ...formats import media as formats
from ...formats.rdf import context_document, serialization_prefixes, write_rdf
from ...formats.terms import checked_iri
from ..diagram import model_svg
from ..http import HTML, HttpError, answer, negotiate, not_acceptable, not_modified, service
from .dataset import void_summary
from .facts import (
    Quad,
    describe_quads,
    graph_filled,
    graph_quads,
    is_version_iri,
    known,
)
from .present import claims_of, local_href, page_model
from .vocabulary import vocabulary_model

blueprint = Blueprint("resources", __name__)

XHTML = "application/xhtml+xml"
EXTENSIONS = {"html": "html", "ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig",
              "jsonld": "jsonld", "rdf": "rdfxml"}
SUFFIX = {key: ext for ext, key in EXTENSIONS.items()}
NAMES = {"html": "HTML", "turtle": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples",
         "rdfxml": "RDF/XML", "trig": "TriG", "nquads": "N-Quads"}
FALSE_WORDS = ("false", "0", "no", "off")


@dataclass(frozen=True)
class Document:
    """One linked-data document: its path, cache identity, its RDF and its HTML page."""

    path: str
    identity: tuple[Any, ...]
    quads: Callable[[], list[Quad]]
    page: Callable[[], tuple[str, dict[str, Any]]]
    prefer_html: bool = True


def rdf_types() -> list[str]:
    """Return the RDF media types offered for descriptions (canonical first, then aliases)."""
    return formats.media_types("CONSTRUCT") + ["application/json"]


def choose(prefer_html: bool = True) -> str | None:
    """Pick 'html' or an RDF format key from the Accept header (None: nothing acceptable)."""
    rdf = rdf_types()
    offered = [HTML, XHTML, *rdf] if prefer_html else [rdf[0], HTML, XHTML, *rdf[1:]]
    best = negotiate(offered)
    if best is None:
        return None
    if best in (HTML, XHTML):
        return "html"
    if best == "application/json":
        return "jsonld"
    fmt = formats.by_name(best, "CONSTRUCT")
    return fmt.key if fmt else None


def media_type(key: str) -> str:
    """Return the media type of a format key ('html' or an RDF syntax)."""
    if key == "html":
        return HTML
    fmt = formats.by_name(key, "CONSTRUCT")
    assert fmt is not None
    return fmt.media_type


def alternates(path: str) -> list[dict[str, str]]:
    """Return the links to each representation of a document path (for the page)."""
    root = request.script_root
    return [{"href": f"{root}{path}.{SUFFIX[key]}", "label": NAMES[key],
             "type": media_type(key)} for key in NAMES if key != "html"]


def split_extension(path: str) -> tuple[str, str | None]:
    """Split `/id/x/y.ttl` into (`/id/x/y`, 'turtle'); no known extension gives (path, None)."""
    stem, dot, ext = path.rpartition(".")
    if dot and ext in EXTENSIONS and "/" not in ext:
        return stem, EXTENSIONS[ext]
    return path, None


def not_found(what: str) -> HttpError:
    """Return the 404 for an IRI (or path) that names nothing in this graph."""
    return HttpError(404, f"Not found: {what} is not in this graph", headers={"Vary": "Accept"})


def serialize(quads: list[Quad], key: str, base: str, deadline: float | None = None) -> bytes:
    """Serialize quads with the program's writers: triple syntaxes merge, quad ones keep graphs
    (QueryTimeout past the deadline, as a query's own writers)."""
    graphs: dict[str, list[tuple[Any, Any, Any]]] = {}
    for q in quads:
        name = graph_iri(q.graph, base) if q.graph in GRAPH_NAMES else q.graph
        graphs.setdefault(name, []).append((q.s, q.p, q.o))
    return write_rdf(sorted(graphs.items()), key, serialization_prefixes(base), base, deadline)


def respond(doc: Document, key: str | None) -> Response:
    """Answer for a document: negotiated (key None) or the format its suffix names."""
    svc = service()
    negotiated = key is None
    chosen = choose(doc.prefer_html) if key is None else key
    if chosen is None:
        raise not_acceptable("this resource", [HTML] + formats.media_types("CONSTRUCT")[:6])
    etag = svc.etag((*doc.identity, chosen, request.script_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    if chosen == "html":
        template, context = doc.page()
        body: bytes | str = render_template(template, alternates=alternates(doc.path), **context)
    else:
        quads = doc.quads()
        body = serialize(quads, chosen, svc.base,
                         time.monotonic() + float(svc.settings["ALSKG_QUERY_TIMEOUT"]))
    root = request.script_root
    links = [(f"{root}{doc.path}.{ext}", media_type(k)) for ext, k in EXTENSIONS.items()
             if k != chosen]
    return answer(body, media_type(chosen), etag=etag, negotiated=negotiated,
                  location=f"{root}{doc.path}.{SUFFIX[chosen]}" if negotiated else None,
                  alternates=links)


def inference_wanted() -> bool:
    """Tell whether the request keeps the inferred graph (`?inference=false` drops it)."""
    return request.args.get("inference", "true").strip().lower() not in FALSE_WORDS


def resource_document(iri: str, path: str) -> Document:
    """The document of one resource IRI under `<base>id/` or `<base>build/`."""
    svc = service()
    inference = inference_wanted()

    def quads() -> list[Quad]:
        return describe_quads(svc, iri, inference=inference)

    def page() -> tuple[str, dict[str, Any]]:
        return "linked_data/resource.html", {
            "page": page_model(svc, iri, quads()), "claims": claims_of(svc, iri),
            "inference": inference}

    return Document(path, ("resource", iri, inference), quads, page)


def _dereference(relative: str) -> Response:
    svc = service()
    iri = svc.base + relative
    if _names_known(iri):
        return respond(resource_document(iri, "/" + relative), None)
    stem, key = split_extension(relative)
    if key is not None and _names_known(svc.base + stem):
        return respond(resource_document(svc.base + stem, "/" + stem), key)
    raise not_found(iri)


def _names_known(iri: str) -> bool:
    """Tell whether `iri` is a valid IRI that occurs in the build (invalid ones name nothing)."""
    try:
        checked_iri(iri)
    except BadTerm:
        return False
    return known(service(), iri)


@blueprint.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Dereference `<base>id/<rest>` (a `.ttl`, `.jsonld`, ... suffix picks one format)."""
    return _dereference("id/" + rest)


@blueprint.get("/build/<path:rest>")
def build_resource(rest: str) -> Response:
    """Dereference `<base>build/<rest>`: the build activity and its inputs (graph/meta)."""
    return _dereference("build/" + rest)


def vocabulary_document(path: str = "/vocab") -> Document:
    """The vocabulary document: the ontology graph, or its HTML page with the diagram."""
    svc = service()

    def quads() -> list[Quad]:
        return graph_quads(svc, "ontology")

    def page() -> tuple[str, dict[str, Any]]:
        from rdflib import Graph

        ontology = Graph()
        for quad in quads():
            ontology.add((quad.s, quad.p, quad.o))
        svg = model_svg(ontology, lambda iri: local_href(svc, iri) or iri)
        return "linked_data/vocabulary.html", {"vocab": vocabulary_model(svc, ontology),
                                               "diagram": svg}

    return Document(path, ("vocab",), quads, page)


@blueprint.get("/vocab")
def vocabulary() -> Response:
    """Dereference the vocabulary (`<base>vocab`, and `<base>vocab#Term` by its anchor)."""
    return respond(vocabulary_document(), None)


def in_format(name: str, ext: str, document: Callable[[], Document]) -> Response:
    """Serve document `name` in the one format its suffix names (404 for an unknown suffix)."""
    key = EXTENSIONS.get(ext)
    if key is None:
        raise not_found(service().base + name + "." + ext)
    return respond(document(), key)


@blueprint.get("/vocab.<ext>")
def vocabulary_in(ext: str) -> Response:
    """Serve the vocabulary in one format (`/vocab.ttl`, `/vocab.html`, ...)."""
    return in_format("vocab", ext, vocabulary_document)


@blueprint.get("/vocab/<version>")
def vocabulary_version(version: str) -> Response:
    """Dereference the ontology's version IRI (`<base>vocab/<version>`)."""
    svc = service()
    stem, key = split_extension(version)
    iri = svc.base + "vocab/" + stem
    try:
        checked_iri(iri)
    except BadTerm:
        raise not_found(iri) from None
    if not is_version_iri(svc, iri):
        raise not_found(iri)
    return respond(vocabulary_document("/vocab/" + stem), key)


def graph_document(name: str) -> Document:
    """The document of a named graph: all its triples, or a summary with its VoID figures."""
    svc = service()

    def page() -> tuple[str, dict[str, Any]]:
        summary = void_summary(svc)
        subset = next((s for s in summary["subsets"] if s["name"] == name), None)
        return "linked_data/graph.html", {
            "graph_page": {"name": name, "subset": subset, "iri": graph_iri(name, svc.base)},
            "void": summary}

    return Document(f"/graph/{name}", ("graph", name), lambda: graph_quads(svc, name), page)


@blueprint.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """Dereference `<base>graph/<name>` (with an optional format suffix)."""
    stem, key = split_extension(name)
    svc = service()
    counts = svc.build.receipt.get("graphs", {})
    if graph_iri(stem, svc.base) not in counts and stem not in GRAPH_NAMES:
        raise not_found(graph_iri(stem, svc.base))
    if not graph_filled(svc, stem):
        raise not_found(graph_iri(stem, svc.base))
    return respond(graph_document(stem), key)


def dataset_document(prefer_html: bool = True) -> Document:
    """The dataset description (the meta graph: VoID, provenance, examples)."""
    svc = service()

    def page() -> tuple[str, dict[str, Any]]:
        return "linked_data/dataset.html", {"void": void_summary(svc)}

    return Document("/dataset", ("dataset", "/dataset"), lambda: graph_quads(svc, "meta"), page,
                    prefer_html)


@blueprint.get("/dataset")
def dataset() -> Response:
    """Dereference `<base>dataset`: the VoID description (HTML or RDF by negotiation)."""
    return respond(dataset_document(), None)


@blueprint.get("/dataset.<ext>")
def dataset_in(ext: str) -> Response:
    """Serve the dataset description in one format."""
    return in_format("dataset", ext, dataset_document)


@blueprint.get("/.well-known/void")
def well_known_void() -> Response:
    """Serve the VoID description (RFC 5785 location); Turtle unless HTML is asked for."""
    return respond(dataset_document(prefer_html=False), None)


@blueprint.get("/context.jsonld")
def context() -> Response:
    """Serve the JSON-LD @context the JSON-LD dumps and descriptions use."""
    return answer(context_document(service().base), "application/ld+json", max_age=86400)

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
`?inference=false` leaves the inferred graph out. Unknown IRIs give 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ...curation.namespaces import GRAPH_NAMES, graph_iri
from ...formats import media as formats
from ...formats.nquads import nquad_lines
from ...publishing.dumps import (
    Names,
    context_document,
    serialization_prefixes,
    to_jsonld,
    to_ntriples,
    to_rdfxml,
    to_trig,
    to_turtle,
    turtle_term,
)
from ...publishing.sssom import external_id
from ...query.engines.base import DatasetSpec
from ...query.service import Service

blueprint = Blueprint("resources", __name__)

Triple = tuple[Node, Node, Node]
HTML = "text/html"
EXTENSIONS = {"html": "html", "ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig",
              "jsonld": "jsonld", "rdf": "rdfxml"}
SUFFIX = {key: ext for ext, key in EXTENSIONS.items()}
QUAD_FORMATS = ("nquads", "trig")
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
TEXT_PREDICATES = (DCTERMS.description, SKOS.definition, RDFS.comment)
GRAPH_ORDER = ("asserted", "inferred", "ontology", "meta", "explanations")
GRAPH_HEADINGS = {
    "asserted": "Asserted facts (graph/asserted)",
    "inferred": "Inferred facts (graph/inferred)",
    "ontology": "Vocabulary (graph/ontology)",
    "meta": "Dataset description (graph/meta)",
    "explanations": "Explanations (graph/explanations)",
}
MAX_FACTS = 5000


def service() -> Service:
    """Return the Service held by the current app."""
    found: Service = current_app.extensions["alskg"]
    return found


# -- queries --------------------------------------------------------------------------------------


class QueryFailed(Exception):
    """A page's own query failed (status and message from the executor)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_term(value: dict[str, str]) -> Node:
    """Turn one SPARQL JSON results binding into an rdflib term."""
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    datatype = value.get("datatype")
    return Literal(value["value"], lang=value.get("xml:lang"),
                   datatype=URIRef(datatype) if datatype else None)


def select(svc: Service, text: str, *, inference: bool = True,
           max_rows: int = MAX_FACTS) -> list[dict[str, Node]]:
    """Run a SELECT through the service (cached, time-limited) and return its rows as terms."""
    result = svc.query(text, spec=DatasetSpec(inference=inference), format_key="json",
                       max_rows=max_rows)
    if result.status != 200:
        raise QueryFailed(result.status, result.body.decode("utf-8", "replace"))
    document = json.loads(result.body)
    if "boolean" in document:
        return [{"boolean": Literal(bool(document["boolean"]))}]
    return [{name: json_term(value) for name, value in row.items()}
            for row in document["results"]["bindings"]]


def ask(svc: Service, text: str) -> bool:
    """Run an ASK query through the service."""
    rows = select(svc, text)
    return bool(rows and rows[0].get("boolean") == Literal(True))


def nt(term: Node) -> str:
    """Return a term in N-Triples / SPARQL syntax."""
    if isinstance(term, BNode):
        raise ValueError("blank nodes cannot be named in a query")
    return term.n3()


def known(svc: Service, iri: str) -> bool:
    """Tell whether an IRI occurs (as subject or object) in any graph of the build."""
    node = nt(URIRef(iri))
    return ask(svc, f"ASK {{ GRAPH ?g {{ {{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} }} }}")


def graph_name(svc: Service, iri: Node) -> str:
    """Return the short name of a graph IRI (asserted, inferred, ...) or the IRI itself."""
    for name in GRAPH_NAMES:
        if str(iri) == graph_iri(name, svc.base):
            return name
    return str(iri)


@dataclass(frozen=True)
class Quad:
    """A triple with the short name of the graph that holds it."""

    s: Node
    p: Node
    o: Node
    graph: str


def describe_quads(svc: Service, iri: str, *, inference: bool = True) -> list[Quad]:
    """Return the triples about an IRI: outgoing (with one level of blank nodes) and incoming
    (the explanations graph's bookkeeping excluded), each with its graph."""
    node = nt(URIRef(iri))
    explanations = nt(URIRef(graph_iri("explanations", svc.base)))
    inferred = nt(URIRef(graph_iri("inferred", svc.base)))
    skip = "" if inference else f"FILTER(?g != {inferred})"
    text = f"""SELECT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ {node} ?p ?o }} BIND({node} AS ?s) }}
  UNION {{ GRAPH ?g {{ ?s ?p {node} }} FILTER(?g != {explanations}) BIND({node} AS ?o) }}
  UNION {{ GRAPH ?g {{ {node} ?q ?s . FILTER(isBlank(?s)) ?s ?p ?o }} }}
  {skip}
}}"""
    rows = select(svc, text, max_rows=MAX_FACTS)
    return [Quad(r["s"], r["p"], r["o"], graph_name(svc, r["g"])) for r in rows]


def graph_quads(svc: Service, name: str) -> list[Quad]:
    """Return every triple of one named graph."""
    node = nt(URIRef(graph_iri(name, svc.base)))
    rows = select(svc, f"SELECT ?s ?p ?o WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}",
                  max_rows=10_000_000)
    return [Quad(r["s"], r["p"], r["o"], name) for r in rows]


def graph_of(svc: Service, name: str) -> Graph:
    """Return one named graph as an rdflib Graph."""
    graph = Graph()
    for quad in graph_quads(svc, name):
        graph.add((quad.s, quad.p, quad.o))
    return graph


def labels_for(svc: Service, terms: Iterable[Node]) -> dict[str, str]:
    """Return {IRI: label} for the IRIs among `terms` (rdfs:label, else skos:prefLabel, title)."""
    iris = sorted({str(t) for t in terms if isinstance(t, URIRef)})
    found: dict[str, str] = {}
    for start in range(0, len(iris), 400):
        values = " ".join(f"<{iri}>" for iri in iris[start:start + 400])
        text = f"""SELECT ?x (MIN(?a) AS ?la) (MIN(?b) AS ?lb) (MIN(?c) AS ?lc) WHERE {{
  VALUES ?x {{ {values} }}
  OPTIONAL {{ ?x rdfs:label ?a }} OPTIONAL {{ ?x skos:prefLabel ?b }}
  OPTIONAL {{ ?x dcterms:title ?c }}
}} GROUP BY ?x"""
        for row in select(svc, text):
            label = row.get("la") or row.get("lb") or row.get("lc")
            if label is not None:
                found[str(row["x"])] = str(label)
    return found


# -- presenting terms -----------------------------------------------------------------------------


def local_href(svc: Service, iri: str) -> str | None:
    """Return this server's URL path for an IRI under the base, else None."""
    if iri.startswith(svc.base):
        return request.script_root + "/" + iri[len(svc.base):]
    return None


def compact(svc: Service, iri: str) -> str:
    """Return a prefixed name for an IRI when a known prefix fits, else the IRI."""
    best = ""
    name = ""
    for prefix, namespace in svc.prefixes.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            local = iri[len(namespace):]
            if local and "/" not in local and "#" not in local:
                best, name = namespace, f"{prefix}:{local}"
    return name or iri


def view(svc: Service, term: Node, labels: dict[str, str]) -> dict[str, Any]:
    """Return how a term is shown: text, link, tooltip and kind (local, external, literal)."""
    if isinstance(term, URIRef):
        iri = str(term)
        ext = external_id(iri)
        if ext is not None:
            return {"text": ext.curie, "href": iri, "title": f"{ext.registry}: {iri}",
                    "kind": "external", "label": labels.get(iri, "")}
        href = local_href(svc, iri)
        return {"text": labels.get(iri) or compact(svc, iri), "href": href or iri,
                "title": iri, "kind": "local" if href else "iri", "curie": compact(svc, iri),
                "label": labels.get(iri, "")}
    if isinstance(term, Literal):
        hint = f"@{term.language}" if term.language else (
            compact(svc, str(term.datatype)) if term.datatype else "")
        return {"text": str(term), "href": "", "title": hint, "kind": "literal", "hint": hint}
    return {"text": f"_:{term}", "href": "", "title": "blank node", "kind": "bnode"}


def explain_href(s: Node, p: Node, o: Node) -> str:
    """Return the /explain link for a triple (terms in N-Triples syntax); '' for blank nodes."""
    if any(isinstance(t, BNode) for t in (s, p, o)):
        return ""
    plain = Names({})
    return url_for("resources.explain_page") + "?" + urlencode(
        {"s": turtle_term(s, plain), "p": turtle_term(p, plain), "o": turtle_term(o, plain)})


# -- negotiation and responses --------------------------------------------------------------------


def rdf_types() -> list[str]:
    """Return the RDF media types offered for descriptions (canonical first, then aliases)."""
    return formats.media_types("CONSTRUCT") + ["application/json"]


def choose(prefer_html: bool = True) -> str | None:
    """Pick 'html' or an RDF format key from the Accept header (None: nothing acceptable)."""
    offered = [HTML, "application/xhtml+xml"] + rdf_types() if prefer_html else \
        rdf_types()[:1] + [HTML, "application/xhtml+xml"] + rdf_types()[1:]
    if not request.headers.get("Accept"):
        return "html" if prefer_html else "turtle"
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        return None
    if best in (HTML, "application/xhtml+xml"):
        return "html"
    if best == "application/json":
        return "jsonld"
    fmt = formats.by_name(best, "CONSTRUCT")
    return fmt.key if fmt else None


def split_extension(path: str) -> tuple[str, str | None]:
    """Split `/id/x/y.ttl` into (`/id/x/y`, 'turtle'); no known extension gives (path, None)."""
    stem, dot, ext = path.rpartition(".")
    if dot and ext in EXTENSIONS and "/" not in ext:
        return stem, EXTENSIONS[ext]
    return path, None


def not_acceptable() -> Response:
    """Return 406 listing what is available."""
    offered = ", ".join([HTML] + formats.media_types("CONSTRUCT")[:6])
    return Response(f"Not acceptable: this resource is available as {offered}\n", status=406,
                    content_type="text/plain; charset=utf-8", headers={"Vary": "Accept"})


def not_found(what: str) -> Response:
    """Return 404: HTML for browsers, plain text for everyone else."""
    if choose() == "html":
        html = render_template("resource.html", missing=True, iri=what, page=None)
        return Response(html, status=404, content_type="text/html; charset=utf-8",
                        headers={"Vary": "Accept"})
    return Response(f"Not found: {what} is not in this graph\n", status=404,
                    content_type="text/plain; charset=utf-8", headers={"Vary": "Accept"})


def serialize(quads: list[Quad], key: str, svc: Service) -> bytes:
    """Serialize quads: triple formats merge the graphs, quad formats keep them."""
    table = serialization_prefixes(svc.base)
    triples = {(q.s, q.p, q.o) for q in quads}
    if key == "turtle":
        return to_turtle(triples, table)
    if key == "nt":
        return to_ntriples(triples)
    if key == "jsonld":
        return to_jsonld([(None, triples)], svc.base)
    if key == "rdfxml":
        return to_rdfxml(triples, table)
    by_graph: dict[str, set[Triple]] = {}
    for q in quads:
        by_graph.setdefault(graph_iri(q.graph, svc.base) if q.graph in GRAPH_NAMES else q.graph,
                            set()).add((q.s, q.p, q.o))
    named = sorted(by_graph.items())
    if key == "trig":
        return to_trig(named, table)
    graphs = []
    for name, members in named:
        graph = Graph()
        for triple in members:
            graph.add(triple)
        graphs.append((name, graph))
    return "".join(nquad_lines(graphs)).encode("utf-8")


def media_type(key: str) -> str:
    """Return the media type (with charset where textual) of a format key."""
    if key == "html":
        return "text/html; charset=utf-8"
    fmt = formats.by_name(key, "CONSTRUCT")
    assert fmt is not None
    return fmt.media_type + ("; charset=utf-8" if fmt.key != "rdfxml" else "")


def finish(body: bytes | str, key: str, path: str, negotiated: bool, etag: str,
           status: int = 200) -> Response:
    """Return a response with Content-Location, alternates, Vary, ETag and caching headers."""
    response = Response(body, status=status, content_type=media_type(key))
    root = request.script_root
    if negotiated:
        response.headers["Vary"] = "Accept"
        response.headers["Content-Location"] = f"{root}{path}.{SUFFIX[key]}"
    links = [f'<{root}{path}.{ext}>; rel="alternate"; type="{media_type(k).split(";")[0]}"'
             for ext, k in EXTENSIONS.items() if k != key]
    response.headers["Link"] = ", ".join(links)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def inference_wanted() -> bool:
    """Tell whether the request keeps the inferred graph (`?inference=false` drops it)."""
    return request.args.get("inference", "true").strip().lower() not in ("false", "0", "no",
                                                                         "off")


def not_modified(etag: str, negotiated: bool) -> Response | None:
    """Return 304 when the client already holds this representation."""
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        if negotiated:
            response.headers["Vary"] = "Accept"
        return response
    return None


# -- resource pages -------------------------------------------------------------------------------


@dataclass
class Section:
    """One graph's facts about the resource, outgoing and incoming."""

    name: str
    heading: str
    outgoing: list[dict[str, Any]] = field(default_factory=list)
    incoming: list[dict[str, Any]] = field(default_factory=list)


def first_text(quads: list[Quad], subject: Node, predicates: Iterable[URIRef]) -> str:
    """Return the first literal of the first predicate that has one (sorted, deterministic)."""
    for predicate in predicates:
        values = sorted(str(q.o) for q in quads if q.s == subject and q.p == predicate
                        and isinstance(q.o, Literal))
        if values:
            return values[0]
    return ""


def claims_of(svc: Service, iri: str) -> list[dict[str, Any]]:
    """Return the claims about, or supported by, a resource (or the claim itself)."""
    node = nt(URIRef(iri))
    text = f"""SELECT ?claim ?intervention ?condition ?aspect ?status ?date ?statement
  (GROUP_CONCAT(DISTINCT STR(?support); separator=" ") AS ?supports)
  (GROUP_CONCAT(DISTINCT STR(?eco); separator=" ") AS ?ecos)
WHERE {{
  {{ ?claim als:aboutIntervention {node} }} UNION {{ ?claim als:aboutCondition {node} }}
  UNION {{ ?claim als:supportedByStudy|als:supportedByPublication {node} }}
  UNION {{ VALUES ?claim {{ {node} }} }}
  ?claim a als:Claim ; als:aspect ?aspect ; als:status ?status .
  OPTIONAL {{ ?claim als:aboutIntervention ?intervention }}
  OPTIONAL {{ ?claim als:aboutCondition ?condition }}
  OPTIONAL {{ ?claim dcterms:date ?date }}
  OPTIONAL {{ ?claim als:sourceStatement ?statement }}
  OPTIONAL {{ ?claim als:supportedByStudy|als:supportedByPublication ?support }}
  OPTIONAL {{ ?claim als:evidenceType ?eco }}
}} GROUP BY ?claim ?intervention ?condition ?aspect ?status ?date ?statement
ORDER BY ?intervention ?aspect ?claim"""
    rows = select(svc, text, inference=False)
    terms: list[Node] = []
    for row in rows:
        terms.extend(v for k, v in row.items() if isinstance(v, URIRef))
        terms.extend(URIRef(x) for x in str(row.get("supports", "")).split())
    labels = labels_for(svc, terms)
    claims = []
    for row in rows:
        claims.append({
            "claim": view(svc, row["claim"], labels),
            "intervention": view(svc, row["intervention"], labels)
            if "intervention" in row else None,
            "condition": view(svc, row["condition"], labels) if "condition" in row else None,
            "aspect": view(svc, row["aspect"], labels),
            "status": view(svc, row["status"], labels),
            "status_key": str(row["status"]).rsplit("/", 1)[-1],
            "date": str(row.get("date", "")),
            "statement": str(row.get("statement", "")),
            "supports": [view(svc, URIRef(x), labels)
                         for x in sorted(str(row.get("supports", "")).split())],
            "evidence": [view(svc, URIRef(x), labels)
                         for x in sorted(str(row.get("ecos", "")).split())],
        })
    return claims


def page_model(svc: Service, iri: str, quads: list[Quad]) -> dict[str, Any]:
    """Collect what the HTML page of a resource shows."""
    node = URIRef(iri)
    labels = labels_for(svc, [t for q in quads for t in (q.s, q.p, q.o)])
    label = first_text(quads, node, LABEL_PREDICATES) or iri.rstrip("/").rsplit("/", 1)[-1]
    types = sorted({(q.o, q.graph) for q in quads if q.s == node and q.p == RDF.type},
                   key=lambda item: (str(item[0]), item[1]))
    mappings = []
    for predicate, kind in ((SKOS.exactMatch, "exact"), (SKOS.closeMatch, "close")):
        for value in sorted({q.o for q in quads if q.s == node and q.p == predicate}, key=str):
            mappings.append({**view(svc, value, labels), "match": kind})
    sections: dict[str, Section] = {}
    ordered = sorted(quads, key=lambda q: (str(q.p), str(q.o), str(q.s)))
    for quad in ordered:
        section = sections.setdefault(quad.graph, Section(
            quad.graph, GRAPH_HEADINGS.get(quad.graph, quad.graph)))
        fact = {"predicate": view(svc, quad.p, labels),
                "explain": explain_href(quad.s, quad.p, quad.o)
                if quad.graph == "inferred" else ""}
        if quad.s == node:
            section.outgoing.append({**fact, "value": view(svc, quad.o, labels)})
        elif quad.o == node:
            section.incoming.append({**fact, "value": view(svc, quad.s, labels)})
        else:
            section.outgoing.append({**fact, "value": view(svc, quad.o, labels),
                                     "via": view(svc, quad.s, labels)})
    order = {name: i for i, name in enumerate(GRAPH_ORDER)}
    return {
        "iri": iri, "label": label,
        "types": [{"graph": g, **view(svc, t, labels)} for t, g in types],
        "description": first_text(quads, node, TEXT_PREDICATES),
        "alt_labels": sorted({str(q.o) for q in quads if q.s == node and q.p == SKOS.altLabel}),
        "mappings": mappings,
        "sections": sorted(sections.values(), key=lambda s: order.get(s.name, 99)),
    }


def resource_response(iri: str, path: str, key: str | None) -> Response:
    """Answer for one resource IRI: the negotiated (or extension-chosen) representation."""
    svc = service()
    negotiated = key is None
    chosen = choose() if key is None else key
    if chosen is None:
        return not_acceptable()
    inference = inference_wanted()
    etag = svc.etag(("resource", iri, chosen, inference, request.script_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    try:
        quads = describe_quads(svc, iri, inference=inference)
        if not quads and not known(svc, iri):
            return not_found(iri)
        if chosen != "html":
            return finish(serialize(quads, chosen, svc), chosen, path, negotiated, etag)
        page = page_model(svc, iri, quads)
        claims = claims_of(svc, iri)
    except QueryFailed as exc:
        return Response(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    html = render_template("resource.html", page=page, claims=claims, missing=False,
                           alternates=alternates(path), inference=inference)
    return finish(html, "html", path, negotiated, etag)


def alternates(path: str) -> list[dict[str, str]]:
    """Return the links to each representation of a document path."""
    root = request.script_root
    names = {"html": "HTML", "turtle": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples",
             "rdfxml": "RDF/XML", "trig": "TriG", "nquads": "N-Quads"}
    return [{"href": f"{root}{path}.{SUFFIX[key]}", "label": names[key],
             "type": media_type(key).split(";")[0]} for key in names if key != "html"]


@blueprint.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Dereference `<base>id/<rest>` (a `.ttl`, `.jsonld`, ... suffix picks one format)."""
    return _dereference("id/" + rest)


@blueprint.get("/build/<path:rest>")
def build_resource(rest: str) -> Response:
    """Dereference `<base>build/<rest>`: the build activity and its inputs (graph/meta)."""
    return _dereference("build/" + rest)


def _dereference(relative: str) -> Response:
    svc = service()
    iri = svc.base + relative
    if known(svc, iri):
        return resource_response(iri, "/" + relative, None)
    stem, key = split_extension(relative)
    if key is not None and known(svc, svc.base + stem):
        return resource_response(svc.base + stem, "/" + stem, key)
    return not_found(iri)


# -- vocabulary -----------------------------------------------------------------------------------


def _restriction_text(graph: Graph, node: Node, short: Any) -> str:
    """Render an OWL class expression (intersection, hasValue, someValuesFrom) as text."""
    if isinstance(node, URIRef):
        return str(short(node))
    members = graph.value(node, OWL.intersectionOf)
    if members is not None:
        from rdflib.collection import Collection

        parts = [_restriction_text(graph, m, short) for m in Collection(graph, members)]
        return " and ".join(parts)
    prop = graph.value(node, OWL.onProperty)
    for predicate, word in ((OWL.hasValue, "value"), (OWL.someValuesFrom, "some"),
                            (OWL.allValuesFrom, "only")):
        value = graph.value(node, predicate)
        if value is not None and prop is not None:
            return f"({short(prop)} {word} {_restriction_text(graph, value, short)})"
    return "(anonymous class)"


def vocabulary_model(svc: Service, ontology: Graph) -> dict[str, Any]:
    """Collect the vocabulary page: ontology header, classes, properties and concept schemes."""
    namespace = svc.prefixes["als"]
    labels = {str(s): str(o) for s, o in ontology.subject_objects(RDFS.label)}

    def short(term: Node) -> str:
        text = str(term)
        return text[len(namespace):] if text.startswith(namespace) else compact(svc, text)

    def link(term: Node) -> dict[str, Any]:
        return view(svc, term, labels) | {"text": short(term)} if isinstance(term, URIRef) \
            else {"text": "(anonymous)", "href": "", "title": "", "kind": "bnode"}

    def text_of(term: Node, predicate: URIRef) -> str:
        values = sorted(str(v) for v in ontology.objects(term, predicate))
        return values[0] if values else ""

    def terms(kind: URIRef) -> list[URIRef]:
        return sorted(t for t in ontology.subjects(RDF.type, kind)
                      if isinstance(t, URIRef) and str(t).startswith(namespace))

    classes = []
    for cls in terms(OWL.Class):
        classes.append({
            "anchor": short(cls), "iri": str(cls), "label": labels.get(str(cls), ""),
            "definition": text_of(cls, SKOS.definition), "comment": text_of(cls, RDFS.comment),
            "parents": [link(p) for p in sorted(ontology.objects(cls, RDFS.subClassOf), key=str)
                        if isinstance(p, URIRef)],
            "children": [link(c) for c in sorted(ontology.subjects(RDFS.subClassOf, cls),
                                                 key=str)],
            "equivalent": [_restriction_text(ontology, e, short)
                           for e in ontology.objects(cls, OWL.equivalentClass)],
        })
    properties = []
    for kind, word in ((OWL.ObjectProperty, "object property"),
                       (OWL.DatatypeProperty, "datatype property")):
        for prop in terms(kind):
            characteristics = sorted(short(t) for t in ontology.objects(prop, RDF.type)
                                     if t not in (kind,))
            chains = []
            for chain in ontology.objects(prop, OWL.propertyChainAxiom):
                from rdflib.collection import Collection

                chains.append(" ∘ ".join(short(m) for m in Collection(ontology, chain)))
            properties.append({
                "anchor": short(prop), "iri": str(prop), "kind": word,
                "label": labels.get(str(prop), ""),
                "definition": text_of(prop, SKOS.definition),
                "comment": text_of(prop, RDFS.comment),
                "domain": [link(d) for d in sorted(ontology.objects(prop, RDFS.domain), key=str)],
                "range": [link(r) for r in sorted(ontology.objects(prop, RDFS.range), key=str)],
                "parents": [link(p) for p in sorted(ontology.objects(prop, RDFS.subPropertyOf),
                                                    key=str)],
                "inverse": [link(i) for i in sorted(ontology.objects(prop, OWL.inverseOf),
                                                    key=str)],
                "characteristics": characteristics, "chains": chains,
            })
    schemes = []
    for scheme in sorted(s for s in ontology.subjects(RDF.type, SKOS.ConceptScheme)
                         if isinstance(s, URIRef)):
        concepts = sorted(ontology.subjects(SKOS.inScheme, scheme), key=str)
        schemes.append({"scheme": view(svc, scheme, labels),
                        "concepts": [view(svc, c, labels) for c in concepts]})
    header = URIRef(namespace.rstrip("#"))
    return {
        "iri": str(header), "title": text_of(header, DCTERMS.title) or "alskg vocabulary",
        "description": text_of(header, DCTERMS.description),
        "version": text_of(header, OWL.versionInfo),
        "license": text_of(header, DCTERMS.license),
        "classes": classes, "properties": properties, "schemes": schemes,
    }


def vocabulary_response(key: str | None, path: str = "/vocab") -> Response:
    """Answer for the vocabulary document: the ontology graph, or its HTML page."""
    svc = service()
    negotiated = key is None
    chosen = choose() if key is None else key
    if chosen is None:
        return not_acceptable()
    etag = svc.etag(("vocab", chosen, request.script_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    try:
        quads = graph_quads(svc, "ontology")
        if chosen != "html":
            return finish(serialize(quads, chosen, svc), chosen, path, negotiated, etag)
        ontology = Graph()
        for quad in quads:
            ontology.add((quad.s, quad.p, quad.o))
    except QueryFailed as exc:
        return Response(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    from ..diagram import model_svg

    svg = model_svg(ontology, lambda iri: local_href(svc, iri) or iri)
    html = render_template("resource.html", vocab=vocabulary_model(svc, ontology), page=None,
                           missing=False, diagram=svg, alternates=alternates(path))
    return finish(html, "html", path, negotiated, etag)


@blueprint.get("/vocab")
def vocabulary() -> Response:
    """Dereference the vocabulary (`<base>vocab`, and `<base>vocab#Term` by its anchor)."""
    return vocabulary_response(None)


@blueprint.get("/vocab.<ext>")
def vocabulary_document(ext: str) -> Response:
    """Serve the vocabulary in one format (`/vocab.ttl`, `/vocab.html`, ...)."""
    key = EXTENSIONS.get(ext)
    if key is None:
        return not_found(service().base + "vocab." + ext)
    return vocabulary_response(key)


@blueprint.get("/vocab/<version>")
def vocabulary_version(version: str) -> Response:
    """Dereference the ontology's version IRI (`<base>vocab/<version>`)."""
    svc = service()
    stem, key = split_extension(version)
    iri = svc.base + "vocab/" + stem
    if not ask(svc, f"ASK {{ GRAPH ?g {{ ?o owl:versionIRI {nt(URIRef(iri))} }} }}"):
        return not_found(iri)
    return vocabulary_response(key, "/vocab/" + stem)


# -- graphs, dataset and VoID ---------------------------------------------------------------------


def graph_response(name: str, key: str | None) -> Response:
    """Answer for a named graph: all its triples, or an HTML summary with its VoID figures."""
    svc = service()
    negotiated = key is None
    chosen = choose() if key is None else key
    if chosen is None:
        return not_acceptable()
    path = f"/graph/{name}"
    etag = svc.etag(("graph", name, chosen, request.script_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    try:
        if chosen != "html":
            return finish(serialize(graph_quads(svc, name), chosen, svc), chosen, path,
                          negotiated, etag)
        summary = void_summary(svc)
    except QueryFailed as exc:
        return Response(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    subset = next((s for s in summary["subsets"] if s["name"] == name), None)
    html = render_template("resource.html", graph_page={"name": name, "subset": subset,
                                                        "iri": graph_iri(name, svc.base)},
                           void=summary, page=None, missing=False, alternates=alternates(path))
    return finish(html, "html", path, negotiated, etag)


@blueprint.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """Dereference `<base>graph/<name>` (with an optional format suffix)."""
    stem, key = split_extension(name)
    svc = service()
    counts = svc.build.receipt.get("graphs", {})
    if graph_iri(stem, svc.base) not in counts and stem not in GRAPH_NAMES:
        return not_found(graph_iri(stem, svc.base))
    if not ask(svc, f"ASK {{ GRAPH {nt(URIRef(graph_iri(stem, svc.base)))} {{ ?s ?p ?o }} }}"):
        return not_found(graph_iri(stem, svc.base))
    return graph_response(stem, key)


def void_summary(svc: Service) -> dict[str, Any]:
    """Return the dataset's VoID description (from graph/meta) as page data."""
    meta = Graph()
    for quad in graph_quads(svc, "meta"):
        meta.add((quad.s, quad.p, quad.o))
    from ...curation.namespaces import VOID

    dataset = URIRef(svc.base + "dataset")

    def number(node: Node, predicate: URIRef) -> int | None:
        value = meta.value(node, predicate)
        return int(value) if isinstance(value, Literal) else None

    def counts(node: Node) -> dict[str, int | None]:
        return {name: number(node, VOID[name]) for name in (
            "triples", "entities", "distinctSubjects", "distinctObjects", "classes",
            "properties")}

    labels = {str(s): str(o) for s, o in meta.subject_objects(RDFS.label)}
    subsets = []
    for subset in sorted(meta.objects(dataset, VOID.subset), key=str):
        name = graph_name(svc, subset)
        classes = sorted(
            ({"term": view(svc, meta.value(part, VOID["class"]) or part, labels),
              "entities": number(part, VOID.entities), "triples": number(part, VOID.triples)}
             for part in meta.objects(subset, VOID.classPartition)),
            key=_by_triples)
        props = sorted(
            ({"term": view(svc, meta.value(part, VOID.property) or part, labels),
              "triples": number(part, VOID.triples),
              "subjects": number(part, VOID.distinctSubjects),
              "objects": number(part, VOID.distinctObjects)}
             for part in meta.objects(subset, VOID.propertyPartition)),
            key=_by_triples)
        subsets.append({"name": name, "iri": str(subset),
                        "href": local_href(svc, str(subset)) or str(subset),
                        "title": str(meta.value(subset, DCTERMS.title) or name),
                        "counts": counts(subset), "classes": classes, "properties": props})
    return {
        "iri": str(dataset),
        "title": str(meta.value(dataset, DCTERMS.title) or "alskg"),
        "description": str(meta.value(dataset, DCTERMS.description) or ""),
        "license": str(meta.value(dataset, DCTERMS.license) or ""),
        "version": str(meta.value(dataset, OWL.versionInfo) or ""),
        "endpoint": str(meta.value(dataset, VOID.sparqlEndpoint) or ""),
        "dumps": [{"iri": str(d), "href": local_href(svc, str(d)) or str(d)}
                  for d in sorted(meta.objects(dataset, VOID.dataDump), key=str)],
        "vocabularies": sorted(str(v) for v in meta.objects(dataset, VOID.vocabulary)),
        "counts": counts(dataset), "subsets": subsets,
    }


def _by_triples(row: dict[str, Any]) -> tuple[int, str]:
    return (-int(row["triples"] or 0), str(row["term"]["title"]))


def dataset_response(key: str | None, path: str, prefer_html: bool) -> Response:
    """Answer with the dataset description (the meta graph: VoID, provenance, examples)."""
    svc = service()
    negotiated = key is None
    chosen = choose(prefer_html) if key is None else key
    if chosen is None:
        return not_acceptable()
    etag = svc.etag(("dataset", path, chosen, request.script_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    try:
        if chosen != "html":
            return finish(serialize(graph_quads(svc, "meta"), chosen, svc), chosen, path,
                          negotiated, etag)
        summary = void_summary(svc)
    except QueryFailed as exc:
        return Response(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    html = render_template("resource.html", void=summary, dataset_page=True, page=None,
                           missing=False, alternates=alternates(path))
    return finish(html, "html", path, negotiated, etag)


@blueprint.get("/dataset")
def dataset() -> Response:
    """Dereference `<base>dataset`: the VoID description (HTML or RDF by negotiation)."""
    return dataset_response(None, "/dataset", True)


@blueprint.get("/dataset.<ext>")
def dataset_document(ext: str) -> Response:
    """Serve the dataset description in one format."""
    key = EXTENSIONS.get(ext)
    if key is None:
        return not_found(service().base + "dataset." + ext)
    return dataset_response(key, "/dataset", True)


@blueprint.get("/.well-known/void")
def well_known_void() -> Response:
    """Serve the VoID description (RFC 5785 location); Turtle unless HTML is asked for."""
    return dataset_response(None, "/dataset", False)


@blueprint.get("/context.jsonld")
def context() -> Response:
    """Serve the JSON-LD @context the JSON-LD dumps and descriptions use."""
    response = Response(context_document(service().base), content_type="application/ld+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# -- explanations ---------------------------------------------------------------------------------


def parse_term(text: str, svc: Service) -> Node:
    """Parse `<iri>`, `"literal"^^<dt>`, a prefixed name or a bare IRI into a term."""
    text = text.strip()
    if text.startswith('"'):
        graph = Graph()
        graph.parse(data=f"<urn:x:s> <urn:x:p> {text} .", format="nt")
        return next(iter(graph.objects()))
    from ...reasoning.lookup import resolve_term

    return resolve_term(text, svc.prefixes)


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
    svc = service()
    raw = [request.args.get(k, "") for k in ("s", "p", "o")]
    if not all(raw):
        return Response("Give the triple as ?s=<iri>&p=<iri>&o=<iri or literal>\n", status=400,
                        content_type="text/plain; charset=utf-8")
    try:
        s, p, o = (parse_term(t, svc) for t in raw)
    except Exception as exc:  # noqa: BLE001 - any parse error is the client's
        return Response(f"Cannot read the triple: {exc}\n", status=400,
                        content_type="text/plain; charset=utf-8")
    wanted = "text" if request.args.get("format") == "text" else (
        "text" if request.accept_mimetypes.best_match([HTML, "text/plain"]) == "text/plain"
        else "html")
    try:
        rows = select(svc, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {nt(s)} {nt(p)} {nt(o)} }} }}")
        graphs = sorted(graph_name(svc, r["g"]) for r in rows)
        tree = None
        if "inferred" in graphs:
            tree = derivation_tree(svc, s, p, o)
    except (QueryFailed, ValueError) as exc:
        return Response(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
    status = 200 if graphs else 404
    if wanted == "text":
        if tree is not None:
            from ...reasoning.explain import render_text

            body = render_text(tree) + "\n"
        elif graphs:
            body = f"{s.n3()} {p.n3()} {o.n3()} is asserted in graph/{', '.join(graphs)}\n"
        else:
            body = f"{s.n3()} {p.n3()} {o.n3()} is neither asserted nor inferred\n"
        return Response(body, status=status, content_type="text/plain; charset=utf-8",
                        headers={"Vary": "Accept"})
    labels = labels_for(svc, [s, p, o] + ([t for n in tree.walk() for t in n.triple]
                                           if tree is not None else []))
    text = ""
    if tree is not None:
        from ...reasoning.explain import render_text

        text = render_text(tree)
    html = render_template("resource.html", explain={
        "triple": [view(svc, t, labels) for t in (s, p, o)], "graphs": graphs,
        "tree": to_tree(svc, tree, labels) if tree is not None else None, "text": text},
        page=None, missing=False)
    return Response(html, status=status, content_type="text/html; charset=utf-8",
                    headers={"Vary": "Accept"})


def derivation_tree(svc: Service, s: Node, p: Node, o: Node) -> Any:
    """Fetch the derivation subgraph of an inferred triple and return its Explanation tree."""
    from ...reasoning.explain import explain
    from ...reasoning.terms import derivation_iri

    root = derivation_iri((s, p, o))
    graph_node = nt(URIRef(graph_iri("explanations", svc.base)))
    step = "(als:premise/^als:derivedTriple)*"
    text = f"""SELECT ?x ?y ?z WHERE {{ GRAPH {graph_node} {{
  {{ {nt(root)} {step} ?x . ?x ?y ?z }}
  UNION {{ {nt(root)} {step} ?d . ?d als:derivedTriple|als:premise ?x . ?x ?y ?z }}
}} }}"""
    graph = Graph()
    for row in select(svc, text, max_rows=100_000):
        graph.add((row["x"], row["y"], row["z"]))
    return explain(graph, s, p, o)


def to_tree(svc: Service, node: Any, labels: dict[str, str]) -> TreeNode:
    """Turn a reasoning Explanation into what the template renders."""
    return TreeNode([view(svc, t, labels) for t in node.triple], node.rule, node.round,
                    tuple(node.via), (node.asserted_in or "").rsplit("/", 1)[-1],
                    [to_tree(svc, child, labels) for child in node.premises])

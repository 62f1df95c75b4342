"""The routes table of the route fuzz (tests/test_fuzz_routes.py): what the URL map cannot say.

One entry per endpoint: the query parameters its view reads (each with a valid value, so the
others stay valid while one is fuzzed) and valid values for its path arguments, to mutate. A new
route without an entry here fails `test_every_route_has_an_entry` by name; a view that reads a
parameter its entry does not list fails the fuzz run by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alskg.publishing.dumps import CHECKSUM_FILE, DUMP_FILES
from alskg.query.catalog import load_catalog
from alskg.query.listing import KINDS


@dataclass(frozen=True)
class RouteEntry:
    """What the URL map cannot say about a route: the query parameters its view reads (each with
    a valid value) and valid values for its path arguments."""

    params: dict[str, str] = field(default_factory=dict)
    args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reads_every_param: bool = False   # the view reads whatever the query string holds


CATALOG = load_catalog()
CATALOG_PARAMS = {p.name: p.example or "x" for q in CATALOG for p in q.params}
RDF_EXTENSIONS = ("ttl", "jsonld", "nt", "nq", "trig", "rdf", "html")
MATRIX_PARAMS = {"inference": "false", "as_of": "2017-03-21", "group": "approved",
                 "modality": "small-molecule", "aspect": "survival"}
TIMELINE_PARAMS = {"as_of": "2017-03-21", "group": "approved", "modality": "small-molecule"}
LIST_NAMES = tuple(kind.name for kind in KINDS)
LIST_PARAMS = {"q": "riluzole", "sort": "-label", "page": "1"}
ROUTES: dict[str, RouteEntry] = {
    "static": RouteEntry(args={"filename": ("site.css", "yasgui/yasgui.min.css")}),
    "sparql.sparql": RouteEntry(params={
        "query": "ASK {}", "update": "", "default-graph-uri": "https://w3id.org/alskg/graph/asserted",
        "named-graph-uri": "https://w3id.org/alskg/graph/inferred", "using-graph-uri": "",
        "using-named-graph-uri": "", "format": "json", "inference": "false"}),
    "sparql.completions": RouteEntry(),
    "pages.home": RouteEntry(),
    "pages.downloads": RouteEntry(),
    "pages.download": RouteEntry(args={"name": (CHECKSUM_FILE, *(d.name for d in DUMP_FILES))}),
    "catalog.index": RouteEntry(params={"tag": "claims"}),
    "catalog.index_json": RouteEntry(params={"tag": "claims"}),
    "catalog.named_query": RouteEntry(
        params=CATALOG_PARAMS, reads_every_param=True,
        args={"name": tuple(q.name + s for q in CATALOG[:8] for s in ("", ".json", ".ttl"))}),
    "catalog.openapi": RouteEntry(),
    "catalog.sparql_examples": RouteEntry(params={"format": "turtle"}),
    "evidence.matrix": RouteEntry(params=MATRIX_PARAMS),
    "evidence.matrix_json": RouteEntry(params=MATRIX_PARAMS),
    "evidence.timeline": RouteEntry(params=TIMELINE_PARAMS),
    "evidence.timeline_svg": RouteEntry(params=TIMELINE_PARAMS),
    # a list reads every argument: q, sort, page and its own filter columns (studies: outcome …)
    "browse.listing": RouteEntry(params=LIST_PARAMS, reads_every_param=True,
                                 args={"name": LIST_NAMES}),
    "browse.listing_as": RouteEntry(params=LIST_PARAMS, reads_every_param=True,
                                    args={"name": LIST_NAMES, "suffix": ("json", "csv")}),
    "resources.resource": RouteEntry(params={"inference": "false"}, args={"rest": (
        "disease/als", "intervention/msc-therapy", "disease/als.ttl", "study")}),
    "resources.build_resource": RouteEntry(params={"inference": "false"}, args={"rest": (
        "activity", "input/data/claims.ttl", "activity.jsonld")}),
    "resources.vocabulary": RouteEntry(),
    "resources.vocabulary_in": RouteEntry(args={"ext": RDF_EXTENSIONS}),
    "resources.vocabulary_version": RouteEntry(args={"version": ("0.1.0", "0.1.0.ttl")}),
    "resources.named_graph": RouteEntry(args={"name": (
        "asserted", "inferred", "ontology", "meta", "explanations", "asserted.ttl")}),
    "resources.dataset": RouteEntry(),
    "resources.dataset_in": RouteEntry(args={"ext": RDF_EXTENSIONS}),
    "resources.well_known_void": RouteEntry(),
    "resources.context": RouteEntry(),
    "explain.explain_page": RouteEntry(params={
        "s": "intervention:msc-therapy", "p": "a", "o": "als:InvestigationalIntervention",
        "format": "text"}),
    "search.search_page": RouteEntry(params={"q": "riluzole", "kind": "intervention"}),
    "search.search_json": RouteEntry(params={"q": "CHEBI:8863", "kind": "intervention"}),
    "search.suggest": RouteEntry(params={"q": "rilu", "kind": "intervention", "limit": "5"}),
    "health": RouteEntry(),
    "metrics": RouteEntry(),
}

"""HTML pages for people: the home page (what the graph is, its data-model picture, where to go)
and the downloads page, plus the dump files themselves at /downloads/<file>.

The dumps are written once per build, lazily on the first request, into `<build>/downloads/`
(publishing.dumps.ensure_downloads: deterministic files, SHA256SUMS written last) and served
with the file's SHA-256 as a strong ETag.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, send_file

from ..curation.namespaces import graph_iri
from ..publishing.dumps import (
    CHECKSUM_FILE,
    DUMP_FILES,
    dump_file,
    ensure_downloads,
    read_checksums,
)
from ..query.evidence import EvidenceError, compute_matrix
from .diagram import render_svg
from .diagram_model import read_model
from .http import HTML, HttpError, answer, service
from .linked_data.facts import graph_of
from .linked_data.present import local_href
from .timeline import compute_timeline
from .timeline import render_svg as render_timeline

blueprint = Blueprint("pages", __name__)

KEY_CLASSES = (("Disease", "diseases"), ("Phenotype", "phenotypes"),
               ("Intervention", "interventions"), ("CellType", "cell types"),
               ("Study", "studies"), ("Publication", "publications"), ("Claim", "claims"),
               ("RegulatoryEvent", "regulatory acts"), ("Hypothesis", "hypotheses"))
# Classes with a list page (web.browse) link there; the others to their definition.
LIST_PAGES = {"Phenotype": "phenotypes", "Intervention": "interventions", "Study": "studies",
              "Publication": "publications", "Claim": "claims", "RegulatoryEvent": "regulatory"}


CLASS_COUNTS = ("SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {\n  VALUES ?class { "
                + " ".join(f"als:{name}" for name, _ in KEY_CLASSES)
                + " } ?x a ?class } GROUP BY ?class")  # fixed text: the classes are constants


def class_counts() -> list[dict[str, Any]]:
    """Return how many instances each key class has (with inference, so subclasses count)."""
    svc = service()
    rows = svc.rows(CLASS_COUNTS)
    found = {str(row["class"]).rsplit("#", 1)[-1]: int(str(row["n"])) for row in rows}
    als = svc.prefixes["als"]
    root = request.script_root
    return [{"name": name, "label": label, "count": found.get(name, 0),
             "href": (f"{root}/{LIST_PAGES[name]}" if name in LIST_PAGES
                      else local_href(svc, als + name) or "")} for name, label in KEY_CLASSES]


@blueprint.get("/")
def home() -> Response:
    """The home page: what the graph is, the data model drawn from the ontology, the way in."""
    svc = service()
    model = read_model(graph_of(svc, "ontology"))
    counts = class_counts()
    svg = render_svg(model, lambda iri: local_href(svc, iri) or iri)
    graphs = [{"name": name.rsplit("/", 1)[-1], "triples": count,
               "href": local_href(svc, name) or name}
              for name, count in sorted(svc.build.receipt.get("graphs", {}).items())]
    try:
        everything = compute_matrix(svc, True)
        glance, groups = everything.filtered("approved"), everything.groups()
    except EvidenceError:
        glance, groups = None, []
    html = render_template("home.html", evidence=glance, groups=groups, diagram=svg,
                           loose=model.loose,
                           timeline=timeline_svg(),
                           defined=model.defined,
                           counts=counts, graphs=graphs, base=svc.base,
                           example=local_href(svc, svc.base + "id/disease/als"),
                           content_hash=svc.build.content_hash)
    root = request.script_root
    return answer(html, HTML, max_age=None, headers={
        "Link": f'<{root}/.well-known/void>; rel="describedby"; type="text/turtle", '
                f'<{root}/sparql>; rel="service"'})


def timeline_svg() -> str | None:
    """Return the evidence timeline as inline SVG (links under the mount point), or None."""
    root = request.script_root
    try:
        found = compute_timeline(service())
    except EvidenceError:
        return None
    return render_timeline(found, lambda path: root + path if path.startswith("/") else path)


def file_rows() -> tuple[list[dict[str, Any]], str]:
    """Return the dump files (name, title, size, SHA-256, URL) and the folder's checksum text."""
    svc = service()
    folder = ensure_downloads(svc.build)
    sums = read_checksums(folder)
    rows = []
    for entry in DUMP_FILES:
        path = folder / entry.name
        if path.is_file():
            rows.append({"name": entry.name, "title": entry.title, "type": entry.media_type,
                         "format": entry.format_key, "size": path.stat().st_size,
                         "sha256": sums.get(entry.name, ""),
                         "href": f"{request.script_root}/downloads/{entry.name}"})
    checksums = (folder / CHECKSUM_FILE).read_text(encoding="utf-8")
    return rows, checksums


@blueprint.get("/downloads")
def downloads() -> Response:
    """List the dumps with sizes and checksums (written on first request)."""
    svc = service()
    rows, checksums = file_rows()
    html = render_template("downloads.html", files=rows, checksums=checksums,
                           version=svc.build.package_version, content_hash=svc.build.content_hash,
                           graphs=[graph_iri(n, svc.base) for n in
                                   ("ontology", "asserted", "inferred", "explanations", "meta")])
    return answer(html, HTML, max_age=None)


@blueprint.get("/downloads/<name>")
def download(name: str) -> Response:
    """Serve one dump file (or SHA256SUMS) with its SHA-256 as ETag."""
    svc = service()
    entry = dump_file(name)
    if entry is None and name != CHECKSUM_FILE:
        raise HttpError(404, f"No download called {name!r}; see /downloads")
    folder = ensure_downloads(svc.build)
    path = folder / name
    if name == CHECKSUM_FILE:
        import hashlib

        etag = hashlib.sha256(path.read_bytes()).hexdigest()
        mimetype = "text/plain; charset=utf-8"
    else:
        assert entry is not None
        etag = read_checksums(folder).get(name, svc.build.content_hash)
        mimetype = entry.media_type
        if mimetype.startswith("text/") or mimetype in ("application/n-quads", "application/trig",
                                                         "application/ld+json"):
            mimetype += "; charset=utf-8"
    response = send_file(path, mimetype=mimetype, etag=etag, conditional=True,
                         download_name=name, max_age=3600)
    return response

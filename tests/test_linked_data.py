"""Dereferenceable IRIs: HTML and RDF by content negotiation, Vary, 404s, vocabulary, /explain."""

from __future__ import annotations

import html
import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from alskg.assembly.pipeline import BuildOptions, build
from alskg.assembly.store import BuiltDataset, file_sha256, open_build
from alskg.curation.namespaces import ALS, DEFAULT_BASE, graph_iri
from alskg.errors import BuildCorrupt
from alskg.formats.rdf import context_document
from tests.conftest import make_app

ALS_IRI = URIRef(DEFAULT_BASE + "id/disease/als")
MSC = URIRef(DEFAULT_BASE + "id/intervention/msc-therapy")
STATIC_CONTEXT = Path(__file__).resolve().parents[1] / "src/alskg/web/static/context.jsonld"
RDF_CASES = [
    ("text/turtle", "text/turtle", "turtle", ".ttl"),
    ("application/ld+json", "application/ld+json", "json-ld", ".jsonld"),
    ("application/n-triples", "application/n-triples", "nt", ".nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml", ".rdf"),
    ("application/trig", "application/trig", "trig", ".trig"),
    ("application/n-quads", "application/n-quads", "nquads", ".nq"),
]


@pytest.fixture(scope="module")
def dataset(built: BuiltDataset) -> Dataset:
    """The session build, parsed."""
    parsed = Dataset()
    parsed.parse(built.dataset_file, format="nquads")
    return parsed


def path_of(iri: str) -> str:
    """Map an IRI under the default base to this server's path."""
    assert iri.startswith(DEFAULT_BASE)
    return "/" + iri[len(DEFAULT_BASE):]


def parse(body: bytes, fmt: str) -> Graph:
    """Parse an RDF body into one graph (quad formats merged)."""
    if fmt in ("trig", "nquads"):
        holder = Dataset()
        holder.parse(data=body, format=fmt)
        merged = Graph()
        for graph in holder.graphs():
            for triple in graph:
                merged.add(triple)
        return merged
    graph = Graph()
    graph.parse(data=body, format=fmt)
    return graph


def test_browser_gets_html_with_vary_and_content_location(client: FlaskClient) -> None:
    """A browser's Accept header gets the HTML page, negotiated (Vary, Content-Location)."""
    response = client.get("/id/disease/als", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Content-Location"] == "/id/disease/als.html"
    assert 'rel="alternate"' in response.headers["Link"]
    html = response.get_data(as_text=True)
    assert "amyotrophic lateral sclerosis" in html
    assert 'href="http://purl.obolibrary.org/obo/MONDO_0004976"' in html  # registry link
    assert ">MONDO:0004976<" in html
    assert 'id="claims"' in html and "status-established" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html  # the layout footer


@pytest.mark.parametrize(("accept", "mimetype", "fmt", "suffix"), RDF_CASES)
def test_rdf_clients_get_each_format(client: FlaskClient, accept: str, mimetype: str, fmt: str,
                                     suffix: str) -> None:
    """Each RDF media type gets a parseable description of the resource, with Vary: Accept."""
    response = client.get("/id/disease/als", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Content-Location"] == "/id/disease/als" + suffix
    graph = parse(response.data, fmt)
    assert (ALS_IRI, RDF.type, ALS.Disease) in graph
    assert (ALS_IRI, RDFS.label, Literal("amyotrophic lateral sclerosis")) in graph
    assert (ALS_IRI, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"),
            URIRef("http://purl.obolibrary.org/obo/MONDO_0004976")) in graph
    document = client.get("/id/disease/als" + suffix)  # the document URL: one format
    assert document.status_code == 200 and document.mimetype == mimetype
    assert document.data == response.data


def test_default_and_wildcard_and_q_values(client: FlaskClient) -> None:
    """No Accept or */* gives HTML; q-values pick the preferred RDF format; JSON means JSON-LD."""
    assert client.get("/id/disease/als").mimetype == "text/html"
    assert client.get("/id/disease/als", headers={"Accept": "*/*"}).mimetype == "text/html"
    preferred = client.get("/id/disease/als", headers={
        "Accept": "text/html;q=0.5, text/turtle;q=0.9, application/rdf+xml;q=0.8"})
    assert preferred.mimetype == "text/turtle"
    as_json = client.get("/id/disease/als", headers={"Accept": "application/json"})
    assert as_json.mimetype == "application/ld+json"
    json.loads(as_json.data)


def test_unknown_iris_are_404(client: FlaskClient) -> None:
    """IRIs not in the graph give 404 (HTML and RDF clients), and so do unknown documents."""
    for accept in ("text/html", "text/turtle"):
        response = client.get("/id/disease/no-such-disease", headers={"Accept": accept})
        assert response.status_code == 404
    for path in ("/id/disease/als.xyz", "/id/nothing", "/graph/nothing", "/graph/nothing.ttl",
                 "/vocab/9.9.9", "/vocab.xyz", "/build/nothing", "/downloads/nothing.ttl"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404, path


def test_unacceptable_media_type_is_406(client: FlaskClient) -> None:
    """An Accept header nothing matches gets 406 naming the formats available."""
    response = client.get("/id/disease/als", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert b"text/turtle" in response.data


def test_every_resource_dereferences(client: FlaskClient, dataset: Dataset) -> None:
    """Every slash IRI under the base that is a subject in the build resolves (Turtle, 200)."""
    subjects = {str(s) for s, _, _, g in dataset.quads((None, None, None, None))
                if isinstance(s, URIRef) and str(s).startswith(DEFAULT_BASE + "id/")
                and not str(s).startswith((DEFAULT_BASE + "id/derivation/",
                                           DEFAULT_BASE + "id/statement/"))}
    assert len(subjects) > 50
    for iri in sorted(subjects):
        response = client.get(path_of(iri), headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, iri
        assert f"<{iri}>".encode() in response.data


def test_vocabulary_hash_iris_resolve_to_anchors(client: FlaskClient, dataset: Dataset) -> None:
    """/vocab describes every als: term: RDF is the ontology graph, HTML has an anchor each."""
    ontology = dataset.graph(URIRef(graph_iri("ontology")))
    terms = {str(t) for t in ontology.subjects() if str(t).startswith(str(ALS))}
    used = {str(p) for _, p, _ in dataset.triples((None, None, None))
            if str(p).startswith(str(ALS))}
    html = client.get("/vocab", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "Accept" in html.headers["Vary"]
    page = html.get_data(as_text=True)
    for term in sorted(terms | (used - {str(ALS.derivedTriple), str(ALS.premise),
                                        str(ALS.rule), str(ALS.round), str(ALS.via),
                                        str(ALS.assertedIn)})):
        if term in terms:
            assert f'id="{term.split("#", 1)[1]}"' in page, term
    turtle = client.get("/vocab", headers={"Accept": "text/turtle"})
    assert turtle.headers["Content-Location"] == "/vocab.ttl"
    graph = parse(turtle.data, "turtle")
    assert len(graph) == len(ontology)
    assert (URIRef(DEFAULT_BASE + "vocab"), RDF.type, OWL.Ontology) in graph
    assert "<svg" in page  # the data-model picture
    version = next(iter(ontology.objects(URIRef(DEFAULT_BASE + "vocab"), OWL.versionIRI)))
    assert client.get(path_of(str(version)), headers={"Accept": "text/turtle"}).status_code == 200


def test_graph_iris_serve_their_graph(client: FlaskClient, built: BuiltDataset) -> None:
    """/graph/<name> gives that graph's triples (RDF) or its VoID summary (HTML)."""
    counts = built.receipt["graphs"]
    for name in ("asserted", "inferred", "ontology"):
        response = client.get(f"/graph/{name}", headers={"Accept": "application/n-triples"})
        assert response.status_code == 200
        assert len(parse(response.data, "nt")) == counts[graph_iri(name)]
    page = client.get("/graph/asserted", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "void:triples" in page and str(counts[graph_iri("asserted")]) in page


def test_asserted_and_inferred_apart_with_explanations(client: FlaskClient) -> None:
    """The page keeps asserted and inferred facts apart; each inferred one links to /explain."""
    page = client.get("/id/intervention/msc-therapy",
                      headers={"Accept": "text/html"}).get_data(as_text=True)
    asserted = page.index('id="graph-asserted"')
    inferred = page.index('id="graph-inferred"')
    assert asserted < inferred
    links = re.findall(r'href="(/explain\?[^"]+)"', page)
    assert links and page.index(links[0]) > inferred
    explanation = client.get(html.unescape(links[0]), headers={"Accept": "text/html"})
    assert explanation.status_code == 200
    assert "badge-inferred" in explanation.get_data(as_text=True)


def test_explain_as_text_and_html(client: FlaskClient) -> None:
    """/explain shows the derivation tree of an inferred triple, down to asserted premises."""
    query = {"s": MSC.n3(), "p": RDF.type.n3(), "o": ALS.InvestigationalIntervention.n3(),
             "format": "text"}
    text = client.get("/explain?" + urlencode(query)).get_data(as_text=True)
    assert text.startswith("intervention:msc-therapy a als:InvestigationalIntervention")
    assert "[asserted: asserted]" in text and "round" in text
    asserted = {"s": MSC.n3(), "p": RDF.type.n3(), "o": ALS.MesenchymalStemCellTherapy.n3()}
    response = client.get("/explain?" + urlencode(asserted), headers={"Accept": "text/html"})
    assert response.status_code == 200 and "asserted in" in response.get_data(as_text=True)
    missing = {"s": MSC.n3(), "p": RDF.type.n3(), "o": ALS.Drug.n3()}
    assert client.get("/explain?" + urlencode(missing)).status_code == 404
    assert client.get("/explain?s=x").status_code == 400


def test_large_build_keeps_explanations_apart_and_explain_still_answers(
    tmp_path: Path, client: FlaskClient
) -> None:
    """Past the size limit the RDF explanations graph is left out of the dataset; the
    derivation file still explains every inference, with the same tree as the full build."""
    root = tmp_path / "large"
    built = build(BuildOptions(root=root, validate=False, explanations_graph_max=0))
    reasoning = built.receipt["reasoning"]
    assert reasoning["explanations_graph"] is False
    assert reasoning["derivations"] == reasoning["inferred_triples"] > 0
    assert built.derivation_file.is_file()
    dataset = Dataset()
    dataset.parse(built.dataset_file, format="nquads")
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert graph_iri("explanations") not in names and graph_iri("inferred") in names
    query = {"s": MSC.n3(), "p": RDF.type.n3(), "o": ALS.InvestigationalIntervention.n3(),
             "format": "text"}
    large = make_app(root).test_client().get("/explain?" + urlencode(query))
    full = client.get("/explain?" + urlencode(query))
    assert large.status_code == full.status_code == 200
    assert large.get_data(as_text=True) == full.get_data(as_text=True)
    # The receipt pins the file: a damaged derivation file makes the build refuse to open.
    assert built.receipt["derivation_file"]["sha256"] == file_sha256(built.derivation_file)
    with built.derivation_file.open("r+b") as handle:
        handle.write(b"garbage")
    with pytest.raises(BuildCorrupt, match="explanations.sqlite"):
        open_build(root)


def test_inference_false_hides_inferred(client: FlaskClient) -> None:
    """`?inference=false` leaves the inferred graph out of a description."""
    full = parse(client.get("/id/intervention/msc-therapy.nt").data, "nt")
    bare = parse(client.get("/id/intervention/msc-therapy.nt?inference=false").data, "nt")
    assert (MSC, RDF.type, ALS.Intervention) in full
    assert (MSC, RDF.type, ALS.Intervention) not in bare


def test_etag_and_not_modified(client: FlaskClient) -> None:
    """Descriptions carry an ETag; sending it back gives 304."""
    first = client.get("/id/disease/als", headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    again = client.get("/id/disease/als", headers={"Accept": "text/turtle",
                                                   "If-None-Match": etag})
    assert again.status_code == 304


def test_dataset_and_context(client: FlaskClient) -> None:
    """/dataset and /.well-known/void describe the dataset; the JSON-LD context is published."""
    void = client.get("/.well-known/void")
    assert void.status_code == 200 and void.mimetype == "text/turtle"
    graph = parse(void.data, "turtle")
    assert (URIRef(DEFAULT_BASE + "dataset"), RDF.type,
            URIRef("http://rdfs.org/ns/void#Dataset")) in graph
    assert client.get("/dataset", headers={"Accept": "text/html"}).mimetype == "text/html"
    context = client.get("/context.jsonld")
    assert context.mimetype == "application/ld+json"
    assert context.data == context_document() == STATIC_CONTEXT.read_bytes()


def test_home_page_links_and_picture(client: FlaskClient) -> None:
    """The home page explains the graph, draws the model and links to every entry point."""
    page = client.get("/").get_data(as_text=True)
    for target in ("/evidence", "/sparql", "/queries", "/downloads", "/.well-known/void"):
        assert f'href="{target}"' in page, target
    assert "<svg" in page and ">Disease</text>" in page
    assert "hasPhenotype" in page  # an arrow label taken from the ontology
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main  # the picture needs no JavaScript (the site search's is after)


def test_live_server_turtle(live_server: object) -> None:
    """A real server answers an IRI with Turtle for `Accept: text/turtle` (urllib, no client)."""
    url = live_server.url + "/id/disease/als"  # type: ignore[attr-defined]
    request = urllib.request.Request(url, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/turtle"
        assert "Accept" in response.headers["Vary"]
        body = response.read()
    graph = Graph()
    graph.parse(data=body, format="turtle")
    assert (ALS_IRI, RDF.type, ALS.Disease) in graph


def test_model_picture_follows_the_ontology(dataset: Dataset) -> None:
    """The diagram is drawn from the ontology: every class and every property arrow appears."""
    from alskg.web.diagram import model_svg
    from alskg.web.diagram_model import read_model

    ontology = Graph()
    for triple in dataset.graph(URIRef(graph_iri("ontology"))):
        ontology.add(triple)
    model = read_model(ontology)
    svg = model_svg(ontology)
    classes = {str(c) for c in ontology.subjects(RDF.type, OWL.Class)
               if isinstance(c, URIRef) and str(c).startswith(str(ALS))}
    assert set(model.boxes) | {str(ALS) + d for d in model.defined} == classes
    for box in model.boxes.values():
        assert re.search(rf">{box.name}(<tspan|</text>)", svg), box.name
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        name = str(prop).rsplit("#", 1)[-1]
        assert name in svg or any(name in text for text in model.loose), name
    assert model_svg(ontology) == svg  # deterministic

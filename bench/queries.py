"""The benchmark's queries: the same text sent to every server and engine (PREFIX lines included,
since the peers do not pre-declare alskg's prefixes)."""

from __future__ import annotations

PREFIXES = """PREFIX als: <https://w3id.org/alskg/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

# The ALS graph, over HTTP: (key, form, text).
HTTP_QUERIES: list[tuple[str, str, str]] = [
    ("lookup", "SELECT", PREFIXES + """SELECT ?label WHERE {
  <https://w3id.org/alskg/id/disease/als> rdfs:label ?label }"""),
    ("join-2hop", "SELECT", PREFIXES + """SELECT ?claim ?intervention ?label WHERE {
  ?claim als:aboutIntervention ?intervention . ?intervention rdfs:label ?label }"""),
    ("join-3hop", "SELECT", PREFIXES + """SELECT ?study ?claim ?status WHERE {
  ?study als:investigates ?intervention .
  ?claim als:aboutIntervention ?intervention ; als:status ?s . ?s rdfs:label ?status }"""),
    ("aggregate", "SELECT", PREFIXES + """SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type }
GROUP BY ?type ORDER BY DESC(?n)"""),
    ("property-path", "SELECT", PREFIXES + """SELECT ?class ?super WHERE {
  ?class rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }"""),
    ("construct", "CONSTRUCT", PREFIXES + """CONSTRUCT { ?drug als:treats ?d ; rdfs:label ?l }
WHERE { ?drug als:treats ?d ; rdfs:label ?l }"""),
]

# Large answers (>= 1,000 rows or triples), with the media type asked: (key, form, text, accept).
# The two-hop join pairs every statement with the statements about its object (all rows fit
# alskg's default 10,000-row cap, so every server sends the same rows).
TWO_HOP_ALL = "SELECT ?s ?p ?o ?q ?x WHERE { ?s ?p ?o . ?o ?q ?x }"
LARGE_QUERIES: list[tuple[str, str, str, str]] = [
    ("join-2hop-1000 json", "SELECT", TWO_HOP_ALL + " LIMIT 1000",
     "application/sparql-results+json"),
    ("join-2hop-1000 csv", "SELECT", TWO_HOP_ALL + " LIMIT 1000", "text/csv"),
    ("join-2hop-all json", "SELECT", TWO_HOP_ALL, "application/sparql-results+json"),
    ("join-2hop-all csv", "SELECT", TWO_HOP_ALL, "text/csv"),
    ("construct-all turtle", "CONSTRUCT", "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle"),
    ("construct-all ntriples", "CONSTRUCT", "CONSTRUCT WHERE { ?s ?p ?o }",
     "application/n-triples"),
]

# Named queries (queries/*.rq) sent as text to every server: "researcher queries".
NAMED_FOR_HTTP = ("approved-drugs", "studies-by-group")

# The synthetic graphs, on the embedded engine.
SCALE_QUERIES: list[tuple[str, str]] = [
    ("lookup", PREFIXES + """SELECT ?label WHERE {
  <https://w3id.org/alskg/id/intervention/i42> rdfs:label ?label }"""),
    # Anchored 3 hops: the publications and labels of the studies of one intervention.
    ("3hop-anchored", PREFIXES + """SELECT ?study ?pub ?label WHERE {
  ?study als:investigates <https://w3id.org/alskg/id/intervention/i42> .
  ?study als:reportedIn ?pub . ?pub rdfs:label ?label }"""),
    # Unanchored 3-hop join over the whole graph, aggregated (small answer, full join).
    ("3hop-join-count", PREFIXES + """SELECT ?status (COUNT(*) AS ?n) WHERE {
  ?study als:investigates ?i . ?claim als:aboutIntervention ?i ; als:status ?status }
GROUP BY ?status"""),
    ("aggregate", PREFIXES + """SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type }
GROUP BY ?type"""),
]

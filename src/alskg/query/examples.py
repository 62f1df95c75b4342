"""The named queries published as SHACL SPARQL executables (the SIB / UniProt convention).

Each query `queries/NN-name.rq` becomes `<{base}id/query/name>`, typed sh:SPARQLExecutable and
sh:SPARQL{Select,Construct,Ask}Executable, with rdfs:comment, the query text (grlc headers
removed, PREFIX lines added for every prefix it uses) in sh:select / sh:construct / sh:ask,
schema:target the endpoint and schema:keywords its tags. The graph goes into the meta graph at
build time and is served at /.well-known/sparql-examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..curation.namespaces import DEFAULT_BASE, SCHEMA, SH, prefixes
from .catalog import NamedQuery, load_catalog
from .sparqltext import masked, query_form

PREFIXES_NODE = "id/query/prefixes"
_PNAME = re.compile(r"(?<![\w?$<.\-:])([A-Za-z][\w\-.]*)?:")
_DECLARED = re.compile(r"PREFIX\s+([A-Za-z][\w\-.]*)?:", re.IGNORECASE)
_FORM_TERMS = {"SELECT": ("SPARQLSelectExecutable", "select"),
               "CONSTRUCT": ("SPARQLConstructExecutable", "construct"),
               "ASK": ("SPARQLAskExecutable", "ask"),
               "DESCRIBE": ("SPARQLExecutable", "describe")}


def query_iri(name: str, base: str = DEFAULT_BASE) -> URIRef:
    """Return the IRI of a published named query: `{base}id/query/<name>`."""
    return URIRef(f"{base}id/query/{name}")


def endpoint_iri(base: str = DEFAULT_BASE) -> URIRef:
    """Return the SPARQL endpoint IRI the examples target: `{base}sparql`."""
    return URIRef(f"{base}sparql")


def used_prefixes(text: str, table: dict[str, str]) -> list[str]:
    """Return the known prefixes a query uses but does not declare, in alphabetical order."""
    blank = masked(text)
    declared = {m.group(1) or "" for m in _DECLARED.finditer(blank)}
    found = {m.group(1) or "" for m in _PNAME.finditer(blank)}
    return sorted(p for p in found - declared if p in table)


def body_text(query: NamedQuery) -> str:
    """Return the query text without its `#+` header lines."""
    lines = query.text.splitlines()
    while lines and (lines[0].startswith("#+") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


def published_text(query: NamedQuery, base: str = DEFAULT_BASE) -> str:
    """Return the query text as published: PREFIX lines for every prefix used, then the body."""
    table = prefixes(base)
    body = body_text(query)
    lines = [f"PREFIX {p}: <{table[p]}>" for p in used_prefixes(body, table)]
    return ("\n".join(lines) + "\n\n" if lines else "") + body


def examples_graph(catalog: Sequence[NamedQuery] | None = None,
                   base: str = DEFAULT_BASE) -> Graph:
    """Return the named queries as sh:SPARQLExecutable resources."""
    queries = load_catalog() if catalog is None else catalog
    table = prefixes(base)
    graph = Graph()
    for prefix, iri in (("sh", SH), ("schema", SCHEMA), ("rdfs", RDFS), ("owl", OWL),
                        ("xsd", XSD)):
        graph.bind(prefix, iri)
    holder = URIRef(base + PREFIXES_NODE)
    graph.add((holder, RDF.type, OWL.Ontology))
    graph.add((holder, RDFS.label, Literal("prefixes used by the alskg example queries", "en")))
    used: set[str] = set()
    for query in queries:
        form = query_form(query.text) or "SELECT"
        class_name, predicate = _FORM_TERMS[form]
        node = query_iri(query.name, base)
        body = body_text(query)
        used.update(used_prefixes(body, table))
        graph.add((node, RDF.type, SH.SPARQLExecutable))
        graph.add((node, RDF.type, SH[class_name]))
        graph.add((node, RDFS.label, Literal(query.summary, lang="en")))
        graph.add((node, RDFS.comment, Literal(query.description or query.summary, lang="en")))
        graph.add((node, SH[predicate], Literal(published_text(query, base))))
        graph.add((node, SH.prefixes, holder))
        graph.add((node, SCHEMA.target, endpoint_iri(base)))
        graph.add((node, SCHEMA.identifier, Literal(query.name)))
        graph.add((node, RDFS.seeAlso, URIRef(f"{base}queries/{query.name}")))
        for tag in query.tags:
            graph.add((node, SCHEMA.keywords, Literal(tag)))
    for prefix in sorted(used):
        declaration = BNode(f"prefix-{prefix}")
        graph.add((holder, SH.declare, declaration))
        graph.add((declaration, SH.prefix, Literal(prefix)))
        graph.add((declaration, SH.namespace, Literal(table[prefix], datatype=XSD.anyURI)))
    return graph

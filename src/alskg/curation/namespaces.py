"""The IRIs and prefixes of the graph: base, vocabulary, resource kinds, named graphs."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DEFAULT_BASE = "https://w3id.org/alskg/"

ALS = Namespace(DEFAULT_BASE + "vocab#")
OBO = Namespace("http://purl.obolibrary.org/obo/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SCHEMA = Namespace("https://schema.org/")

RESOURCE_KINDS = (
    "disease", "phenotype", "association", "anatomy", "cell", "intervention", "route", "study",
    "publication", "claim", "hypothesis", "aspect", "status", "qualifier", "design", "effect",
    "regulatory", "agency", "agent", "discrepancy", "evidence-level", "regulatory-action",
    "dataset", "sponsor", "outcome", "modality", "check", "contested", "approval", "unresolved",
)


def graph_iri(name: str, base: str = DEFAULT_BASE) -> str:
    """Return the IRI of named graph `name` (ontology, asserted, inferred, meta, explanations)."""
    return f"{base}graph/{name}"


GRAPH_NAMES = ("ontology", "asserted", "inferred", "explanations", "meta")


def prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Return the prefixes pre-declared for every query (users may omit PREFIX lines)."""
    table = {
        "rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL), "xsd": str(XSD),
        "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV),
        "sh": str(SH), "void": str(VOID), "schema": str(SCHEMA), "obo": str(OBO),
        "als": base + "vocab#",
        "MONDO": str(OBO) + "MONDO_", "HP": str(OBO) + "HP_", "CL": str(OBO) + "CL_",
        "UBERON": str(OBO) + "UBERON_", "GO": str(OBO) + "GO_", "CHEBI": str(OBO) + "CHEBI_",
        "ECO": str(OBO) + "ECO_", "NCIT": str(OBO) + "NCIT_", "DOID": str(OBO) + "DOID_",
        "RO": str(OBO) + "RO_", "BFO": str(OBO) + "BFO_",
    }
    for kind in RESOURCE_KINDS:
        table[kind] = f"{base}id/{kind}/"
    return table

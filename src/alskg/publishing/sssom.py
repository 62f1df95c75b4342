"""SSSOM mapping table of the graph's entities to external identifiers, and the CURIE rules
(external IRI <-> CURIE, registry names) that the KGX export and the resource pages share.

The table holds every `skos:exactMatch` and `skos:closeMatch` from the ontology and the asserted
data whose subject is one of ours (`https://w3id.org/alskg/id/...`), one row each, sorted, with the
SSSOM metadata block (`curie_map`, `mapping_set_id`, `license`, `creator_id`) as `#`-prefixed YAML.
Every mapping was curated by hand, so each row's justification is semapv:ManualMappingCuration.
Each row's `confidence` states how well the identifier was verified, from the confidence column of
`ontology/identifiers.tsv` (CONFIDENCE: V and V-off 0.95, M 0.8, W 0.6); a mapping is kept exact
when the concepts are the same and its confidence says how sure the curators are of the id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from ..curation.namespaces import DEFAULT_BASE

OBO_PURL = "http://purl.obolibrary.org/obo/"
_OBO = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z][A-Za-z0-9]*)_([^/#]+)$")
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
AUTHOR_ID = "infores:alskg"
JUSTIFICATION = "semapv:ManualMappingCuration"
SSSOM_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id",
                 "mapping_justification", "author_id", "confidence")
CONFIDENCE = {"V": "0.95", "V-off": "0.95", "M": "0.8", "W": "0.6"}
SSSOM_PREDICATES = {str(SKOS.exactMatch): "skos:exactMatch",
                    str(SKOS.closeMatch): "skos:closeMatch"}
BUILTIN_PREFIXES = {
    "skos": str(SKOS),
    "semapv": "https://w3id.org/semapv/vocab/",
    "infores": "https://w3id.org/biolink/infores/",
}


@dataclass(frozen=True)
class Registry:
    """An external identifier scheme: its IRI namespace, CURIE prefix and display name."""

    namespace: str
    prefix: str
    name: str


# Non-OBO registries, in the IRI forms docs/data-model.md prescribes (and common alternatives).
REGISTRIES = (
    Registry("https://doi.org/", "doi", "DOI"),
    Registry("https://identifiers.org/pubmed:", "PMID", "PubMed"),
    Registry("http://www.ncbi.nlm.nih.gov/pubmed/", "PMID", "PubMed"),
    Registry("https://pubmed.ncbi.nlm.nih.gov/", "PMID", "PubMed"),
    Registry("https://go.drugbank.com/drugs/", "DRUGBANK", "DrugBank"),
    Registry("http://identifiers.org/drugbank/", "DRUGBANK", "DrugBank"),
    Registry("http://id.nlm.nih.gov/mesh/", "MESH", "MeSH"),
    Registry("http://www.orpha.net/ORDO/", "ORDO", "Orphanet"),
    Registry("https://clinicaltrials.gov/study/", "clinicaltrials", "ClinicalTrials.gov"),
    Registry("https://www.omim.org/entry/", "OMIM", "OMIM"),
)
OBO_NAMES = {"MONDO": "MONDO", "DOID": "Disease Ontology", "HP": "HPO", "CL": "Cell Ontology",
             "UBERON": "Uberon", "GO": "Gene Ontology", "CHEBI": "ChEBI", "ECO": "ECO",
             "NCIT": "NCI Thesaurus", "RO": "RO", "BFO": "BFO"}


@dataclass(frozen=True)
class ExternalId:
    """An external identifier: its CURIE, prefix, the namespace the prefix expands to, registry."""

    curie: str
    prefix: str
    namespace: str
    registry: str


def external_id(iri: str) -> ExternalId | None:
    """Return the CURIE and registry of an external IRI we know (OBO PURLs, DOI, ...), else None."""
    match = _OBO.match(iri)
    if match:
        prefix = match.group(1)
        return ExternalId(f"{prefix}:{match.group(2)}", prefix, f"{OBO_PURL}{prefix}_",
                          OBO_NAMES.get(prefix, f"OBO {prefix}"))
    for registry in REGISTRIES:
        if iri.startswith(registry.namespace) and len(iri) > len(registry.namespace):
            return ExternalId(f"{registry.prefix}:{iri[len(registry.namespace):]}",
                              registry.prefix, _preferred(registry.prefix), registry.name)
    return None


def _preferred(prefix: str) -> str:
    return next(r.namespace for r in REGISTRIES if r.prefix == prefix)


def local_curie(iri: str, base: str = DEFAULT_BASE) -> str | None:
    """Return `alskg:<kind>/<slug>` for one of our resource IRIs, else None."""
    root = base + "id/"
    if iri.startswith(root) and len(iri) > len(root):
        return "alskg:" + iri[len(root):]
    return None


@dataclass(frozen=True)
class MappingRow:
    """One SSSOM row."""

    subject_id: str
    subject_label: str
    predicate_id: str
    object_id: str
    object_namespace: str


def mappings(graphs: Mapping[str, Graph], base: str = DEFAULT_BASE) -> list[MappingRow]:
    """Return the mapping rows from the ontology and asserted graphs, sorted."""
    rows: set[MappingRow] = set()
    sources = [graphs[name] for name in ("ontology", "asserted") if name in graphs]
    for graph in sources:
        for predicate, predicate_id in SSSOM_PREDICATES.items():
            for s, o in graph.subject_objects(URIRef(predicate)):
                subject = local_curie(str(s), base)
                found = external_id(str(o)) if isinstance(o, URIRef) else None
                if subject is None or found is None:
                    continue
                rows.add(MappingRow(subject, _label(sources, s), predicate_id, found.curie,
                                  found.namespace))
    return sorted(rows, key=lambda r: (r.subject_id, r.predicate_id, r.object_id))


def _label(graphs: list[Graph], node: object) -> str:
    for graph in graphs:
        for value in graph.objects(node, RDFS.label):  # type: ignore[arg-type]
            if isinstance(value, Literal):
                return str(value)
    return ""


def _tsv_cell(text: str) -> str:
    return " ".join(text.split())


def confidence_of(curie: str) -> str:
    """Return the SSSOM confidence of an external CURIE from the verified identifier table."""
    from ..curation import paths as resources
    from ..curation.validate import iri_to_curie, verified_ids

    table = verified_ids(resources.ontology_dir() / "identifiers.tsv")
    prefix, _, local = curie.partition(":")
    namespace = next((r.namespace for r in REGISTRIES if r.prefix == prefix), None)
    key = iri_to_curie(namespace + local) if namespace else curie
    row = table.get(key or curie)
    if row is None and prefix == "HP":
        return CONFIDENCE["V-off"]  # every HP id is checked against the HPO shipped in hpo3
    return CONFIDENCE.get(row.confidence, "") if row else ""


def sssom_table(graphs: Mapping[str, Graph], version: str, base: str = DEFAULT_BASE) -> bytes:
    """Return `mappings.sssom.tsv`: the YAML metadata block, then the header and sorted rows."""
    rows = mappings(graphs, base)
    used = {"alskg": base + "id/", **BUILTIN_PREFIXES}
    for row in rows:
        used[row.object_id.split(":", 1)[0]] = row.object_namespace
    meta = [
        "curie_map:",
        *(f"  {prefix}: \"{iri}\"" for prefix, iri in sorted(used.items())),
        f"mapping_set_id: \"{base}downloads/mappings.sssom.tsv\"",
        f"mapping_set_version: {version}",
        "mapping_set_title: alskg mappings of ALS knowledge graph entities to external identifiers",
        "mapping_set_description: Hand-curated skos:exactMatch and skos:closeMatch links from "
        "the alskg ontology and data to OBO ontologies, DOI, PubMed, DrugBank, MeSH and Orphanet.",
        f"license: \"{LICENSE}\"",
        "creator_id:",
        f"  - {AUTHOR_ID}",
    ]
    lines = [f"# {line}" for line in meta]
    lines.append("\t".join(SSSOM_COLUMNS))
    for row in rows:
        lines.append("\t".join((row.subject_id, _tsv_cell(row.subject_label), row.predicate_id,
                                row.object_id, JUSTIFICATION, AUTHOR_ID,
                                confidence_of(row.object_id))))
    return ("\n".join(lines) + "\n").encode("utf-8")

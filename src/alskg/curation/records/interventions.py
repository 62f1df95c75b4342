"""Intervention records (data/interventions.yaml): the therapies of the landscape, one block each.

A record gives the generic name, every brand, code and other name seen (`skos:altLabel`), the
modality (which also picks the class: a drug, a cell therapy, a vesicle therapy …), the gene or
ALS subtype it targets where a source says so, and identifiers verified next to the name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ..namespaces import ALS
from .fields import (
    Block,
    RecordWriter,
    as_list,
    check_fields,
    iri,
    known_reference,
    write_checked,
)

# Modality → the class an intervention of that modality belongs to.
MODALITY_CLASSES: dict[str, URIRef] = {
    "small-molecule": ALS.Drug, "antisense-oligonucleotide": ALS.Drug, "protein": ALS.Drug,
    "antibody": ALS.Drug, "combination": ALS.Drug, "supplement": ALS.Drug, "nanoparticle": ALS.Drug,
    "gene-therapy": ALS.GeneTherapy, "cell-therapy": ALS.CellTherapy,
    "vesicle-therapy": ALS.ExtracellularVesicleTherapy,
}
CURIE_FORMS = {
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_", "NCIT": "http://purl.obolibrary.org/obo/NCIT_",
    "DRUGBANK": "https://go.drugbank.com/drugs/", "MESH": "http://id.nlm.nih.gov/mesh/",
}
FACTS: dict[str, URIRef] = {"label": RDFS.label, "names": SKOS.altLabel, "modality": ALS.modality,
                            "targets": ALS.targetsGene, "identifiers": SKOS.exactMatch}
SOURCED = ("names", "targets")
FIELDS = (*FACTS, "id", "studied_for", "kind_of", "description", "notes", "checked", "curated")


def write_intervention(writer: RecordWriter, block: Block, known: set[URIRef],
                       defaults: Mapping[str, Any]) -> URIRef | None:
    """Write one intervention record; return its IRI."""
    slug = str(block.get("id", ""))
    if not slug:
        writer.problem(block.line, "?", "record-id", "an intervention record needs an `id` slug")
        return None
    node = iri("intervention", slug)
    line = block.line
    check_fields(writer, block, node, FIELDS)
    modality = str(block.get("modality", ""))
    cls = MODALITY_CLASSES.get(modality)
    if cls is None:
        writer.problem(line, node, "scheme-value",
                       f"modality {modality!r} is not in its scheme; expected one of "
                       f"{', '.join(MODALITY_CLASSES)}")
        cls = ALS.Intervention
    writer.add(node, RDF.type, cls, line)
    writer.add(node, ALS.modality, iri("modality", modality or "unknown"), line)
    writer.text(node, RDFS.label, block.get("label") or slug, line, lang=None)
    for name in as_list(block.get("names")):
        writer.text(node, SKOS.altLabel, name, line, lang=None)
    for gene in as_list(block.get("targets")):
        writer.text(node, ALS.targetsGene, gene, line, lang=None)
    for disease in as_list(block.get("studied_for") or "als"):
        writer.add(node, ALS.studiedFor,
                   known_reference(writer, line, node, "studied_for", str(disease), known,
                                   "disease"), line)
    for broader in as_list(block.get("kind_of")):
        writer.add(node, ALS.kindOf, known_reference(writer, line, node, "kind_of", str(broader),
                                                      known, "intervention"), line)
    for entry in as_list(block.get("identifiers")):
        curie = str(entry.get("id", "")) if isinstance(entry, Mapping) else str(entry)
        prefix, _, local = curie.partition(":")
        form = CURIE_FORMS.get(prefix.upper())
        if form is None or not local:
            writer.problem(getattr(entry, "line", line), node, "identifier-form",
                           f"identifier {curie!r} is not one of {', '.join(CURIE_FORMS)}:<id>")
            continue
        writer.add(node, SKOS.exactMatch, URIRef(form + local), line)
    writer.text(node, DCTERMS.description, block.get("description"), line)
    writer.text(node, SKOS.editorialNote, block.get("notes"), line)
    write_checked(writer, block, node, "intervention", FACTS, SOURCED)
    writer.attribution(node, block, defaults)
    return node

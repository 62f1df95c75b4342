"""A publication given inside a study record: its citation, dates and verified identifiers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ..namespaces import ALS
from .fields import Block, DateValue, RecordWriter, as_list, iri, parse_date

FIELDS = ("id", "label", "citation", "title", "authors", "date", "doi", "pmid", "pmcid", "url",
          "secondary", "curated")
IDENTIFIER_FORMS = (("doi", "https://doi.org/"), ("pmid", "https://identifiers.org/pubmed:"))


def write_publication(writer: RecordWriter, block: Block, default_id: str,
                      defaults: Mapping[str, Any]) -> tuple[URIRef, DateValue | None]:
    """Write one publication; return its IRI and its issue date (None when not given)."""
    slug = str(block.get("id") or default_id)
    node = iri("publication", slug)
    line = block.line
    for name in block:
        if name not in FIELDS:
            writer.problem(line, node, "unknown-field",
                           f"publication field {name!r} is unknown; expected one of "
                           f"{', '.join(FIELDS)}")
    writer.add(node, RDF.type, ALS.Publication, line)
    citation = block.get("citation")
    label = block.get("label") or block.get("title") or citation or slug
    writer.text(node, RDFS.label, label, line, lang=None)
    writer.text(node, DCTERMS.title, block.get("title"), line, lang=None)
    writer.text(node, DCTERMS.bibliographicCitation, citation, line, lang=None)
    for author in as_list(block.get("authors")):
        writer.text(node, DCTERMS.creator, author, line, lang=None)
    issued = parse_date(block.get("date")) if block.get("date") is not None else None
    if block.get("date") is not None and issued is None:
        writer.problem(line, node, "date-format",
                       f"publication date {block.get('date')!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if issued is not None:
        writer.add(node, DCTERMS.issued, issued.literal, line)
    for name, prefix in IDENTIFIER_FORMS:
        value = block.get(name)
        if value is not None:
            writer.add(node, SKOS.exactMatch, URIRef(prefix + str(value).strip()), line)
    if block.get("pmcid"):
        writer.text(node, ALS.pmcid, block["pmcid"], line, lang=None)
    url = str(block.get("url", "")).strip()
    if url.startswith(("http://", "https://")):
        writer.add(node, ALS.checkedAgainst, URIRef(url), line)
        if block.get("secondary") is True:
            writer.add(node, ALS.fromSecondarySource, Literal(True), line)
    else:
        writer.problem(line, node, "record-source",
                       "a publication needs `url`, the page that showed its details")
    writer.attribution(node, block, defaults)
    return node, issued


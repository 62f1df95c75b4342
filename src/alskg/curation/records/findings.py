"""The study finding a trial's primary outcome makes: one claim per trial that met or missed it.

A study record with `outcome: met` or `not-met` and an `endpoint_aspect` (what the primary endpoint
measures) gets a claim `claim/<intervention>-<aspect>--<study>`: the aspect is *supported* when the
endpoint was met and *not shown* when it was missed, dated when the result became public,
attributed to the curators, typed as clinical study evidence (ECO:0000180) and sourced to the
study's report (or, before any report, to the page that showed the result), whose statement is
the record's own-words result. A claim the Turtle
files already make from the same study about the same aspect is not repeated.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS
from rdflib.term import Node

from ..namespaces import ALS, OBO
from .fields import CURATORS, Block, RecordWriter, as_list, day_literal, iri, parse_date

STATUS_OF_OUTCOME = {"met": "supported", "not-met": "not-shown"}
CLINICAL_STUDY_EVIDENCE = OBO["ECO_0000180"]


def write_finding(writer: RecordWriter, block: Block, study: URIRef,
                  curated: Callable[[URIRef, URIRef], bool],
                  label_of: Callable[[Node], str]) -> None:
    """Write the study finding of a trial that met or missed its primary endpoint, if any."""
    outcome = str(block.get("outcome", ""))
    aspect_slug = block.get("endpoint_aspect")
    public = parse_date(block.get("result_public"))
    if outcome not in STATUS_OF_OUTCOME or aspect_slug is None or public is None:
        return
    aspect = iri("aspect", str(aspect_slug))
    if curated(study, aspect):
        return
    status_slug = STATUS_OF_OUTCOME[outcome]
    status = iri("status", status_slug)
    source = _source(writer, block, study, label_of)
    line = block.line
    condition = iri("disease", str(block.get("population") or "als"))
    study_slug = str(study).rsplit("/", 1)[-1]
    for given in as_list(block.get("interventions")):
        intervention = iri("intervention", str(given))
        claim = iri("claim", f"{given}-{aspect_slug}--{study_slug}")
        writer.add(claim, RDF.type, ALS.Claim, line)
        writer.add(claim, RDF.type, ALS.StudyFinding, line)
        label = (f"{label_of(intervention)}: {label_of(aspect)} {label_of(status)} "
                 f"({label_of(study)})")
        writer.add(claim, RDFS.label, Literal(label), line)
        writer.add(claim, ALS.aboutIntervention, intervention, line)
        writer.add(claim, ALS.aboutCondition, condition, line)
        writer.add(claim, ALS.aspect, aspect, line)
        writer.add(claim, ALS.status, status, line)
        writer.add(claim, ALS.supportedByStudy, study, line)
        writer.add(claim, ALS.evidenceType, CLINICAL_STUDY_EVIDENCE, line)
        writer.add(claim, DCTERMS.source, source, line)
        writer.add(claim, DCTERMS.date, public.literal, line)
        writer.add(claim, ALS.validFrom, day_literal(public.day), line)
        writer.add(claim, PROV.wasAttributedTo, CURATORS, line)
        writer.add(claim, ALS.fromTrialOutcome, Literal(True), line)
        writer.add(claim, PROV.hadPrimarySource, source, line)
        said = "met" if outcome == "met" else "not met"
        endpoint = block.get("primary_endpoint", "not recorded")
        writer.text(claim, DCTERMS.description, f"Drawn from the trial's primary outcome ({said});"
                    f" primary endpoint: {endpoint}", line)
        writer.text(claim, ALS.sourceStatement, block.get("result")
                    or f"Primary endpoint {said}: {endpoint}", line)


def _source(writer: RecordWriter, block: Block, study: URIRef,
            label_of: Callable[[Node], str]) -> URIRef:
    """Return the study's first report, else a publication node for the page showing the result."""
    for ref in as_list(block.get("reported_in")):
        return iri("publication", str(ref))
    for number, publication in enumerate(as_list(block.get("publications")), start=1):
        if isinstance(publication, Block):
            default = str(study).rsplit("/", 1)[-1] + "-report" + ("" if number == 1
                                                                    else f"-{number}")
            return iri("publication", str(publication.get("id") or default))
    pages = [c for c in as_list(block.get("checked")) if isinstance(c, Block)]
    page = next((str(c.get("url")) for c in pages
                 if {"result", "outcome"} & set(as_list(c.get("facts")))), None)
    node = iri("publication", str(study).rsplit("/", 1)[-1] + "-result-page")
    writer.add(node, RDF.type, ALS.Publication, block.line)
    writer.add(node, RDFS.label, Literal(f"{label_of(study)}: the page that reported the result"),
               block.line)
    if page:
        writer.add(node, ALS.checkedAgainst, URIRef(page), block.line)
        writer.add(node, DCTERMS.bibliographicCitation, Literal(page), block.line)
    return node

"""Study records (data/studies.yaml): one YAML block per trial or study, turned into RDF.

The field → RDF template is documented in docs/curation.md; in short: design facts on three axes
(allocation, blinding, control) plus phase become `als:design` / `als:phase` concepts; the number of
participants names what it counts (randomised, enrolled or planned); the primary outcome is one of
met / not met / contested / ongoing / terminated (`als:primaryOutcome`; no triple = not recorded);
the result's public date (`result_public`, topline) is kept apart from its publications' dates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..namespaces import ALS
from .fields import (
    Block,
    RecordWriter,
    as_list,
    check_fields,
    day_literal,
    iri,
    known_reference,
    parse_date,
    scheme_value,
    write_checked,
    write_disagreements,
    write_sponsor,
)
from .findings import write_finding
from .publications import write_publication


def _concepts(kind: str, pairs: Mapping[str, str]) -> dict[str, URIRef]:
    return {value: iri(kind, slug) for value, slug in pairs.items()}


PHASES = _concepts("design", {p: p for p in (
    "phase-1", "phase-1-2", "phase-2", "phase-2-3", "phase-3", "phase-3b", "phase-4")})
ALLOCATION = _concepts("design", {"randomised": "randomised", "non-randomised": "non-randomised",
                                  "single-group": "single-arm"})
BLINDING = _concepts("design", {"double-blind": "double-blind", "single-blind": "single-blind",
                                "open-label": "open-label"})
CONTROL = _concepts("design", {
    "placebo": "placebo-controlled", "active": "active-controlled",
    "dose-comparison": "dose-comparison", "standard-care": "standard-care-controlled",
    "untreated": "untreated-controlled", "controlled": "controlled", "none": "uncontrolled"})
OTHER_DESIGNS = _concepts("design", {"case-report": "case-report"})
OUTCOMES = _concepts("outcome", {o: o for o in (
    "met", "not-met", "contested", "ongoing", "terminated")})
PARTICIPANT_PROPERTIES = {"randomised": ALS.participantsRandomised,
                          "enrolled": ALS.participantsEnrolled,
                          "planned": ALS.participantsPlanned}

# Facts a checked page can back, with the property each one is written as.
FACTS: dict[str, URIRef] = {
    "interventions": ALS.investigates, "population": ALS.population, "sponsor": ALS.sponsor,
    "registry": ALS.trialRegistration, "phase": ALS.phase, "allocation": ALS.design,
    "blinding": ALS.design, "control": ALS.design, "design": ALS.design,
    "participants": ALS.sampleSize, "als_participants": ALS.alsParticipants,
    "primary_endpoint": ALS.primaryEndpoint, "outcome": ALS.primaryOutcome,
    "result_public": ALS.resultDate, "result": ALS.keyOutcome, "routes": ALS.route,
    "year": ALS.year, "group": ALS.studyGroup, "publication": ALS.reportedIn,
}
# Facts that must be backed by a checked page when recorded.
SOURCED = ("registry", "phase", "allocation", "blinding", "control", "design", "participants",
           "als_participants", "primary_endpoint", "outcome", "result_public", "result", "routes",
           "sponsor")
FIELDS = (*FACTS, "id", "label", "names", "background", "participants_kind", "endpoint_aspect",
          "reported_outcomes", "publications", "reported_in", "cited_by", "referenced_by",
          "citation_text", "description", "notes", "checked", "disagreements", "curated")
NEEDS_ENDPOINT = ("met", "not-met", "contested")
NCT_PAGE = "https://clinicaltrials.gov/study/"


def write_study(writer: RecordWriter, block: Block, known: set[URIRef],
                defaults: Mapping[str, Any], curated: Callable[[URIRef, URIRef], bool],
                label_of: Callable[[Node], str],
                issued_year: Callable[[URIRef], int | None] = lambda _: None) -> URIRef | None:
    """Write one study record and its finding; return its IRI (None without a usable id).

    `curated(study, aspect)` tells whether the Turtle claims already hold a study finding of the
    study about the aspect; `label_of` names a resource for the finding's label; `issued_year`
    dates a publication of the Turtle files (a study with no year of its own and no public result
    takes its earliest report's).
    """
    slug = str(block.get("id", ""))
    node = iri("study", slug)
    if not slug or "/" in slug:
        writer.problem(block.line, slug or "?", "record-id", "a study record needs an `id` slug")
        return None
    line = block.line
    check_fields(writer, block, node, FIELDS)
    writer.add(node, RDF.type, ALS.Study, line)
    writer.text(node, RDFS.label, block.get("label") or slug, line, lang=None)
    for name in as_list(block.get("names")):
        writer.text(node, SKOS.altLabel, name, line, lang=None)
    interventions = as_list(block.get("interventions"))
    if not interventions:
        writer.problem(line, node, "study-intervention",
                       "a study record needs `interventions`, what its experimental arm was given")
    for slug_given in interventions:
        target = known_reference(writer, line, node, "intervention", str(slug_given), known,
                                 "intervention")
        writer.add(node, ALS.investigates, target, line)
    for slug_given in as_list(block.get("background")):
        target = known_reference(writer, line, node, "background therapy", str(slug_given), known,
                                 "intervention")
        if str(slug_given) in map(str, interventions):
            writer.problem(line, node, "background-therapy",
                           f"{slug_given!r} is both tested and background; a treatment every arm "
                           "receives belongs in `background` only")
        writer.add(node, ALS.backgroundTherapy, target, line)
    population = block.get("population")
    if population is not None:
        writer.add(node, ALS.population,
                   known_reference(writer, line, node, "population", str(population), known,
                                   "disease"), line)
    write_sponsor(writer, node, block.get("sponsor"), line)
    group = block.get("group") or block.get("sponsor")
    if group:
        writer.text(node, ALS.studyGroup, group, line, lang=None)
    _write_registry(writer, block, node)
    _write_design(writer, block, node)
    _write_participants(writer, block, node)
    _write_outcome(writer, block, node, known)
    _write_publications(writer, block, node, known, defaults, issued_year)
    for route in as_list(block.get("routes")):
        writer.add(node, ALS.route, known_reference(writer, line, node, "route", str(route), known,
                                                     "route"), line)
    writer.text(node, ALS.citationText, block.get("citation_text"), line, lang=None)
    writer.text(node, DCTERMS.description, block.get("description"), line)
    writer.text(node, SKOS.editorialNote, block.get("notes"), line)
    write_checked(writer, block, node, "study", FACTS, SOURCED)
    write_disagreements(writer, block, node, FACTS)
    writer.attribution(node, block, defaults)
    write_finding(writer, block, node, curated, label_of)
    return node


def _write_registry(writer: RecordWriter, block: Block, node: URIRef) -> None:
    for entry in as_list(block.get("registry")):
        text = str(entry).strip()
        if text.upper().startswith("NCT"):
            writer.add(node, ALS.trialRegistration, URIRef(NCT_PAGE + text.upper()), block.line)
        else:
            writer.text(node, ALS.registryId, text, block.line, lang=None)


def _write_design(writer: RecordWriter, block: Block, node: URIRef) -> None:
    line = block.line
    phase = scheme_value(writer, block, node, "phase", PHASES)
    if phase is not None:
        writer.add(node, ALS.phase, phase, line)
    for name, scheme in (("allocation", ALLOCATION), ("blinding", BLINDING),
                         ("control", CONTROL)):
        concept = scheme_value(writer, block, node, name, scheme)
        if concept is not None:
            writer.add(node, ALS.design, concept, line)
    for value in as_list(block.get("design")):
        concept = OTHER_DESIGNS.get(str(value))
        if concept is None:
            writer.problem(line, node, "scheme-value",
                           f"design {value!r} is not in its scheme; expected one of "
                           f"{', '.join(sorted(OTHER_DESIGNS))} (allocation, blinding and control "
                           "have fields of their own)")
        else:
            writer.add(node, ALS.design, concept, line)


def _write_participants(writer: RecordWriter, block: Block, node: URIRef) -> None:
    line = block.line
    for name, prop in (("participants", None), ("als_participants", ALS.alsParticipants)):
        value = block.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            writer.problem(line, node, "participants",
                           f"{name} must be a whole number of people, not {value!r}")
            continue
        if prop is not None:
            writer.add(node, prop, Literal(value, datatype=XSD.integer), line)
            continue
        kind = str(block.get("participants_kind", ""))
        specific = PARTICIPANT_PROPERTIES.get(kind)
        if specific is None:
            writer.problem(line, node, "participants-kind",
                           "participants_kind must say what the number counts: "
                           f"{', '.join(PARTICIPANT_PROPERTIES)} (got {kind or 'nothing'})")
            continue
        writer.add(node, specific, Literal(value, datatype=XSD.integer), line)
        if kind != "planned":
            writer.add(node, ALS.sampleSize, Literal(value, datatype=XSD.integer), line)


def _write_outcome(writer: RecordWriter, block: Block, node: URIRef, known: set[URIRef]) -> None:
    line = block.line
    writer.text(node, ALS.primaryEndpoint, block.get("primary_endpoint"), line)
    outcome_value = block.get("outcome")
    outcome = scheme_value(writer, block, node, "outcome", OUTCOMES)
    if outcome is not None:
        writer.add(node, ALS.primaryOutcome, outcome, line)
        if outcome_value in ("met", "not-met"):
            writer.add(node, ALS.primaryEndpointMet, Literal(outcome_value == "met"), line)
    disputed = {str(d.get("fact")) for d in as_list(block.get("disagreements"))
                if isinstance(d, Mapping)}
    if outcome_value == "contested" and "outcome" not in disputed:
        writer.problem(line, node, "contested-single-value",
                       "outcome 'contested' needs a disagreement about `outcome` giving each "
                       "source's value")
    if outcome_value in NEEDS_ENDPOINT and not block.get("primary_endpoint"):
        writer.problem(line, node, "outcome-without-endpoint",
                       f"outcome {outcome_value!r} is recorded but the primary endpoint is not "
                       "(field `primary_endpoint`)")
    aspect = block.get("endpoint_aspect")
    if aspect is not None:
        writer.add(node, ALS.endpointAspect,
                   known_reference(writer, line, node, "endpoint_aspect", str(aspect), known,
                                   "aspect"), line)
    for reported in as_list(block.get("reported_outcomes")):
        writer.add(node, ALS.reportedOutcome,
                   known_reference(writer, line, node, "reported outcome", str(reported), known,
                                   "aspect"), line)
    writer.text(node, ALS.keyOutcome, block.get("result"), line)
    public = block.get("result_public")
    if public is not None:
        parsed = parse_date(public)
        if parsed is None:
            writer.problem(line, node, "date-format",
                           f"result_public {public!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        else:
            writer.add(node, ALS.resultPublic, parsed.literal, line)
            writer.add(node, ALS.resultDate, day_literal(parsed.day), line)


def _write_publications(writer: RecordWriter, block: Block, node: URIRef, known: set[URIRef],
                        defaults: Mapping[str, Any],
                        issued_year: Callable[[URIRef], int | None]) -> None:
    line = block.line
    slug = str(node).rsplit("/", 1)[-1]
    inline = as_list(block.get("publications"))
    years: list[int] = []
    for number, publication in enumerate(inline, start=1):
        if not isinstance(publication, Block):
            writer.problem(line, node, "publication", "each publication must be a mapping")
            continue
        default_id = slug + "-report" + ("" if number == 1 else f"-{number}")
        target, issued = write_publication(writer, publication, default_id, defaults)
        writer.add(node, ALS.reportedIn, target, publication.line)
        if issued is not None:
            years.append(issued.day.year)
    for name, prop in (("reported_in", ALS.reportedIn), ("cited_by", ALS.citedBy),
                       ("referenced_by", DCTERMS.isReferencedBy)):
        for ref in as_list(block.get(name)):
            target = known_reference(writer, line, node, "publication", str(ref), known,
                                     "publication")
            writer.add(node, prop, target, line)
            found = issued_year(target) if name == "reported_in" else None
            if found is not None:
                years.append(found)
    year = block.get("year")
    if year is None:
        public = parse_date(block.get("result_public"))
        year = public.day.year if public is not None else (min(years) if years else None)
    if year is not None:
        writer.add(node, ALS.year, Literal(f"{int(year):04d}", datatype=XSD.gYear), line)

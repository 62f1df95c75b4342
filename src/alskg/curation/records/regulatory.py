"""Regulatory records (data/regulatory.yaml): one YAML block per act of a regulator or sponsor.

Each act names the agency of the jurisdiction it concerns (`als:agency`) and who performed it
(`als:actor`: the agency itself, or the sponsor for a market or application withdrawal); the
action's scheme says which kind of actor may perform it (`als:actorKind`), and a mismatch is a
validation problem. `date` keeps the source's precision (dcterms:date); `als:validFrom` is the day
the act took effect (`effective`, else the date, a coarse date counting from its period's end).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

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
    write_checked,
    write_disagreements,
    write_sponsor,
)

FACTS: dict[str, URIRef] = {
    "agency": ALS.agency, "actor": ALS.actor, "sponsor": ALS.sponsor, "action": ALS.action,
    "intervention": ALS.regulates, "product": ALS.product, "indication": ALS.indication,
    "date": DCTERMS.date, "effective": ALS.validFrom, "basis": ALS.basis,
    "basis_trials": ALS.basisStudy, "ends": ALS.ends, "vote": ALS.votesYes,
}
SOURCED = ("action", "date", "effective", "basis", "vote", "product")
FIELDS = (*FACTS, "id", "label", "description", "notes", "checked", "disagreements", "curated")
VOTE_FIELDS = {"yes": ALS.votesYes, "no": ALS.votesNo, "abstain": ALS.abstentions}
ACTOR_KINDS = {"agency": ALS.Agency, "sponsor": ALS.Sponsor}


def write_event(writer: RecordWriter, block: Block, known: set[URIRef],
                actions: Mapping[str, URIRef | None], label_of: Callable[[URIRef], str],
                defaults: Mapping[str, Any]) -> URIRef | None:
    """Write one regulatory record; `actions` maps action slugs to the actor class they need."""
    slug = str(block.get("id", ""))
    if not slug:
        writer.problem(block.line, "?", "record-id", "a regulatory record needs an `id` slug")
        return None
    node = iri("regulatory", slug)
    line = block.line
    check_fields(writer, block, node, FIELDS)
    writer.add(node, RDF.type, ALS.RegulatoryEvent, line)
    agency: URIRef | None = None
    if block.get("agency"):
        agency = known_reference(writer, line, node, "agency", str(block["agency"]), known,
                                 "agency")
        writer.add(node, ALS.agency, agency, line)
    elif block.get("actor", "agency") == "agency":
        writer.problem(line, node, "agency", "a regulator's act needs `agency`, the regulator")
    action_slug = str(block.get("action", ""))
    action = iri("regulatory-action", action_slug)
    if action_slug not in actions:
        writer.problem(line, node, "scheme-value",
                       f"action {action_slug!r} is not in the regulatory action scheme; expected "
                       f"one of {', '.join(sorted(actions))}")
    writer.add(node, ALS.action, action, line)
    _write_actor(writer, block, node, agency, actions.get(action_slug), action_slug)
    intervention = known_reference(writer, line, node, "intervention",
                                   str(block.get("intervention", "")), known, "intervention")
    writer.add(node, ALS.regulates, intervention, line)
    indication = known_reference(writer, line, node, "indication",
                                 str(block.get("indication", "als")), known, "disease")
    writer.add(node, ALS.indication, indication, line)
    writer.text(node, ALS.product, block.get("product"), line, lang=None)
    when = _write_dates(writer, block, node)
    label = block.get("label") or _default_label(block, label_of, agency, action, intervention,
                                                  when)
    writer.text(node, RDFS.label, label, line, lang=None)
    writer.text(node, ALS.basis, block.get("basis"), line, lang=None)
    for trial in as_list(block.get("basis_trials")):
        writer.add(node, ALS.basisStudy,
                   known_reference(writer, line, node, "basis trial", str(trial), known, "study"),
                   line)
    if block.get("ends"):
        writer.add(node, ALS.ends, iri("regulatory", str(block["ends"])), line)
    _write_vote(writer, block, node, action_slug)
    writer.text(node, DCTERMS.description, block.get("description"), line)
    writer.text(node, SKOS.editorialNote, block.get("notes"), line)
    write_checked(writer, block, node, "regulatory", FACTS, SOURCED)
    write_disagreements(writer, block, node, FACTS)
    writer.attribution(node, block, defaults)
    return node


def _write_actor(writer: RecordWriter, block: Block, node: URIRef, agency: URIRef | None,
                 needed: URIRef | None, action_slug: str) -> None:
    line = block.line
    actor = str(block.get("actor", "agency"))
    kind = ACTOR_KINDS.get(actor)
    if kind is None:
        writer.problem(line, node, "scheme-value",
                       f"actor {actor!r} must be one of {', '.join(ACTOR_KINDS)}")
        return
    sponsor = write_sponsor(writer, node, block.get("sponsor"), line)
    if needed is not None and needed != kind:
        writer.problem(line, node, "actor-kind",
                       f"action {action_slug!r} is performed by a "
                       f"{'sponsor' if needed == ALS.Sponsor else 'regulator'}, but the record "
                       f"says actor {actor!r}")
    if actor == "agency":
        if agency is not None:
            writer.add(node, ALS.actor, agency, line)
    elif sponsor is None:
        writer.problem(line, node, "actor-kind",
                       "a sponsor's act needs `sponsor`, the company that performed it")
    else:
        writer.add(node, ALS.actor, sponsor, line)


def _write_dates(writer: RecordWriter, block: Block, node: URIRef) -> str | None:
    line = block.line
    given = parse_date(block.get("date"))
    if given is None:
        writer.problem(line, node, "date-format",
                       f"date {block.get('date')!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        return None
    writer.add(node, DCTERMS.date, given.literal, line)
    start = given.day
    if block.get("effective") is not None:
        effective = parse_date(block.get("effective"))
        if effective is None:
            writer.problem(line, node, "date-format",
                           f"effective {block.get('effective')!r} is not YYYY, YYYY-MM or "
                           "YYYY-MM-DD")
        else:
            start = effective.day
            writer.add(node, ALS.effectiveDate, effective.literal, line)
    writer.add(node, ALS.validFrom, day_literal(start), line)
    return str(given.literal)


def _write_vote(writer: RecordWriter, block: Block, node: URIRef, action_slug: str) -> None:
    vote = block.get("vote")
    if vote is None:
        return
    line = getattr(vote, "line", block.line)
    if action_slug != "advisory-vote" or not isinstance(vote, Mapping):
        writer.problem(line, node, "vote",
                       "`vote` belongs to an advisory-vote record, as a mapping")
        return
    writer.text(node, ALS.voteQuestion, vote.get("question"), line, lang=None)
    for name, prop in VOTE_FIELDS.items():
        count = vote.get(name)
        if count is None:
            continue
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            writer.problem(line, node, "vote", f"vote {name} must be a count, not {count!r}")
            continue
        writer.add(node, prop, Literal(count, datatype=XSD.integer), line)


def _default_label(block: Block, label_of: Callable[[URIRef], str], agency: URIRef | None,
                   action: URIRef, intervention: URIRef, date: str | None) -> str:
    subject = block.get("product") or label_of(intervention)
    when = f" ({date})" if date is not None else ""
    who = label_of(agency) if agency is not None else str(block.get("sponsor", "sponsor"))
    return f"{who}: {label_of(action)}, {subject}{when}"

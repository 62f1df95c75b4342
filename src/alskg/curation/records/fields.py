"""The rules every curation record shares: dates, checked pages, disagreements, problems.

A record kind (studies, regulatory, interventions) emits its triples through a `RecordWriter`, which
also collects the problems found (file, line, node, rule) and remembers the line each subject came
from, so that validation of the resulting RDF can name the line too.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..namespaces import ALS, DEFAULT_BASE
from .yaml_source import Block

CURATORS = URIRef(DEFAULT_BASE + "id/agent/alskg-curators")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_TEXT = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def iri(kind: str, slug: str) -> URIRef:
    """Return the IRI of a resource of `kind` (`study`, `regulatory` …) with `slug`."""
    return URIRef(f"{DEFAULT_BASE}id/{kind}/{slug}")


def slugify(text: str) -> str:
    """Return a lower-case slug of a name (`Amylyx Pharmaceuticals` → `amylyx-pharmaceuticals`)."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


@dataclass(frozen=True, order=True)
class RecordProblem:
    """One problem in a record: the file and line, the node, the rule and what is wrong."""

    file: str
    line: int
    node: str
    rule: str
    message: str

    @property
    def where(self) -> str:
        """Return `file:line`, the place an editor jumps to."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class DateValue:
    """A date as the source gives it (year, month or day) and the day it certainly holds from."""

    literal: Literal
    day: date


def parse_date(text: Any) -> DateValue | None:
    """Read YYYY, YYYY-MM or YYYY-MM-DD; a coarse date holds from the last day of its period."""
    match = DATE_TEXT.match(str(text).strip()) if text is not None else None
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if day is not None and month is not None:
            exact = date(year, month, day)
            return DateValue(Literal(exact.isoformat(), datatype=XSD.date), exact)
        if month is not None:
            last = date(year, month, calendar.monthrange(year, month)[1])
            return DateValue(Literal(f"{year:04d}-{month:02d}", datatype=XSD.gYearMonth), last)
    except ValueError:
        return None
    return DateValue(Literal(f"{year:04d}", datatype=XSD.gYear), date(year, 12, 31))


def day_literal(value: date) -> Literal:
    """Return an xsd:date literal for a day."""
    return Literal(value.isoformat(), datatype=XSD.date)


@dataclass
class RecordWriter:
    """Collects the triples, subject lines and problems of one curation file."""

    shown_as: str
    graph: Graph = field(default_factory=Graph)
    problems: list[RecordProblem] = field(default_factory=list)
    subject_lines: dict[Node, str] = field(default_factory=dict)

    def problem(self, line: int, node: Node | str, rule: str, message: str) -> None:
        """Record a problem at a line of this file."""
        shown = str(node)
        if shown.startswith(DEFAULT_BASE + "id/"):
            kind, _, rest = shown[len(DEFAULT_BASE) + 3:].partition("/")
            shown = f"{kind}:{rest}"
        self.problems.append(RecordProblem(self.shown_as, line, shown, rule, message))

    def add(self, subject: URIRef, predicate: URIRef, obj: Node, line: int) -> None:
        """Add one triple and remember the line its subject was first written on."""
        self.graph.add((subject, predicate, obj))
        self.subject_lines.setdefault(subject, f"{self.shown_as}:{line}")

    def text(self, subject: URIRef, predicate: URIRef, value: Any, line: int,
             lang: str | None = "en") -> None:
        """Add a text literal when `value` is non-empty (whitespace folded to single spaces)."""
        if value is None or str(value).strip() == "":
            return
        folded = " ".join(str(value).split())
        self.add(subject, predicate, Literal(folded, lang=lang), line)

    def attribution(self, subject: URIRef, block: Block, defaults: Mapping[str, Any]) -> None:
        """Attribute a record to the curators, dated by its `curated` field or the file default."""
        self.add(subject, PROV.wasAttributedTo, CURATORS, block.line)
        curated = parse_date(block.get("curated", defaults.get("curated")))
        if curated is not None:
            self.add(subject, DCTERMS.created, curated.literal, block.line)


def write_sponsor(writer: RecordWriter, node: URIRef, name: Any, line: int) -> URIRef | None:
    """Link a record to its sponsor (`sponsor/<slug>`, an als:Sponsor labelled with the name)."""
    if not name or not str(name).strip():
        return None
    label = " ".join(str(name).split())
    sponsor = iri("sponsor", slugify(label))
    writer.add(node, ALS.sponsor, sponsor, line)
    writer.add(sponsor, RDF.type, ALS.Sponsor, line)
    if (sponsor, RDFS.label, None) not in writer.graph:
        writer.add(sponsor, RDFS.label, Literal(label), line)
    return sponsor


def check_fields(writer: RecordWriter, block: Block, node: URIRef, allowed: Iterable[str]) -> None:
    """Report fields a record kind does not know (a misspelt field would be silently lost)."""
    known = set(allowed)
    for name in block:
        if name not in known:
            writer.problem(block.line, node, "unknown-field",
                           f"field {name!r} is not part of this record kind; expected one of "
                           f"{', '.join(sorted(known))}")


def as_list(value: Any) -> list[Any]:
    """Return a field that may be one value or a list as a list (None → empty)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def write_checked(writer: RecordWriter, block: Block, node: URIRef, kind: str,
                  fact_properties: Mapping[str, URIRef], required: Iterable[str]) -> set[str]:
    """Write the record's checked pages and report facts no page backs; return the facts covered.

    Each page becomes `als:checkedAgainst <url>` and an `als:SourceCheck` node naming the facts it
    showed (`als:backsFact`, the property of each fact); a record all of whose pages are secondary
    is marked `als:fromSecondarySource true`.
    """
    pages = as_list(block.get("checked"))
    if not pages:
        if not block.get("cited_by"):  # a study known only from a citing review has that source
            writer.problem(block.line, node, "record-source",
                           "the record names no page it was checked against (field `checked`)")
        return set()
    covered: set[str] = set()
    secondary_only = True
    slug = str(node).rsplit("/", 1)[-1]
    for number, page in enumerate(pages, start=1):
        line = page.line if isinstance(page, Block) else block.line
        url = str(page.get("url", "")).strip() if isinstance(page, Mapping) else ""
        if not url.startswith(("http://", "https://")):
            writer.problem(line, node, "record-source",
                           "a checked entry needs `url`, the http(s) address of the page")
            continue
        facts = [str(f) for f in as_list(page.get("facts"))]
        unknown = [f for f in facts if f not in fact_properties]
        if unknown:
            writer.problem(line, node, "unknown-fact",
                           f"facts {unknown} are not facts of this record kind; expected some of "
                           f"{', '.join(sorted(fact_properties))}")
        covered.update(facts)
        secondary = page.get("secondary") is True
        secondary_only = secondary_only and secondary
        page_iri = URIRef(url)
        check = iri("check", f"{kind}-{slug}-{number}")
        writer.add(node, ALS.checkedAgainst, page_iri, line)
        writer.add(node, ALS.sourceCheck, check, line)
        writer.add(check, RDF.type, ALS.SourceCheck, line)
        writer.text(check, RDFS.label, f"{slug}: page {number} checked", line, lang=None)
        writer.add(check, ALS.page, page_iri, line)
        for fact in facts:
            if fact in fact_properties:
                writer.add(check, ALS.backsFact, fact_properties[fact], line)
        if secondary:
            writer.add(check, ALS.fromSecondarySource, Literal(True), line)
        writer.text(check, RDFS.comment, page.get("note"), line)
    if secondary_only:
        writer.add(node, ALS.fromSecondarySource, Literal(True), block.line)
    for fact in required:
        if fact in block and fact not in covered and not _implied(block, fact, covered):
            writer.problem(block.line, node, "fact-source",
                           f"fact {fact!r} is recorded but no checked page lists it in `facts`")
    return covered


def _implied(block: Block, fact: str, covered: set[str]) -> bool:
    """Whether a fact follows from what is backed: no control arm in a single-group study; the
    outcome from the page that shows the result (an ongoing trial is one with no result found);
    a result first made public in its paper (the publication carries its own page); an advisory
    vote from the page that shows the vote."""
    if fact == "control":
        return block.get("control") == "none" and block.get("allocation") == "single-group"
    if fact == "outcome":
        return "result" in covered or block.get("outcome") == "ongoing"
    if fact == "result_public":
        papers = [p for p in as_list(block.get("publications")) if isinstance(p, Mapping)]
        return str(block.get("result_public")) in {str(p.get("date")) for p in papers}
    if fact == "action":
        return block.get("action") == "advisory-vote" and "vote" in covered
    return False


def write_disagreements(writer: RecordWriter, block: Block, node: URIRef,
                        fact_properties: Mapping[str, URIRef]) -> None:
    """Write each disagreement as an `als:ContestedFact` with one `als:ReportedValue` per source."""
    slug = str(node).rsplit("/", 1)[-1]
    for entry in as_list(block.get("disagreements")):
        line = entry.line if isinstance(entry, Block) else block.line
        fact = str(entry.get("fact", "")) if isinstance(entry, Mapping) else ""
        if fact not in fact_properties:
            writer.problem(line, node, "unknown-fact",
                           f"disagreement about {fact!r}, which is not a fact of this record kind")
            continue
        values = [v for v in as_list(entry.get("values")) if isinstance(v, Mapping)]
        distinct = {str(v.get("value")).strip().casefold() for v in values}
        if len(distinct) < 2:
            writer.problem(line, node, "contested-single-value",
                           f"the disagreement about {fact!r} gives {len(distinct)} distinct "
                           "value(s); a contested fact needs at least two, each with its source")
        contested = iri("contested", f"{slug}-{fact.replace('_', '-')}")
        writer.add(node, ALS.hasContestedFact, contested, line)
        writer.add(contested, RDF.type, ALS.ContestedFact, line)
        writer.add(contested, ALS.contestedSubject, node, line)
        writer.add(contested, ALS.contestedProperty, fact_properties[fact], line)
        writer.text(contested, RDFS.label, f"{slug}: {fact.replace('_', ' ')} (sources disagree)",
                    line, lang=None)
        for number, value in enumerate(values, start=1):
            value_line = value.line if isinstance(value, Block) else line
            url = str(value.get("url", "")).strip()
            reported = iri("contested", f"{slug}-{fact.replace('_', '-')}-{number}")
            writer.add(contested, ALS.reportedValue, reported, value_line)
            writer.add(reported, RDF.type, ALS.ReportedValue, value_line)
            writer.add(reported, ALS.value, Literal(str(value.get("value"))), value_line)
            writer.text(reported, RDFS.label, f"{slug}: {fact.replace('_', ' ')} reported as "
                        f"{value.get('value')} (source {number})", value_line, lang=None)
            if url.startswith(("http://", "https://")):
                writer.add(reported, ALS.reportedBy, URIRef(url), value_line)
            else:
                writer.problem(value_line, node, "contested-without-source",
                               f"a value of the disagreement about {fact!r} names no `url`")
            writer.text(reported, SKOS.note, value.get("note"), value_line)


def scheme_value(writer: RecordWriter, block: Block, node: URIRef, field_name: str,
                 allowed: Mapping[str, URIRef]) -> URIRef | None:
    """Return the concept for a field's value, reporting a value outside its scheme."""
    value = block.get(field_name)
    if value is None:
        return None
    concept = allowed.get(str(value))
    if concept is None:
        writer.problem(block.line, node, "scheme-value",
                       f"{field_name} {value!r} is not in its scheme; expected one of "
                       f"{', '.join(sorted(allowed))}")
    return concept


def known_reference(writer: RecordWriter, line: int, node: URIRef, what: str, slug: str,
                    known: Iterable[URIRef], kind: str) -> URIRef:
    """Return the IRI of a referenced resource, reporting one that no source defines."""
    target = iri(kind, slug)
    if not SLUG.match(slug) or target not in set(known):
        writer.problem(line, node, "unknown-reference",
                       f"{what} {slug!r} is not defined ({kind}:{slug} is in no data file)")
    return target

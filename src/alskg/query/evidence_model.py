"""The evidence matrix's data: links, statuses, levels, claims, cells, rows and the matrix.

Plain frozen dataclasses with their JSON forms, and the constants of the matrix (aspect and status
order, symbols, marks). Built by query.evidence from the evidence queries' rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..curation.namespaces import DEFAULT_BASE
from ..errors import AlskgError
from .evidence_asof import RegulatoryStatus
from .evidence_groups import GROUP_LABELS, GROUPS

# Columns in reading order; the first group is always shown, the others where claims exist.
CORE_ASPECTS = ("safety", "feasibility", "survival", "slowing-progression", "function",
                "quality-of-life", "cure")
ASPECT_ORDER = ("safety", "feasibility", "effectiveness", "survival", "slowing-progression",
                "function", "neuromuscular-improvement", "quality-of-life", "cure")
# Statuses from strongest to weakest, each with a symbol so a cell survives greyscale printing.
STATUS_ORDER = ("established", "supported", "suggested", "unproven", "not-shown")
STATUS_SYMBOLS = {"established": "●", "supported": "◕", "suggested": "◑",
                  "unproven": "○", "not-shown": "✕"}
DISCREPANCY_MARK = "≠"
KIND_LABELS = {"SourceAssertion": "source assertion", "StudyFinding": "study finding"}
UNKNOWN_SYMBOL = "?"
INFERRED_MARK = "*"
Row = Mapping[str, str]


class EvidenceError(AlskgError):
    """The matrix could not be computed (a query failed or is missing)."""


class EvidenceFilterError(ValueError):
    """A matrix filter names a value the matrix does not have (group, modality or aspect)."""

    def __init__(self, parameter: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{parameter}: {value!r} is not one of {', '.join(allowed)}")
        self.parameter = parameter
        self.message = f"{value!r} is not one of {', '.join(allowed) or '(none)'}"


@dataclass(frozen=True)
class Link:
    """A resource a cell or row links to: IRI, label, site path and kind (`id/<kind>/…`)."""

    iri: str
    label: str
    href: str
    kind: str

    def to_json(self) -> dict[str, str]:
        """Return it as a JSON object: its fields, in order."""
        return asdict(self)


@dataclass(frozen=True)
class StatusInfo:
    """A status of the legend: key (slug), label and symbol."""

    key: str
    label: str
    symbol: str

    def to_json(self) -> dict[str, str]:
        """Return it as a JSON object: its fields, in order."""
        return asdict(self)


@dataclass(frozen=True)
class LevelInfo:
    """An evidence level: key (slug), label, rank (1 strongest) and its OCEBM 2011 level."""

    key: str
    label: str
    rank: int
    ocebm: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return it as a JSON object: its fields, in order."""
        return asdict(self)


@dataclass(frozen=True)
class ClaimEvidence:
    """One claim in a cell: its status, whether it is asserted, and what supports it."""

    claim: Link
    status: StatusInfo
    asserted: bool
    statement: str = ""
    studies: tuple[Link, ...] = ()
    publications: tuple[Link, ...] = ()
    ceiling: StatusInfo | None = None
    exceeds_evidence: bool = False
    kind: str = ""
    valid_from: str | None = None
    valid_until: str | None = None
    level: LevelInfo | None = None
    discrepancies: tuple[Link, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the claim as a JSON object (ceiling, level and discrepancies are derived)."""
        return {**self.claim.to_json(), "kind": self.kind or None,
                "valid_from": self.valid_from, "valid_until": self.valid_until,
                "evidence_level": self.level.to_json() if self.level else None,
                "discrepancies": [d.to_json() for d in self.discrepancies],
                "status": self.status.key,
                "status_label": self.status.label, "symbol": self.status.symbol,
                "asserted": self.asserted, "graph": "asserted" if self.asserted else "inferred",
                "statement": self.statement or None,
                "studies": [s.to_json() for s in self.studies],
                "publications": [p.to_json() for p in self.publications],
                "evidence_ceiling": self.ceiling.to_json() if self.ceiling else None,
                "exceeds_evidence": self.exceeds_evidence}


@dataclass(frozen=True)
class Summary:
    """A derived evidence summary of one intervention × aspect (graph/inferred)."""

    link: Link
    statuses: tuple[StatusInfo, ...]
    claim_count: int | None = None
    asserted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the summary as a JSON object."""
        return {**self.link.to_json(), "statuses": [s.to_json() for s in self.statuses],
                "claim_count": self.claim_count, "asserted": self.asserted,
                "graph": "asserted" if self.asserted else "inferred"}


@dataclass(frozen=True)
class Cell:
    """Intervention × aspect: its claims (asserted first, strongest first) and derived summary."""

    claims: tuple[ClaimEvidence, ...] = ()
    summary: Summary | None = None

    @property
    def status_info(self) -> StatusInfo:
        """Return the status the cell shows: its first claim's, else its summary's."""
        if self.claims:
            return self.claims[0].status
        assert self.summary is not None and self.summary.statuses
        return self.summary.statuses[0]

    @property
    def status(self) -> str:
        """Return the status key shown in the cell (e.g. `established`)."""
        return self.status_info.key

    @property
    def asserted(self) -> bool:
        """Return True when the status shown is asserted by curators (not inferred)."""
        if self.claims:
            return self.claims[0].asserted
        return self.summary.asserted if self.summary else False

    @property
    def link(self) -> Link:
        """Return what the cell's status links to: its first claim, else its summary."""
        if self.claims:
            return self.claims[0].claim
        assert self.summary is not None
        return self.summary.link

    @property
    def exceeds_evidence(self) -> bool:
        """Return True when a rule found a claim's status stronger than its studies allow."""
        return any(c.exceeds_evidence for c in self.claims)

    @property
    def discrepancies(self) -> tuple[Link, ...]:
        """Return the derived discrepancies of the cell's claims."""
        return tuple(d for c in self.claims for d in c.discrepancies)

    def text(self) -> str:
        """Return the cell as text: symbol, status word, `*` when inferred, `+n` more claims."""
        head = self.status_info
        mark = "" if self.asserted else INFERRED_MARK
        more = f" +{len(self.claims) - 1}" if len(self.claims) > 1 else ""
        warn = " !" if self.exceeds_evidence else ""
        differs = f" {DISCREPANCY_MARK}" if self.discrepancies else ""
        return f"{head.symbol} {head.label}{mark}{more}{warn}{differs}"

    def to_json(self) -> dict[str, Any]:
        """Return the cell as a JSON object."""
        head = self.status_info
        return {"status": head.key, "status_label": head.label, "symbol": head.symbol,
                "asserted": self.asserted, "graph": "asserted" if self.asserted else "inferred",
                "href": self.link.href, "exceeds_evidence": self.exceeds_evidence,
                "discrepancies": len(self.discrepancies),
                "claims": [c.to_json() for c in self.claims],
                "summary": self.summary.to_json() if self.summary else None}


@dataclass(frozen=True)
class Aspect:
    """A column: the aspect's key (slug), IRI and label."""

    key: str
    iri: str
    label: str

    def to_json(self) -> dict[str, str]:
        """Return the aspect as a JSON object."""
        return {"key": self.key, "iri": self.iri, "label": self.label}


@dataclass(frozen=True)
class InterventionRow:
    """A row: the intervention, its asserted classes, inferred classes and cells by aspect."""

    intervention: Link
    classes: tuple[Link, ...] = ()
    inferred_classes: tuple[Link, ...] = ()
    cells: tuple[tuple[str, Cell], ...] = ()
    regulatory: tuple[RegulatoryStatus, ...] = ()
    investigational: bool = False
    group: str = "investigational"
    group_reason: str = ""
    modality: str = ""
    modality_label: str = ""

    def approval_summary(self) -> list[tuple[str, str, str]]:
        """Return (state, agencies, detail) triples: who has it approved, and who withdrew it.

        Each agency is named once per state, with the year of its first approval, in date order
        (`approved`, `FDA 1995, EC 1996`); `detail` lists every status in full (a tooltip).
        """
        by_state: dict[str, dict[str, str]] = {}
        details: dict[str, list[str]] = {}
        for status in self.regulatory:
            by_state.setdefault(status.state, {}).setdefault(status.agency,
                                                             status.granted_on[:4])
            details.setdefault(status.state, []).append(status.text())
        return [(state, ", ".join(f"{agency} {year}" for agency, year in agencies.items()),
                 "; ".join(details[state])) for state, agencies in by_state.items()]

    def cell(self, aspect: str) -> Cell | None:
        """Return the cell for an aspect key, or None when no claim covers it."""
        for key, cell in self.cells:
            if key == aspect:
                return cell
        return None

    def to_json(self, aspects: Sequence[Aspect]) -> dict[str, Any]:
        """Return the row as a JSON object with one entry (or null) per aspect."""
        cells = {a.key: (c.to_json() if (c := self.cell(a.key)) else None) for a in aspects}
        return {"intervention": self.intervention.to_json(),
                "classes": [c.to_json() for c in self.classes],
                "inferred_classes": [c.to_json() for c in self.inferred_classes],
                "regulatory": [r.to_json() for r in self.regulatory],
                "investigational": self.investigational,
                "group": self.group, "group_reason": self.group_reason or None,
                "modality": self.modality or None, "modality_label": self.modality_label or None,
                "cells": cells}


@dataclass(frozen=True)
class EvidenceMatrix:
    """Interventions × aspects → status, with the legend of statuses."""

    aspects: tuple[Aspect, ...]
    rows: tuple[InterventionRow, ...]
    statuses: tuple[StatusInfo, ...] = field(default_factory=tuple)
    inference: bool = True
    as_of: str | None = None
    evidence_current_to: str | None = None
    filters: tuple[tuple[str, str], ...] = ()

    def row(self, intervention: str) -> InterventionRow | None:
        """Return the row of an intervention given by IRI or slug."""
        for row in self.rows:
            if intervention in (row.intervention.iri, slug(row.intervention.iri)):
                return row
        return None

    def cell(self, intervention: str, aspect: str) -> Cell | None:
        """Return the cell of (intervention IRI or slug, aspect key), or None."""
        row = self.row(intervention)
        return row.cell(aspect) if row else None

    def groups(self) -> list[tuple[str, str, tuple[InterventionRow, ...]]]:
        """Return (group key, label, rows) for each group that has rows, in reading order."""
        return [(key, GROUP_LABELS[key], rows) for key in GROUPS
                if (rows := tuple(r for r in self.rows if r.group == key))]

    def modalities(self) -> list[tuple[str, str]]:
        """Return the (key, label) of every modality among the rows, sorted by label."""
        found = {r.modality: r.modality_label for r in self.rows if r.modality}
        return sorted(found.items(), key=lambda item: item[1])

    def filtered(self, group: str | None = None, modality: str | None = None,
                 aspect: str | None = None) -> EvidenceMatrix:
        """Return the matrix with only the rows of a group, a modality and a claim on an aspect.

        An unknown value raises EvidenceFilterError naming the parameter and the values it takes.
        """
        checks = (("group", group, GROUPS), ("modality", modality,
                                             tuple(k for k, _ in self.modalities())),
                  ("aspect", aspect, tuple(a.key for a in self.aspects)))
        for name, value, allowed in checks:
            if value and value not in allowed:
                raise EvidenceFilterError(name, value, allowed)
        rows = tuple(r for r in self.rows if (not group or r.group == group)
                     and (not modality or r.modality == modality)
                     and (not aspect or r.cell(aspect) is not None))
        applied = tuple((k, v) for k, v in (("group", group), ("modality", modality),
                                             ("aspect", aspect)) if v)
        return replace(self, rows=rows, filters=applied)

    def links(self) -> Iterator[Link]:
        """Yield every link the matrix shows (rows, classes, claims, studies, publications)."""
        for row in self.rows:
            yield row.intervention
            yield from row.classes
            yield from row.inferred_classes
            for _, cell in row.cells:
                if cell.summary:
                    yield cell.summary.link
                for claim in cell.claims:
                    yield claim.claim
                    yield from claim.studies
                    yield from claim.publications
                    yield from claim.discrepancies

    def to_json(self) -> dict[str, Any]:
        """Return the matrix as a JSON document (`ok`, aspects, statuses, rows)."""
        return {"ok": True, "inference": self.inference, "as_of": self.as_of,
                "evidence_current_to": self.evidence_current_to,
                "filters": dict(self.filters),
                "groups": [{"key": k, "label": label, "count": len(rows)}
                           for k, label, rows in self.groups()],
                "aspects": [a.to_json() for a in self.aspects],
                "statuses": [s.to_json() for s in self.statuses],
                "inferred_mark": INFERRED_MARK,
                "rows": [r.to_json(self.aspects) for r in self.rows]}


def slug(iri: str) -> str:
    """Return the last path segment (or fragment) of an IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def make_link(iri: str, label: str | None, base: str = DEFAULT_BASE) -> Link:
    """Return a Link; IRIs under the base get the site path (`/id/<kind>/<slug>`) as href."""
    for root in dict.fromkeys((base, DEFAULT_BASE)):
        if iri.startswith(root):
            path = iri[len(root):]
            parts = path.split("/")
            kind = parts[1] if parts[0] == "id" and len(parts) > 2 else parts[0].split("#")[0]
            return Link(iri, label or slug(iri), "/" + path, kind)
    return Link(iri, label or slug(iri), iri, "external")


def status_info(key: str, label: str | None) -> StatusInfo:
    """Return the legend entry of a status key, with its symbol."""
    return StatusInfo(key, label or key.replace("-", " "), STATUS_SYMBOLS.get(key, UNKNOWN_SYMBOL))

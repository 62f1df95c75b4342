"""The evidence matrix: interventions × aspects → status, built from two named queries' results.

`matrix_from_results` is a pure function from SPARQL solutions (variable → lexical value) to an
`EvidenceMatrix`; `compute_matrix` runs the queries through a Service so the matrix works on
every engine; the web view (HTML, JSON) and `alskg evidence` (table, JSON) render the same object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from ..curation.namespaces import ALS, DEFAULT_BASE
from .evidence_asof import (
    evidence_current_to,
    holds_on,
    is_investigational,
    parse_as_of,
    regulatory_status,
)
from .evidence_groups import GROUPS, Standing, standings
from .evidence_model import (
    ASPECT_ORDER,
    CORE_ASPECTS,
    DISCREPANCY_MARK,
    INFERRED_MARK,
    KIND_LABELS,
    STATUS_ORDER,
    Aspect,
    Cell,
    ClaimEvidence,
    EvidenceError,
    EvidenceMatrix,
    InterventionRow,
    LevelInfo,
    Link,
    Row,
    Summary,
    make_link,
    slug,
    status_info,
)

CLAIMS_QUERY = "evidence-matrix-claims"
INTERVENTIONS_QUERY = "evidence-matrix-interventions"
SUMMARIES_QUERY = "evidence-matrix-summaries"
REGULATORY_QUERY = "evidence-matrix-regulatory"
LANDSCAPE_QUERY = "evidence-matrix-landscape"
INVESTIGATIONAL = str(ALS.InvestigationalIntervention)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def _status_rank(key: str) -> int:
    return STATUS_ORDER.index(key) if key in STATUS_ORDER else len(STATUS_ORDER)


def _aspect_rank(aspect: Aspect) -> tuple[int, str]:
    key = aspect.key
    return (ASPECT_ORDER.index(key) if key in ASPECT_ORDER else len(ASPECT_ORDER), aspect.label)


def _claims(claim_rows: Sequence[Row], base: str) -> dict[tuple[str, str], list[ClaimEvidence]]:
    """Group claim solutions into ClaimEvidence lists keyed by (intervention IRI, aspect key)."""
    gathered: dict[str, dict[str, Any]] = {}
    for row in claim_rows:
        claim_iri = row.get("claim")
        if not claim_iri or not row.get("intervention") or not row.get("aspect") \
                or not row.get("status"):
            continue
        key = "\t".join((row["intervention"], row["aspect"], row["status"], claim_iri))
        entry = gathered.setdefault(key, {
            "intervention": row["intervention"], "aspect": slug(row["aspect"]),
            "claim": make_link(claim_iri, row.get("claimLabel"), base),
            "status": status_info(slug(row["status"]), row.get("statusLabel")),
            "asserted": False, "statement": "", "evidence": {}, "ceiling": None,
            "exceeds": False, "kind": slug(row.get("kind") or ""),
            "valid_from": (row.get("validFrom") or "")[:10] or None,
            "valid_until": (row.get("validUntil") or "")[:10] or None,
            "level": None, "discrepancies": {}})
        entry["asserted"] = entry["asserted"] or _truthy(row.get("asserted"))
        entry["statement"] = entry["statement"] or row.get("statement") or ""
        entry["exceeds"] = entry["exceeds"] or _truthy(row.get("exceeds"))
        if row.get("level") and entry["level"] is None:
            rank = row.get("levelRank") or ""
            ocebm = row.get("levelOcebm") or ""
            entry["level"] = LevelInfo(slug(row["level"]), row.get("levelLabel") or "",
                                       int(rank) if rank.isdigit() else 0,
                                       int(ocebm) if ocebm.isdigit() else None)
        if row.get("discrepancy"):
            entry["discrepancies"].setdefault(
                row["discrepancy"], make_link(row["discrepancy"], row.get("discrepancyLabel"),
                                              base))
        if row.get("ceiling") and entry["ceiling"] is None:
            entry["ceiling"] = status_info(slug(row["ceiling"]), row.get("ceilingLabel"))
        evidence = row.get("evidence")
        if evidence:
            entry["evidence"].setdefault(evidence, make_link(evidence, row.get("evidenceLabel"),
                                                             base))
    cells: dict[tuple[str, str], list[ClaimEvidence]] = {}
    for entry in gathered.values():
        links = sorted(entry["evidence"].values(), key=lambda link: (link.label.lower(), link.iri))
        claim = ClaimEvidence(
            entry["claim"], entry["status"], entry["asserted"], entry["statement"],
            tuple(link for link in links if link.kind == "study"),
            tuple(link for link in links if link.kind != "study"),
            entry["ceiling"], entry["exceeds"], KIND_LABELS.get(entry["kind"], entry["kind"]),
            entry["valid_from"], entry["valid_until"], entry["level"],
            tuple(sorted(entry["discrepancies"].values(), key=lambda link: link.iri)))
        cells.setdefault((entry["intervention"], entry["aspect"]), []).append(claim)
    for claims in cells.values():
        claims.sort(key=lambda c: (not c.asserted, _status_rank(c.status.key), c.claim.iri))
    return cells


def _summaries(summary_rows: Sequence[Row], base: str) -> dict[tuple[str, str], Summary]:
    """Group summary solutions by (intervention IRI, aspect key)."""
    gathered: dict[tuple[str, str], dict[str, Any]] = {}
    for row in summary_rows:
        if not all(row.get(k) for k in ("summary", "intervention", "aspect", "status")):
            continue
        entry = gathered.setdefault((row["intervention"], slug(row["aspect"])), {
            "link": make_link(row["summary"], row.get("summaryLabel"), base), "statuses": {},
            "count": None, "asserted": False})
        entry["statuses"].setdefault(slug(row["status"]),
                                     status_info(slug(row["status"]), row.get("statusLabel")))
        entry["asserted"] = entry["asserted"] or _truthy(row.get("asserted"))
        if (row.get("claimCount") or "").isdigit():
            entry["count"] = int(row["claimCount"])
    return {key: Summary(entry["link"], tuple(sorted(entry["statuses"].values(),
                                                     key=lambda s: _status_rank(s.key))),
                         entry["count"], entry["asserted"])
            for key, entry in gathered.items()}


def matrix_from_results(intervention_rows: Sequence[Row], claim_rows: Sequence[Row],
                        summary_rows: Sequence[Row] = (), base: str = DEFAULT_BASE,
                        inference: bool = True, regulatory_rows: Sequence[Row] = (),
                        as_of: str | None = None,
                        landscape_rows: Sequence[Row] = ()) -> EvidenceMatrix:
    """Build the matrix from the evidence queries' solutions (each a mapping variable → value).

    With `as_of` (an ISO date) only the claims and approvals that held on that date are kept,
    and interventions whose every dated fact is later are left out; without it, the claims that
    have not ended and the latest regulatory status.
    """
    all_claims = _claims(claim_rows, base)
    dated = {key[0] for key, found in all_claims.items() if any(c.valid_from for c in found)}
    claims = {key: kept for key, found in all_claims.items()
              if (kept := [c for c in found if holds_on(c.valid_from, c.valid_until, as_of)])}
    summaries = {key: summary for key, summary in _summaries(summary_rows, base).items()
                 if key in claims or key not in all_claims}
    regulatory = regulatory_status(regulatory_rows, as_of)
    standing = standings(landscape_rows, regulatory, as_of)
    dated |= {row["intervention"] for row in regulatory_rows if row.get("intervention")}
    cells = {key: Cell(tuple(claims.get(key, ())), summaries.get(key))
             for key in dict.fromkeys([*claims, *summaries])}
    aspects: dict[str, Aspect] = {}
    for row in [*claim_rows, *summary_rows]:
        if row.get("aspect"):
            key = slug(row["aspect"])
            if key not in aspects or not aspects[key].label:
                aspects[key] = Aspect(key, row["aspect"], row.get("aspectLabel") or "")
    for key in CORE_ASPECTS:
        aspects.setdefault(key, Aspect(key, f"{base}id/aspect/{key}", ""))
    columns = tuple(sorted((Aspect(a.key, a.iri, a.label or a.key.replace("-", " "))
                            for a in aspects.values()), key=_aspect_rank))

    labels: dict[str, str] = {}
    classes: dict[str, dict[str, Link]] = {}
    inferred: dict[str, dict[str, Link]] = {}
    for row in intervention_rows:
        iri = row.get("intervention")
        if not iri:
            continue
        labels[iri] = labels.get(iri) or row.get("interventionLabel") or ""
        classes.setdefault(iri, {})
        inferred.setdefault(iri, {})
        if row.get("class") and row["class"] != INVESTIGATIONAL:
            target = inferred if _truthy(row.get("inferred")) else classes
            target[iri][row["class"]] = make_link(row["class"], row.get("classLabel"), base)
    for intervention, _ in cells:
        labels.setdefault(intervention, "")
        classes.setdefault(intervention, {})
        inferred.setdefault(intervention, {})

    rows = []
    for iri, label in labels.items():
        row_cells = tuple((a.key, cells[(iri, a.key)]) for a in columns if (iri, a.key) in cells)
        statuses = regulatory.get(iri, ())
        if iri in dated and not row_cells and not statuses:
            continue  # everything known about it is dated after `as_of`
        where = standing.get(iri) or Standing(
            "approved" if not is_investigational(statuses) else "investigational")
        rows.append(InterventionRow(
            make_link(iri, label, base),
            tuple(sorted(classes[iri].values(), key=lambda link: link.iri)),
            tuple(sorted(inferred[iri].values(), key=lambda link: link.iri)),
            row_cells, statuses, is_investigational(statuses), where.group, where.reason,
            where.modality, where.modality_label))
    rows.sort(key=lambda r: (GROUPS.index(r.group), not r.cells, r.intervention.label.lower()))

    seen_statuses = {c.status.key: c.status for found in claims.values() for c in found}
    seen_statuses.update({s.key: s for summary in summaries.values() for s in summary.statuses
                          if s.key not in seen_statuses})
    legend = [seen_statuses.get(key) or status_info(key, None) for key in STATUS_ORDER]
    legend += [s for k, s in sorted(seen_statuses.items()) if k not in STATUS_ORDER]
    return EvidenceMatrix(columns, tuple(rows), tuple(legend), inference, as_of,
                          evidence_current_to(regulatory_rows))


def solution_rows(body: bytes) -> list[dict[str, str]]:
    """Parse a SPARQL JSON results document into rows of variable → lexical value."""
    document = json.loads(body)
    return [{name: str(value.get("value", "")) for name, value in binding.items()}
            for binding in document.get("results", {}).get("bindings", [])]


class QueryService(Protocol):
    """What compute_matrix needs from the query Service: `base`, `catalog` and `rows()`."""

    base: str
    catalog: tuple[Any, ...]

    def rows(self, text: str, **options: Any) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as {variable: term}."""


def named_rows(service: QueryService, name: str, inference: bool = True) -> list[dict[str, str]]:
    """Run one named query through the Service, in-process as terms (no serialized round trip);
    its rows as variable → lexical value, or EvidenceError if it is missing or failed."""
    from ..errors import AlskgError
    from .catalog import find_query
    from .engines.base import DatasetSpec

    named = find_query(name, service.catalog)
    if named is None:
        raise EvidenceError(f"named query {name!r} is missing from queries/")
    try:
        found = service.rows(named.text, spec=DatasetSpec(inference=inference))
    except AlskgError as exc:
        raise EvidenceError(f"query {name!r} failed: {exc}") from exc
    return [{variable: str(term) for variable, term in row.items()} for row in found]


def compute_matrix(service: QueryService, inference: bool = True,
                   as_of: str | None = None) -> EvidenceMatrix:
    """Run the evidence queries through the Service (any engine) and build the matrix.

    `as_of` is the raw date text of the request; a malformed one or one after the date the
    evidence was last checked raises AsOfError (naming the parameter `as_of`).
    """
    results = [named_rows(service, name, inference) for name in
               (INTERVENTIONS_QUERY, CLAIMS_QUERY, SUMMARIES_QUERY, REGULATORY_QUERY,
                LANDSCAPE_QUERY)]
    day = parse_as_of(as_of, evidence_current_to(results[3]))
    return matrix_from_results(results[0], results[1], results[2], service.base, inference,
                               results[3], day, results[4])


def render_text(matrix: EvidenceMatrix) -> str:
    """Return the matrix as an aligned text table with a legend (for the terminal)."""
    header = ["intervention", "approval", *(a.key for a in matrix.aspects), "inferred classes"]
    body = []
    for row in matrix.rows:
        cells = [(c.text() if (c := row.cell(a.key)) else "—") for a in matrix.aspects]
        extra = ", ".join(c.label + INFERRED_MARK for c in row.inferred_classes)
        approval = "; ".join(r.text() for r in row.regulatory) or (
            "investigational" + INFERRED_MARK if row.investigational else "—")
        body.append([row.intervention.label, approval, *cells, extra])
    if not any(line[-1] for line in body):
        header.pop()
        body = [line[:-1] for line in body]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    legend = "  ".join(f"{s.symbol} {s.label}" for s in matrix.statuses)
    notes = [f"legend: {legend}  — no claim",
             f"{INFERRED_MARK} inferred (graph/inferred); unmarked statuses are asserted "
             "(graph/asserted)"]
    if any(cell.discrepancies for row in matrix.rows for _, cell in row.cells):
        notes.append(f"{DISCREPANCY_MARK} a source names a study that gave another intervention "
                     "(see the claim's discrepancies)")
    if matrix.as_of:
        notes.append(f"as of {matrix.as_of}: only claims and approvals that held on that date")
    if any(cell.exceeds_evidence for row in matrix.rows for _, cell in row.cells):
        notes.append("! a rule found the status stronger than the design of its studies allows")
    if not matrix.inference:
        notes.append("inference off: only asserted statements were used")
    return "\n".join([line(header), line(["-" * w for w in widths]),
                      *(line(cells) for cells in body), "", *notes])

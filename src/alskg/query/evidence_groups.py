"""The evidence matrix's groups: approved, investigational or stopped, as of a date; modalities.

An intervention is **approved** while any approval of it is in force; **stopped** when, without
one, its sponsor discontinued its development, an approval of it was withdrawn, or its latest
reported phase II/III or III trial missed its primary endpoint with none of its late-phase trials
still running; **investigational** otherwise. Built from the rows of the named query
`evidence-matrix-landscape` and the regulatory statuses of `evidence_asof`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .evidence_asof import RegulatoryStatus

Row = Mapping[str, str]
GROUPS = ("approved", "investigational", "stopped")
GROUP_LABELS = {
    "approved": "Approved: an approval in force",
    "investigational": "Investigational: studied, no approval in force",
    "stopped": "Stopped: development discontinued, approval withdrawn, or the last late-phase "
               "trial failed",
}
FAILED = ("not-met", "terminated")
RUNNING = ("ongoing",)


@dataclass(frozen=True)
class Standing:
    """Where an intervention stands on a date: its group, why, and its modality."""

    group: str
    reason: str = ""
    modality: str = ""
    modality_label: str = ""


@dataclass
class _Trials:
    """The late-phase trials of one intervention: (outcome key, result day) each."""

    modality: str = ""
    modality_label: str = ""
    trials: dict[str, tuple[str, str]] | None = None
    stopped_on: str | None = None


def _key(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _gather(rows: Sequence[Row]) -> dict[str, _Trials]:
    found: dict[str, _Trials] = {}
    for row in rows:
        iri = row.get("intervention")
        if not iri:
            continue
        entry = found.setdefault(iri, _Trials(trials={}))
        if row.get("modality"):
            entry.modality = _key(row["modality"])
            entry.modality_label = row.get("modalityLabel") or entry.modality.replace("-", " ")
        if row.get("study") and entry.trials is not None:
            entry.trials[row["study"]] = (_key(row.get("outcome") or ""),
                                          (row.get("resultDate") or "")[:10])
        stopped = (row.get("stoppedOn") or "")[:10]
        if stopped and (entry.stopped_on is None or stopped < entry.stopped_on):
            entry.stopped_on = stopped
    return found


def standings(rows: Sequence[Row], statuses: Mapping[str, Sequence[RegulatoryStatus]],
              as_of: str | None) -> dict[str, Standing]:
    """Return each intervention's standing on `as_of` (None: the date the evidence was checked)."""
    out: dict[str, Standing] = {}
    for iri, entry in _gather(rows).items():
        modality = (entry.modality, entry.modality_label)
        held = statuses.get(iri, ())
        if any(s.state == "approved" for s in held):
            out[iri] = Standing("approved", "an approval in force", *modality)
            continue
        if entry.stopped_on and (as_of is None or entry.stopped_on <= as_of):
            out[iri] = Standing("stopped", f"development discontinued {entry.stopped_on}",
                                *modality)
            continue
        if any(s.state == "withdrawn" for s in held):
            out[iri] = Standing("stopped", "approval withdrawn", *modality)
            continue
        trials = (entry.trials or {}).values()
        reported = sorted((day, outcome) for outcome, day in trials if outcome
                          and outcome not in RUNNING
                          and (as_of is None or (day and day <= as_of)))
        running = any(outcome in RUNNING or (as_of is not None and day and day > as_of)
                      for outcome, day in trials)
        if reported and reported[-1][1] in FAILED and not running:
            out[iri] = Standing("stopped", f"its last late-phase trial failed ({reported[-1][0]})",
                                *modality)
            continue
        out[iri] = Standing("investigational", "", *modality)
    return out

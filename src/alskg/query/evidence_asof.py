"""Time in the evidence matrix: parse an as-of date, keep what held then, and regulatory status.

Claims carry `als:validFrom` (and `als:validUntil` where they ended); regulatory events carry
`als:validFrom`, and a later event `als:ends` them. This module turns the evidence queries' rows
into what held on one date: which claims were valid, which approvals stood, and whether an
intervention was investigational (studied, with no approval in force).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

Row = Mapping[str, str]


class AsOfError(ValueError):
    """An as-of date is malformed or later than the date the evidence was last checked."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def parse_as_of(raw: str | None, current: str | None, parameter: str = "as_of") -> str | None:
    """Return the ISO date of `raw` (None if absent); refuse bad dates and dates after `current`."""
    if raw is None or raw == "":
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise AsOfError(parameter, f"expected a date YYYY-MM-DD, got {raw!r}") from None
    if current and day > date.fromisoformat(current):
        raise AsOfError(parameter, f"{day.isoformat()} is after the date the evidence was last "
                                   f"checked ({current}); the graph cannot answer for it")
    return day.isoformat()


def holds_on(valid_from: str | None, valid_until: str | None, as_of: str | None) -> bool:
    """Return True when something valid from `valid_from` until `valid_until` held on `as_of`."""
    if as_of is None:
        return not valid_until
    if valid_from and valid_from[:10] > as_of:
        return False
    return not (valid_until and valid_until[:10] <= as_of)


@dataclass(frozen=True)
class RegulatoryStatus:
    """One approval-type decision as of the date: agency, action, date, indication and state."""

    event: str
    agency: str
    action: str
    granted_on: str
    indication: str
    state: str  # "approved" or "withdrawn" (ended by a later act: the regulator or the sponsor)
    ended_on: str | None = None

    def text(self) -> str:
        """Return the status as a short phrase, e.g. `approved (FDA 1995-12-12, ALS)`."""
        when = f"{self.agency} {self.granted_on}"
        if self.state == "withdrawn":
            when += f", withdrawn {self.ended_on}"
        return f"{self.state} ({when}; {self.indication})"

    def to_json(self) -> dict[str, Any]:
        """Return the status as a JSON object."""
        return {"event": self.event, "agency": self.agency, "action": self.action,
                "date": self.granted_on, "indication": self.indication, "state": self.state,
                "ended_on": self.ended_on}


def regulatory_status(rows: Sequence[Row], as_of: str | None
                      ) -> dict[str, tuple[RegulatoryStatus, ...]]:
    """Group approval-type events by intervention, with their state on `as_of` (None: latest)."""
    found: dict[str, dict[str, RegulatoryStatus]] = {}
    for row in rows:
        event, intervention = row.get("event"), row.get("intervention")
        granted_on = (row.get("validFrom") or "")[:10]
        action = row.get("actionLabel") or ""
        if not event or not intervention or not granted_on:
            continue
        if as_of is not None and granted_on > as_of:
            continue
        grants = (row.get("grantsApproval") or "").lower() in ("true", "1")
        if not grants:
            continue  # votes, opinions, withdrawn applications and agreements are not a status
        ended_on = (row.get("endedOn") or "")[:10] or None
        if ended_on and as_of is not None and ended_on > as_of:
            ended_on = None
        earlier = found.get(intervention, {}).get(event)
        if earlier is not None and earlier.ended_on and (not ended_on
                                                         or earlier.ended_on < ended_on):
            ended_on = earlier.ended_on  # the first act that ended it counts
        state = ("withdrawn" if ended_on else "approved") if grants else action
        agency = row.get("agencyShort") or row.get("agencyLabel") or ""
        status = RegulatoryStatus(event, agency, action, granted_on,
                                  row.get("indicationLabel") or "", state, ended_on)
        found.setdefault(intervention, {})[event] = status
    return {key: tuple(sorted(events.values(), key=lambda s: (s.granted_on, s.event)))
            for key, events in found.items()}


def evidence_current_to(rows: Sequence[Row]) -> str | None:
    """Return the dataset's als:evidenceCurrentTo from the regulatory rows (column `current`)."""
    for row in rows:
        if row.get("current"):
            return row["current"][:10]
    return None


def is_investigational(statuses: Sequence[RegulatoryStatus]) -> bool:
    """Return True when no approval is in force (none granted, or every one withdrawn)."""
    return not any(status.state == "approved" for status in statuses)

"""Render query results as aligned text tables for the terminal, with compact prefixed names."""

from __future__ import annotations

from ..query.engines.base import QueryOutcome
from .terms import display_text as compact


def render_table(outcome: QueryOutcome, prefixes: dict[str, str]) -> str:
    """Return an aligned table for SELECT, `true`/`false` for ASK, and lines for triples."""
    if outcome.form == "ASK":
        return "true" if outcome.boolean else "false"
    if outcome.form != "SELECT":
        rows = [[compact(t, prefixes) for t in triple] for triple in outcome.triples]
        header = ["subject", "predicate", "object"]
    else:
        header = list(outcome.variables)
        rows = [[compact(t, prefixes) for t in row] for row in outcome.rows]
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    suffix = " (truncated)" if outcome.truncated else ""
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{suffix})")
    return "\n".join(lines)

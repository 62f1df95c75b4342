"""Render query results as aligned text tables for the terminal, with compact prefixed names."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..query.engines.base import QueryOutcome


def compact(term: Node | None, prefixes: dict[str, str]) -> str:
    """Return a short display form: prefixed name for IRIs, the lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        best = ""
        best_prefix = ""
        for prefix, iri in prefixes.items():
            if term.startswith(iri) and len(iri) > len(best):
                best, best_prefix = iri, prefix
        local = term[len(best):]
        if best and local and all(c.isalnum() or c in "-_." for c in local):
            return f"{best_prefix}:{local}"
        return f"<{term}>"
    if isinstance(term, Literal):
        return str(term)
    return f"_:{term}"


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

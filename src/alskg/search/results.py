"""What a search answers: hits in rank order, grouped by kind for pages, as JSON for programs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .kinds import kind_name, kind_order

# How a hit matched, best first (its tier); the JSON and the page say it in these words.
MATCHES = ("identifier", "label", "other name", "label prefix", "other name prefix",
           "words in a name", "words", "spelling, in a name", "spelling")
IDENTIFIER, LABEL, NAME, LABEL_PREFIX, NAME_PREFIX, NAME_WORDS, WORDS, NAME_SPELLING, SPELLING = \
    range(len(MATCHES))


@dataclass(frozen=True)
class Hit:
    """One resource found: what it is, how it matched and what matched when not its label."""

    iri: str
    kind: str
    curie: str
    label: str
    summary: str
    tier: int
    matched: str = ""

    @property
    def match(self) -> str:
        """Return how the hit matched, in words ("identifier", "label prefix", ...)."""
        return MATCHES[self.tier]

    def to_json(self, href: Callable[[str], str]) -> dict[str, Any]:
        """Return the hit as JSON, with the link to its page made by `href`."""
        return {"label": self.label, "kind": self.kind, "kind_label": kind_name(self.kind),
                "iri": self.iri, "curie": self.curie, "href": href(self.iri),
                "summary": self.summary, "match": self.match, "matched": self.matched or None}

    def suggestion(self, href: Callable[[str], str]) -> dict[str, Any]:
        """Return the hit as a typeahead suggestion (a few fields)."""
        return {"label": self.label, "kind": self.kind, "curie": self.curie, "iri": self.iri,
                "href": href(self.iri), "matched": self.matched or None}


@dataclass(frozen=True)
class Group:
    """The hits of one kind, in rank order."""

    kind: str
    hits: tuple[Hit, ...]

    @property
    def label(self) -> str:
        """Return the kind's plural name ("regulatory acts")."""
        return kind_name(self.kind, plural=True) if len(self.hits) != 1 else kind_name(self.kind)


@dataclass(frozen=True)
class Results:
    """The answer to one search: hits best first, whether more were left out, and notes."""

    query: str
    kinds: tuple[str, ...]
    hits: tuple[Hit, ...] = ()
    truncated: bool = False
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def groups(self) -> list[Group]:
        """Return the hits grouped by kind; a group comes where its best hit ranks (ties in
        the kinds' order)."""
        found: dict[str, list[Hit]] = {}
        for hit in self.hits:
            found.setdefault(hit.kind, []).append(hit)
        first = {kind: (hits[0].tier, self.hits.index(hits[0])) for kind, hits in found.items()}
        ordered = sorted(found, key=lambda k: (first[k][0], kind_order(k), first[k][1]))
        return [Group(kind, tuple(found[kind])) for kind in ordered]

    def to_json(self, href: Callable[[str], str]) -> dict[str, Any]:
        """Return the whole answer as JSON: ranked results and the groups' order and sizes."""
        return {
            "ok": True, "q": self.query, "kind": list(self.kinds) or None,
            "count": len(self.hits), "truncated": self.truncated,
            "groups": [{"kind": g.kind, "label": g.label, "count": len(g.hits)}
                       for g in self.groups()],
            "results": [hit.to_json(href) for hit in self.hits],
            "corrections": {word: list(fixes) for word, fixes in self.corrections.items()},
            "notes": list(self.notes),
        }

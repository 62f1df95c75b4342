"""The kinds of resource search finds: the `<base>id/<kind>/` segment of an IRI (or `term` for
the vocabulary), a name for people, and the order in which result groups are shown."""

from __future__ import annotations

TERM = "term"  # a class or property of the vocabulary (`<base>vocab#Term`)
# The kinds a researcher looks for first come first; the rest follow alphabetically.
NAMES = {
    "intervention": ("intervention", "interventions"),
    "study": ("study", "studies"),
    "claim": ("claim", "claims"),
    "publication": ("publication", "publications"),
    "regulatory": ("regulatory act", "regulatory acts"),
    "approval": ("approval", "approvals"),
    "phenotype": ("phenotype", "phenotypes"),
    "disease": ("disease", "diseases"),
    "agency": ("agency", "agencies"),
    "sponsor": ("sponsor", "sponsors"),
    "anatomy": ("anatomy", "anatomy"),
    "cell": ("cell type", "cell types"),
    "route": ("route of administration", "routes of administration"),
    "hypothesis": ("hypothesis", "hypotheses"),
    "discrepancy": ("discrepancy", "discrepancies"),
    "unresolved": ("unresolved match", "unresolved matches"),
    "association": ("phenotype association", "phenotype associations"),
    "query": ("named query", "named queries"),
    TERM: ("vocabulary term", "vocabulary terms"),
    "agent": ("agent", "agents"),
    "aspect": ("aspect", "aspects"),
    "dataset": ("dataset", "datasets"),
    "design": ("study design", "study designs"),
    "effect": ("proposed effect", "proposed effects"),
    "evidence-level": ("evidence level", "evidence levels"),
    "modality": ("modality", "modalities"),
    "outcome": ("trial outcome", "trial outcomes"),
    "qualifier": ("qualifier", "qualifiers"),
    "regulatory-action": ("regulatory action", "regulatory actions"),
    "status": ("status", "statuses"),
}
ORDER = {kind: i for i, kind in enumerate(NAMES)}
# Bookkeeping of how facts were checked: reachable from the study or act they belong to, never
# what a search is for (there are ten times as many of them as studies).
SKIPPED = frozenset({"check", "contested"})


def kind_name(kind: str, plural: bool = False) -> str:
    """Return how a kind is called on pages: `regulatory` → "regulatory act"."""
    names = NAMES.get(kind)
    if names is None:
        spaced = kind.replace("-", " ")
        return spaced + ("s" if plural and not spaced.endswith("s") else "")
    return names[1] if plural else names[0]


def kind_order(kind: str) -> tuple[int, str]:
    """Return the sort key of a kind: the named kinds first in their order, then alphabetical."""
    return ORDER.get(kind, len(ORDER)), kind


def kind_of(iri: str, base: str) -> str | None:
    """Return the kind of a resource IRI under `base` (`id/<kind>/…` or `vocab#…`), else None."""
    if iri.startswith(base + "vocab#") and len(iri) > len(base) + 6:
        return TERM
    root = base + "id/"
    if not iri.startswith(root):
        return None
    kind, slash, rest = iri[len(root):].partition("/")
    if not slash or not rest or kind in SKIPPED:
        return None
    return kind

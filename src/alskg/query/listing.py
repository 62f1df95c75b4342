"""List pages' tables: which kinds there are, their columns, and filtering, sorting and paging.

Each kind of resource (interventions, studies, claims, publications, regulatory acts,
phenotypes) is listed by a named query (`queries/6x-list-*.rq`); this module is the pure step
from its rows to the table a page shows: keep the rows a text search and the column filters
accept, sort them by a column (numbers as numbers, dates and text as text), and cut a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PAGE_SIZE = 500


class ListingError(ValueError):
    """A list request names a sort column, filter or page the list does not have."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column: the query variable, its heading, and how it sorts (text, number or date)."""

    key: str
    heading: str
    sort: str = "text"
    filter: bool = False


@dataclass(frozen=True)
class ListKind:
    """A list page: its path name, title, named query, link column and columns."""

    name: str
    title: str
    query: str
    link: str
    columns: tuple[Column, ...]
    summary: str = ""

    def column(self, key: str) -> Column | None:
        """Return the column with this key, or None."""
        return next((c for c in self.columns if c.key == key), None)


KINDS: tuple[ListKind, ...] = (
    ListKind("interventions", "Interventions", "list-interventions", "intervention", (
        Column("label", "Intervention"), Column("modality", "Modality", filter=True),
        Column("names", "Other names"), Column("approvedBy", "Approval in force", filter=True),
        Column("studies", "Studies", "number"), Column("lateTrials", "Late-phase trials", "number"),
        Column("claims", "Claims", "number")),
        "Every therapy in the graph, approved, under study or abandoned."),
    ListKind("studies", "Studies and trials", "list-studies", "study", (
        Column("label", "Study"), Column("interventions", "Intervention", filter=True),
        Column("phase", "Phase", filter=True), Column("design", "Design", filter=True),
        Column("participants", "N", "number"), Column("counted", "N counts", filter=True),
        Column("outcome", "Primary endpoint", filter=True),
        Column("resultPublic", "Result public", "date"), Column("registry", "Registry"),
        Column("sponsor", "Sponsor", filter=True)),
        "Every study and trial: what it gave, how, to how many, and whether it met its primary "
        "endpoint (\"no record\" is not \"not met\")."),
    ListKind("claims", "Claims", "list-claims", "claim", (
        Column("label", "Claim"), Column("intervention", "Intervention", filter=True),
        Column("aspect", "Aspect", filter=True), Column("status", "Status", filter=True),
        Column("kind", "Kind", filter=True), Column("ocebm", "OCEBM level", "number"),
        Column("validFrom", "From", "date"), Column("validUntil", "Until", "date"),
        Column("source", "Source", filter=True)),
        "Every claim, intervention × aspect → status, with its kind and evidence level."),
    ListKind("publications", "Publications", "list-publications", "publication", (
        Column("label", "Publication"), Column("issued", "Issued", "date"),
        Column("citation", "Citation"), Column("identifiers", "Identifiers"),
        Column("review", "Review", filter=True)),
        "Trial reports, reviews and the pages that first reported a result."),
    ListKind("regulatory", "Regulatory acts", "list-regulatory-acts", "act", (
        Column("label", "Act"), Column("date", "Date", "date"),
        Column("agency", "Agency", filter=True), Column("actor", "Performed by", filter=True),
        Column("action", "Action", filter=True), Column("intervention", "Intervention",
                                                        filter=True),
        Column("product", "Product", filter=True), Column("indication", "Indication",
                                                          filter=True)),
        "Every act of a regulator or a sponsor on an ALS therapy."),
    ListKind("phenotypes", "Phenotypes", "list-phenotypes", "phenotype", (
        Column("label", "Phenotype"), Column("names", "Other names"), Column("hpo", "HPO"),
        Column("qualifiers", "Qualifiers", filter=True)),
        "The symptoms and signs of ALS the graph records, mapped to HPO."),
)


def kind_named(name: str) -> ListKind | None:
    """Return the list kind with this path name, or None."""
    return next((k for k in KINDS if k.name == name), None)


@dataclass(frozen=True)
class Table:
    """A page of a list: the rows kept, how many there were, and what was asked."""

    kind: ListKind
    rows: tuple[Mapping[str, str], ...]
    total: int
    page: int
    pages: int
    sort: str
    descending: bool
    search: str = ""
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return the page as a JSON document."""
        return {"ok": True, "kind": self.kind.name, "title": self.kind.title,
                "columns": [{"key": c.key, "heading": c.heading, "sort": c.sort}
                            for c in self.kind.columns],
                "rows": [dict(r) for r in self.rows], "total": self.total,
                "page": self.page, "pages": self.pages,
                "sort": ("-" if self.descending else "") + self.sort,
                "q": self.search or None, "filters": dict(self.filters)}


def _sort_key(column: Column, value: str) -> tuple[int, Any]:
    if value == "":
        return (1, "")  # empty cells last, whatever the direction
    if column.sort == "number":
        try:
            return (0, float(value))
        except ValueError:
            return (0, float("inf"))
    return (0, value.casefold())


def cell_values(cell: object) -> set[str]:
    """Return the values a list cell holds (comma-separated), trimmed and case-folded."""
    return {part.strip().casefold() for part in str(cell or "").split(", ") if part.strip()}


def table(kind: ListKind, rows: Sequence[Mapping[str, str]],
          args: Mapping[str, str]) -> Table:
    """Filter, sort and page the rows of a list as the request's arguments say.

    Arguments: `q` (words all found in the row, any column), `sort` (a column key, `-key` for
    descending), `page` (from 1) and one per filterable column (its value must be one of the
    cell's comma-separated values, case-insensitive: `outcome=met` keeps "met", not "not met").
    Anything else raises ListingError naming the parameter.
    """
    allowed = {"q", "sort", "page"} | {c.key for c in kind.columns if c.filter}
    for name in args:
        if name not in allowed:
            takes = ", ".join(sorted(allowed))
            raise ListingError(name, f"not a parameter of this list; it takes {takes}")
    sort = args.get("sort") or ""
    descending = sort.startswith("-")
    sort_key = sort.removeprefix("-") if sort else kind.columns[0].key
    column = kind.column(sort_key)
    if column is None:
        keys = ", ".join(c.key for c in kind.columns)
        raise ListingError("sort", f"{sort_key!r} is not a column; sort by one of {keys} "
                                   "(with - before it for descending)")
    words = (args.get("q") or "").casefold().split()
    filters = tuple((c.key, args[c.key]) for c in kind.columns if c.filter and args.get(c.key))
    kept = [r for r in rows
            if all(any(w in str(v).casefold() for v in r.values()) for w in words)
            and all(value.strip().casefold() in cell_values(r.get(key)) for key, value in filters)]
    kept.sort(key=lambda r: _sort_key(column, str(r.get(sort_key, ""))), reverse=descending)
    if descending:  # keep empty cells last
        kept.sort(key=lambda r: str(r.get(sort_key, "")) == "")
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    raw_page = args.get("page") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= pages:
        raise ListingError("page", f"{raw_page!r} is not a page; pages run from 1 to {pages}")
    page = int(raw_page)
    chunk = kept[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return Table(kind, tuple(chunk), len(kept), page, pages, sort_key, descending,
                 args.get("q") or "", filters)

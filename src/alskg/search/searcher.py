"""Ranked search and typeahead over the build's search index (search.index_file).

A query is tried in tiers, best first, and a resource keeps its best tier: an identifier (an NCT
number, a CURIE, a DOI, a PMID, an IRI: search.identifiers), the exact label, an exact other
name, a label that starts with the query, another name that does, every word in its names, every
word anywhere (descriptions, citations, identifiers), then the same two with misspelt words
corrected. Later tiers are not run once the earlier ones have filled the page, nor word tiers
once a one-token query is found as an identifier.

Within a tier: BM25 for word matches (names weigh most; names whose first words start with the
query's words lead), shorter names first for prefixes, then the kinds' order, the label and the
IRI, so the order is fully determined. BM25 reads every match and a word's statistics over the
whole index, so a tier that matches more than RANK_CAP documents (a word in every synthetic label
at 1 M triples) keeps its first matches in IRI order, ordered by the kinds' order and the
shortest label instead: a search stays bounded.

Words are ANDed, each a prefix (`stem cel ther` finds stem cell therapy), except single
characters and whole words in more than COMMON_DOCS documents (their prefix would merge the
document lists of all their forms; the stemmer still finds `claims` for `claim`). Common English
words are dropped when others remain.

Typo tolerance, where cheap: a word of five or more letters that no indexed word starts with is
replaced by the indexed words one edit away (search.text), at most three, the most frequent
first. Typeahead (`suggest`) runs the same tiers over names and identifiers only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..curation.namespaces import prefixes as graph_prefixes
from ..errors import BadSearch
from . import results as tiers
from .identifiers import query_keys, unknown_prefix
from .index_file import SEPARATOR, open_index, read_meta
from .kinds import kind_name, kind_order
from .results import Hit, Results
from .text import correctable, fold, squashed, within_one_edit

MAX_QUERY_CHARS = 500
MAX_WORDS = 16
MAX_LIMIT = 100
CORRECTIONS = 3
STOP_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on",
                        "or", "the", "to", "with"})
COMMON_DOCS = 1000  # a whole word in more documents than this is not also read as a prefix
RANK_CAP = 1000  # word matches ranked by BM25; past this many, the first by IRI, shortest first
WORD_CANDIDATES = 64  # word matches read per tier, so a name that starts with the words can lead
WEIGHTS = "10.0, 1.0, 4.0"  # bm25 weights of the fts columns: names, text, ids


class SearchIndex:
    """A build's search index, open for searching from any thread (one connection per thread)."""

    def __init__(self, path: Path, prefixes: dict[str, str] | None = None) -> None:
        """Open and check the index at `path` (BuildCorrupt names a damaged file)."""
        self.path = path
        self._local = threading.local()
        self._local.con = open_index(path)
        self.meta = read_meta(self._local.con)
        self.prefixes = prefixes or graph_prefixes(self.meta.get("base", ""))
        self.kinds: dict[str, int] = dict(sorted(
            ((k, int(n)) for k, _, n in (part.partition("=") for part in
                                         self.meta.get("kinds", "").split(",") if part)),
            key=lambda item: kind_order(item[0])))

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = open_index(self.path)
        return con

    def checked_kinds(self, kinds: Iterable[str]) -> tuple[str, ...]:
        """Return the kinds asked for, each checked: an unknown one is BadSearch naming them all."""
        wanted = tuple(dict.fromkeys(k.strip() for k in kinds if k.strip()))
        unknown = [k for k in wanted if k not in self.kinds]
        if unknown:
            raise BadSearch(f"Unknown kind {unknown[0][:60]!r}; the kinds are: "
                            + ", ".join(self.kinds))
        return wanted

    def search(self, query: str, kinds: Sequence[str] = (), limit: int = MAX_LIMIT, *,
               names_only: bool = False) -> Results:
        """Return the resources matching `query`, best first, at most `limit` (1–100)."""
        text = checked_query(query)
        wanted = self.checked_kinds(kinds)
        limit = max(1, min(limit, MAX_LIMIT))
        run = _Run(self._con(), wanted, limit)
        if not text:
            return Results(text, wanted)
        run.identifiers(query_keys(text, self.prefixes))
        norm = fold(text)
        if norm and not (run.found and " " not in text):  # an identifier found is the answer
            run.names(norm, squashed(text))
            terms = _terms(norm)
            if terms and not run.full():
                run.words(terms, names_only)
            if terms and not run.full():
                fixes = self._corrections(terms)
                if fixes:
                    run.corrected = fixes
                    run.corrected_names(terms, fixes)
                    run.words(terms, names_only, fixes)
        notes = []
        prefix = unknown_prefix(text, self.prefixes)
        if prefix is not None and not run.found:
            notes.append(f"{prefix}: is not a prefix this graph knows; a CURIE needs one of "
                         "its prefixes (see /sparql) or a registry's (CHEBI, doi, PMID, …)")
        return run.results(text, tuple(notes))

    def suggest(self, query: str, kinds: Sequence[str] = (), limit: int = 8) -> Results:
        """Return typeahead suggestions: the same tiers over names and identifiers only."""
        return self.search(query, kinds, limit, names_only=True)

    def _corrections(self, terms: list[str]) -> dict[str, tuple[str, ...]]:
        """Return {word: indexed words one edit away} for correctable words no document has."""
        con = self._con()
        fixes: dict[str, tuple[str, ...]] = {}
        for word in terms:
            if not correctable(word) or _known(con, word):
                continue
            variants = sorted({word[:i] + word[i + 1:] for i in range(len(word))} | {word})
            marks = ", ".join("?" * len(variants))
            rows = con.execute(
                f"SELECT DISTINCT s.word, w.docs FROM spelling s JOIN word w ON w.word = s.word "
                f"WHERE s.variant IN ({marks})", variants).fetchall()
            near = sorted(((-docs, found) for found, docs in rows
                           if found != word and within_one_edit(word, found)))
            if near:
                fixes[word] = tuple(found for _, found in near[:CORRECTIONS])
        return fixes


def checked_query(query: str) -> str:
    """Return the query stripped; one over MAX_QUERY_CHARS characters is BadSearch."""
    if len(query) > MAX_QUERY_CHARS:
        raise BadSearch(f"The search text is {len(query)} characters long; the limit is "
                        f"{MAX_QUERY_CHARS}")
    return query.strip()


def _terms(norm: str) -> list[str]:
    """Return the words a query ANDs: its words without common English ones (unless only those),
    at most MAX_WORDS."""
    every = norm.split()[:MAX_WORDS]
    kept = [w for w in every if w not in STOP_WORDS]
    return kept or every


def _known(con: sqlite3.Connection, word: str) -> bool:
    """Tell whether an indexed word starts with `word` (then it is not corrected)."""
    return con.execute("SELECT 1 FROM word WHERE word >= ? AND word < ? LIMIT 1",
                       (word, word + "\U0010ffff")).fetchone() is not None


def _phrase(word: str, whole: bool = False) -> str:
    """Return one word as an FTS5 string (words hold only letters and digits), a prefix when it
    has two characters or more, unless it is to be matched whole."""
    return f'"{word}"' + ("*" if len(word) >= 2 and not whole else "")


class _Run:
    """One search's state: the tiers run so far and each document's best tier."""

    def __init__(self, con: sqlite3.Connection, kinds: tuple[str, ...], limit: int) -> None:
        self.con = con
        self.kinds = kinds
        self.limit = limit
        self.best: dict[int, tuple[int, int, str]] = {}  # doc → (tier, order, matched)
        self.corrected: dict[str, tuple[str, ...]] = {}

    @property
    def found(self) -> bool:
        """Tell whether any document matched."""
        return bool(self.best)

    def full(self) -> bool:
        """Tell whether more documents than fit the page are found (later tiers can't show)."""
        return len(self.best) > self.limit

    def _common(self, word: str) -> bool:
        """Tell whether a word is whole and in more than COMMON_DOCS documents: matched as a
        prefix, its many forms would have to be merged (10 ms for `claim` at 1 M triples)."""
        row = self.con.execute("SELECT docs FROM word WHERE word = ?", (word,)).fetchone()
        return row is not None and row[0] > COMMON_DOCS

    def _kind_clause(self) -> tuple[str, list[str]]:
        if not self.kinds:
            return "", []
        return f" AND d.kind IN ({', '.join('?' * len(self.kinds))})", list(self.kinds)

    def _add(self, doc: int, tier: int, order: int, matched: str = "") -> None:
        if doc not in self.best or (tier, order) < self.best[doc][:2]:
            self.best[doc] = (tier, order, matched)

    def identifiers(self, keys: list[str]) -> None:
        """Tier 0: documents one of whose identifier keys the query is."""
        clause, args = self._kind_clause()
        marks = ", ".join("?" * len(keys))
        rows = self.con.execute(
            f"SELECT i.doc, i.shown FROM ident i JOIN doc d ON d.id = i.doc "
            f"WHERE i.key IN ({marks}){clause} ORDER BY i.doc", [*keys, *args]).fetchall()
        for doc, shown in rows:
            self._add(doc, tiers.IDENTIFIER, 0, shown)

    def names(self, norm: str, squash: str) -> None:
        """Tiers 1–4: a label or other name equal to the query, then one that starts with it."""
        clause, args = self._kind_clause()
        rows = self.con.execute(
            f"SELECT n.doc, n.is_label, n.text FROM name n JOIN doc d ON d.id = n.doc "
            f"WHERE (n.norm = ? OR n.squash = ?){clause}", [norm, squash, *args]).fetchall()
        for doc, is_label, text in rows:
            self._add(doc, tiers.LABEL if is_label else tiers.NAME, 0, "" if is_label else text)
        if self.full():
            return
        rows = self.con.execute(
            f"SELECT n.doc, n.is_label, n.text FROM name n JOIN doc d ON d.id = n.doc "
            f"WHERE n.norm > ? AND n.norm < ?{clause} ORDER BY n.norm, n.doc LIMIT ?",
            [norm, norm + "\U0010ffff", *args, 3 * (self.limit + 1)]).fetchall()
        for doc, is_label, text in rows:
            tier = tiers.LABEL_PREFIX if is_label else tiers.NAME_PREFIX
            self._add(doc, tier, len(text), "" if is_label else text)

    def corrected_names(self, terms: list[str], fixes: dict[str, tuple[str, ...]]) -> None:
        """Tier 7, first: a label or other name equal to the query with its words corrected
        (each misspelt word by its most frequent correction)."""
        norm = " ".join(fixes[w][0] if w in fixes else w for w in terms)
        clause, args = self._kind_clause()
        rows = self.con.execute(
            f"SELECT n.doc, n.is_label, n.text FROM name n JOIN doc d ON d.id = n.doc "
            f"WHERE n.norm = ?{clause}", [norm, *args]).fetchall()
        for doc, is_label, text in rows:
            self._add(doc, tiers.NAME_SPELLING, -2 if is_label else -1, "" if is_label else text)

    def words(self, terms: list[str], names_only: bool,
              fixes: dict[str, tuple[str, ...]] | None = None) -> None:
        """Tiers 5–8: every word in the names, then anywhere (with corrections: 7–8)."""
        parts = []
        for word in terms:
            options = [_phrase(word, self._common(word))]
            options += [f'"{fix}"' for fix in (fixes or {}).get(word, ())]
            parts.append(options[0] if len(options) == 1 else f"({' OR '.join(options)})")
        expression = " AND ".join(parts)
        runs = [("{names} : (" + expression + ")",
                 tiers.NAME_SPELLING if fixes else tiers.NAME_WORDS)]
        if not names_only:
            runs.append((expression, tiers.SPELLING if fixes else tiers.WORDS))
        clause, args = self._kind_clause()
        wanted = max(self.limit + 1, WORD_CANDIDATES)
        select = f"SELECT f.rowid FROM fts f JOIN doc d ON d.id = f.rowid WHERE fts MATCH ?{clause}"
        for match, tier in runs:
            if self.full():
                return
            found = [doc for (doc,) in self.con.execute(
                f"{select} LIMIT ?", [match, *args, RANK_CAP + 1])]
            if len(found) > RANK_CAP:  # too many to rank: the first ones, shorter names first
                for doc in found[:wanted]:
                    self._add(doc, tier, 0)
                continue
            ranked = self.con.execute(f"{select} ORDER BY bm25(fts, {WEIGHTS}), f.rowid LIMIT ?",
                                      [match, *args, wanted]).fetchall()
            for order, (doc,) in enumerate(ranked):
                self._add(doc, tier, order)

    def results(self, query: str, notes: tuple[str, ...]) -> Results:
        """Return the Results: the best documents in rank order, the rest left out."""
        if not self.best:
            return Results(query, self.kinds, corrections=self.corrected, notes=notes)
        ids = sorted(self.best)
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self.con.execute(
                    f"SELECT id, iri, kind, curie, label, summary, names FROM doc "
                    f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                rows[row[0]] = row
        terms = fold(query).split()
        fixed = [self.corrected[w][0] if w in self.corrected else w for w in terms]

        def key(doc: int) -> tuple[int, bool, int, tuple[int, str], int, str, str]:
            tier, order, _ = self.best[doc]
            row = rows[doc]
            later = tier != tiers.NAME_WORDS or not _starts_with(terms, row[4])
            return (tier, later, order if later else 0, kind_order(row[2]), len(row[4]),
                    row[4].casefold(), row[1])

        ranked = sorted(self.best, key=key)
        hits = []
        for doc in ranked[:self.limit]:
            tier, _, matched = self.best[doc]
            _, iri, kind, curie, label, summary, names = rows[doc]
            if not matched and tier in (tiers.NAME_WORDS, tiers.NAME_SPELLING):
                matched = _name_with(fixed if tier == tiers.NAME_SPELLING else terms, label,
                                     names.split(SEPARATOR) if names else [])
            hits.append(Hit(iri, kind, curie, label, summary, tier, matched))
        return Results(query, self.kinds, tuple(hits), len(ranked) > self.limit,
                       self.corrected, notes)


def _starts_with(terms: list[str], label: str) -> bool:
    """Tell whether the label's first words start with the query's words, in order (`stem cel
    ther` and "stem cell therapy"): such a name leads its tier."""
    first = fold(label).split()[:len(terms)]
    return len(first) == len(terms) and all(w.startswith(t) for w, t in zip(first, terms,
                                                                             strict=True))


def _name_with(terms: list[str], label: str, names: list[str]) -> str:
    """Return the first other name holding every word of the query (when the label does not)."""
    def holds(text: str) -> bool:
        folded = fold(text).split()
        return all(any(w.startswith(t) for w in folded) for t in terms)

    if not terms or holds(label):
        return ""
    return next((name for name in names if holds(name)), "")


def kinds_shown(index: SearchIndex) -> list[tuple[str, str, int]]:
    """Return (kind, plural name, documents) for every kind in the index, in the kinds' order."""
    return [(kind, kind_name(kind, plural=True), count) for kind, count in index.kinds.items()]

"""The build's search index (``search.sqlite``): written once with the build, read per request.

Why SQLite FTS5, from the standard library: it is a real inverted index on disk (BM25 ranking,
prefix indexes, a Porter stemmer), needs no server and no package beyond Python, opens read-only
in microseconds, and a lookup reads a few pages whatever the build's size, which is what a
search box under load needs; the derivation file already uses SQLite the same way. Whoosh and
Tantivy would add a dependency (Whoosh is unmaintained) for what FTS5 does here, and a search
over the query engine (SPARQL regex) scans every literal on every keystroke.

Tables, besides ``meta`` (format, base, counts):

- ``doc(id, iri, kind, curie, label, summary, names)``: what a hit shows (``names`` the other
  names, separated by U+001F);
- ``name(norm, squash, doc, is_label, text)``: every label and other name folded (search.text),
  for exact and prefix matches on an index range;
- ``ident(key, doc, shown)``: the identifier keys (search.identifiers);
- ``fts``: FTS5 over three columns, ``names``, ``text`` and ``ids``, contentless (the text lives in
  ``doc``), Porter-stemmed, with prefix indexes for 2 and 3 characters;
- ``word(word, docs)``: every word of the names and texts with the number of documents holding
  it (a very common whole word is matched whole, not as a prefix: search.searcher);
- ``spelling(variant, word)``: for each word of five letters or more, the strings one deletion
  away (search.text), for the spelling correction.

Deterministic: documents are written in IRI order with ids 1…n and every table in key order, so
one build's documents give the same bytes on the same SQLite version (the receipt names it).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..errors import BuildCorrupt
from .documents import Document
from .identifiers import keys_of_identifier, keys_of_resource, shown_identifier
from .text import correctable, deletions, fold, squashed

FORMAT = "alskg-search/1"
SEPARATOR = "\x1f"
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE doc (id INTEGER PRIMARY KEY, iri TEXT NOT NULL, kind TEXT NOT NULL,
                  curie TEXT NOT NULL, label TEXT NOT NULL, summary TEXT NOT NULL,
                  names TEXT NOT NULL);
CREATE TABLE name (norm TEXT NOT NULL, squash TEXT NOT NULL, doc INTEGER NOT NULL,
                   is_label INTEGER NOT NULL, text TEXT NOT NULL,
                   PRIMARY KEY (norm, doc, text)) WITHOUT ROWID;
CREATE TABLE ident (key TEXT NOT NULL, doc INTEGER NOT NULL, shown TEXT NOT NULL,
                    PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE word (word TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE spelling (variant TEXT NOT NULL, word TEXT NOT NULL,
                       PRIMARY KEY (variant, word)) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5(names, text, ids, content='',
                                    tokenize='porter unicode61 remove_diacritics 2',
                                    prefix='2 3');
"""
INDEXES = "CREATE INDEX name_squash ON name (squash);\nCREATE INDEX doc_kind ON doc (kind);"


def write_index(path: Path, docs: Sequence[Document], base: str) -> int:
    """Write the index of `docs` (sorted by IRI) to `path`; return the number of documents."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA page_size = 4096")
        con.executescript(SCHEMA)
        names: list[tuple[str, str, int, int, str]] = []
        idents: set[tuple[str, int, str]] = set()
        fts: list[tuple[int, str, str, str]] = []
        frequency: Counter[str] = Counter()
        for i, doc in enumerate(docs, start=1):
            for is_label, text in [(1, doc.label), *((0, n) for n in doc.names)]:
                if fold(text):
                    names.append((fold(text), squashed(text), i, is_label, text))
            idents.update((key, i, doc.curie) for key in keys_of_resource(doc.iri, doc.curie))
            for identifier in doc.identifiers:
                shown = shown_identifier(identifier)
                idents.update((key, i, shown) for key in keys_of_identifier(identifier))
            row = (fold(" ".join((doc.label, *doc.names))), fold(" ".join(doc.text)),
                   fold(" ".join(shown_identifier(x) for x in doc.identifiers)))
            fts.append((i, *row))
            frequency.update({w for part in row[:2] for w in part.split()})
        con.executemany("INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?, ?)",
                        ((i, d.iri, d.kind, d.curie, d.label, d.summary, SEPARATOR.join(d.names))
                         for i, d in enumerate(docs, start=1)))
        con.executemany("INSERT OR IGNORE INTO name VALUES (?, ?, ?, ?, ?)", sorted(set(names)))
        con.executemany("INSERT OR IGNORE INTO ident VALUES (?, ?, ?)", sorted(idents))
        con.executemany("INSERT INTO fts (rowid, names, text, ids) VALUES (?, ?, ?, ?)", fts)
        con.executemany("INSERT INTO word VALUES (?, ?)", sorted(frequency.items()))
        con.executemany("INSERT INTO spelling VALUES (?, ?)", sorted(
            {(variant, w) for w in frequency if correctable(w) for variant in deletions(w)}))
        con.executescript(INDEXES)
        kinds = Counter(d.kind for d in docs)
        meta = {"format": FORMAT, "base": base, "documents": str(len(docs)),
                "kinds": ",".join(f"{k}={n}" for k, n in sorted(kinds.items()))}
        con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        con.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        con.commit()
    finally:
        con.close()
    return len(docs)


def open_index(path: Path) -> sqlite3.Connection:
    """Open the index read-only (immutable: no locks), checking its format; a missing or
    unreadable file, or one of another format, is BuildCorrupt naming the file."""
    if not path.is_file():
        raise BuildCorrupt(f"{path}: the build has no search index; run `alskg build` again")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                              check_same_thread=False)
        row = con.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BuildCorrupt(f"{path}: corrupt search index ({exc}); run `alskg build` again"
                           ) from None
    if row is None or row[0] != FORMAT:
        con.close()
        raise BuildCorrupt(f"{path}: search index of another format ({row[0] if row else 'none'}"
                           f", this alskg reads {FORMAT}); run `alskg build` again")
    return con


def read_meta(con: sqlite3.Connection) -> dict[str, str]:
    """Return the index's meta table."""
    return dict(con.execute("SELECT name, value FROM meta ORDER BY name").fetchall())

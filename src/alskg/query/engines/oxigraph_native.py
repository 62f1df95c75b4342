"""Answers written by Oxigraph's own serializers (Rust), with the row cap and deadline exact.

SELECT: pyoxigraph serializes a whole result and offers no way to cap it, so the solutions are
first written as SPARQL TSV into a writer that counts rows (one line per row: TSV escapes tabs and
newlines in terms) and checks the deadline on every buffer Rust hands it; past the cap it stops the
writer, and the bytes are cut at the last whole row. TSV is then served as is, or re-read and
re-written by Oxigraph as JSON, XML or CSV (both steps in Rust). A query whose own top-level LIMIT
is within the cap cannot be truncated: it is written directly in the wanted format (the TSV pass
costs about half again a direct JSON write). CONSTRUCT / DESCRIBE: the triples
pass through a capped, deadline-checked iterator into the one Turtle / N-Triples writer
(formats.graph_writer, Oxigraph's serializers over sorted triples) or `pyoxigraph.serialize`.
ASK as CSV/TSV keeps the `_askResult` shape of formats.py (Oxigraph writes a bare `true`). In
SPARQL XML and RDF/XML a carriage return is written as `&#13;` (Oxigraph writes it raw; XML
readers turn it into a line feed). Truncation is flagged in SPARQL JSON by a `"truncated": true`
member, and by the executor's `X-Result-Truncated` header.
"""

from __future__ import annotations

import time
from typing import Any

import pyoxigraph as ox

from ...formats import media as formats
from ...formats.graph_writer import FROM_NTRIPLES, drop_unused_prefixes, from_ntriples
from .base import QueryOutcome, QueryTimeout, SerializedAnswer

RESULTS_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                 "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                 "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
_PREFIXED = ("turtle", "trig")


class _RowCapReached(Exception):
    """Raised inside the TSV writer to stop Oxigraph once the row cap is passed."""


class _CappedTsvWriter:
    """A binary sink for Oxigraph's writers: counts TSV rows (or N-Triples lines, with no
    header line), enforces the cap and deadline."""

    def __init__(self, max_rows: int, deadline: float | None, header: bool = True) -> None:
        self.max_lines = max_rows + header  # the header line, then one line per row
        self.deadline = deadline
        self.chunks: list[bytes] = []
        self.lines = 0
        self.capped = False
        self.timed_out = False

    def write(self, data: Any) -> int:
        """Keep a buffer Rust wrote; stop the writer past the cap or the deadline."""
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            raise QueryTimeout("query exceeded its time limit")
        if self.lines > self.max_lines:
            self.capped = True
            raise _RowCapReached
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: chunks are kept in memory."""

    def body(self) -> bytes:
        """Return the TSV written, cut after the last row the cap allows."""
        data = b"".join(self.chunks)
        if not self.capped:
            return data
        end = -1
        for _ in range(self.max_lines):
            end = data.index(b"\n", end + 1)
        return data[:end + 1]


def serialize_result(result: Any, format_key: str | None, max_rows: int,
                     deadline: float | None, prefixes: dict[str, str], *,
                     bounded: bool = False) -> SerializedAnswer:
    """Write a pyoxigraph query result in the wanted format (the form's default if None).

    `bounded`: the query's own LIMIT is within the row cap, so solutions are written directly in
    the wanted format (no TSV pass; the rows are then not counted).
    """
    form = ("ASK" if isinstance(result, ox.QueryBoolean)
            else "SELECT" if isinstance(result, ox.QuerySolutions) else "CONSTRUCT")
    fmt = (formats.by_name(format_key, form) if format_key else None) or formats.offered(form)[0]
    if form == "ASK":
        if fmt.key in RESULTS_FORMATS and fmt.key not in ("csv", "tsv"):
            body = result.serialize(format=RESULTS_FORMATS[fmt.key])
        else:
            body = formats.serialize(QueryOutcome("ASK", boolean=bool(result)), fmt, prefixes)
        return SerializedAnswer(form, fmt.key, body)
    if form == "SELECT":
        if bounded:
            return _bounded_solutions(result, fmt.key, deadline)
        return _solutions(result, fmt.key, max_rows, deadline)
    return _triples(result, fmt.key, max_rows, deadline, prefixes)


def _capped_write(result: Any, syntax: Any, max_rows: int, deadline: float | None,
                  header: bool = True) -> _CappedTsvWriter:
    """Have Oxigraph write the result line by line into a capped, deadline-checked writer."""
    writer = _CappedTsvWriter(max_rows, deadline, header)
    try:
        result.serialize(output=writer, format=syntax)
    except (_RowCapReached, QueryTimeout, OSError, ValueError):
        if writer.timed_out:
            raise QueryTimeout("query exceeded its time limit") from None
        if not writer.capped:
            raise
    return writer


def _solutions(result: Any, key: str, max_rows: int, deadline: float | None) -> SerializedAnswer:
    writer = _capped_write(result, ox.QueryResultsFormat.TSV, max_rows, deadline)
    tsv = writer.body()
    rows = tsv.count(b"\n") - 1
    if key == "tsv":
        body = tsv
    else:
        reread = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        written = reread.serialize(format=RESULTS_FORMATS[key])
        assert written is not None  # no output given: the bytes are returned
        body = written
    if key == "xml":  # Oxigraph writes CR raw, which XML parsers read as LF: escape it
        body = body.replace(b"\r", b"&#13;")
    if writer.capped and key == "json":
        body = formats.flag_truncated_json(body)
    return SerializedAnswer("SELECT", key, body, writer.capped, rows)


def _bounded_solutions(result: Any, key: str, deadline: float | None) -> SerializedAnswer:
    """Write solutions that cannot pass the cap straight in the wanted format (deadline kept)."""
    writer = _CappedTsvWriter(2**62, deadline)  # never capped: only the deadline is checked
    try:
        result.serialize(output=writer, format=RESULTS_FORMATS[key])
    except (QueryTimeout, OSError, ValueError):
        if writer.timed_out:
            raise QueryTimeout("query exceeded its time limit") from None
        raise
    body = writer.body()
    if key == "xml":
        body = body.replace(b"\r", b"&#13;")
    return SerializedAnswer("SELECT", key, body, False, None)


def _triples(result: Any, key: str, max_rows: int, deadline: float | None,
             prefixes: dict[str, str]) -> SerializedAnswer:
    if key in FROM_NTRIPLES:  # N-Triples straight from Rust (a line per triple), then sorted
        writer = _capped_write(result, ox.RdfFormat.N_TRIPLES, max_rows, deadline, header=False)
        data = writer.body()
        return SerializedAnswer("CONSTRUCT", key, from_ntriples(data, key, prefixes, deadline),
                                writer.capped, data.count(b"\n"))
    triples: list[Any] = []
    truncated = False
    for count, triple in enumerate(result):
        if count >= max_rows:
            truncated = True
            break
        if deadline is not None and count % 256 == 0 and time.monotonic() > deadline:
            raise QueryTimeout("query exceeded its time limit")
        triples.append(triple)
    if key in ("nquads", "trig"):
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    written = ox.serialize(triples, format=GRAPH_FORMATS[key],
                           prefixes=prefixes if key in _PREFIXED or key == "rdfxml" else None)
    assert written is not None  # no output given: the bytes are returned
    body = written
    if key in _PREFIXED:
        body = drop_unused_prefixes(body)
    elif key == "rdfxml":  # as in SPARQL XML: a raw CR would be read back as LF
        body = body.replace(b"\r", b"&#13;")
    return SerializedAnswer("CONSTRUCT", key, body, truncated, len(triples))

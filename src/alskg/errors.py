"""Exceptions that carry a user-facing message (file, line, node, rule) and an exit code.

Every error the project raises on purpose is an AlskgError. The CLI reports them once (message,
exit code); the web layer maps them to HTTP statuses in one place (`web/http.py`). Query errors
cross the worker-process pipe, so each takes one message argument and pickles.
"""

from __future__ import annotations


class AlskgError(Exception):
    """An error the CLI reports without a traceback."""

    exit_code = 1
    label = ""  # a short kind prefixed to the message where it helps ("malformed query")


class SourceSyntaxError(AlskgError):
    """A data or ontology file does not parse; the message names the file and line."""

    def __init__(self, path: str, line: int | None, detail: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: syntax error: {detail}")
        self.path = path
        self.line = line


class ValidationFailed(AlskgError):
    """The curated data breaks shapes or identifier rules."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} validation problem(s):\n" + "\n".join(problems))
        self.problems = problems


class BuildUnusable(AlskgError):
    """The build folder cannot be served (missing or corrupt)."""


class BuildMissing(BuildUnusable):
    """There is no build yet (no `current` link)."""


class BuildCorrupt(BuildUnusable):
    """A build exists but a file is missing, unreadable or differs from its receipt."""

    exit_code = 2


class StoreCorrupt(BuildUnusable):
    """An on-disk store (`alskg import`) cannot be opened or differs from its record."""

    exit_code = 2


class WriteFailed(AlskgError, OSError):
    """A file could not be written (e.g. the disk is full); the message names the file."""

    exit_code = 2


class InputError(AlskgError):
    """A file or value given on the command line cannot be used (missing, unreadable, binary)."""

    exit_code = 2


class PortInUse(AlskgError):
    """The address `alskg serve` was asked to listen on is taken by another process."""

    exit_code = 2


class QueryError(AlskgError):
    """A query could not be answered; the message says why."""


class QuerySyntaxError(QueryError):
    """A SPARQL query does not parse."""

    exit_code = 2
    label = "malformed query"


class EmptyQuery(QuerySyntaxError):
    """The query text holds nothing but whitespace and comments."""

    label = "empty query"


class UnsafeQuery(QueryError):
    """The request asks for something a read-only, no-fetch endpoint refuses (update, SERVICE)."""

    exit_code = 2


class QueryTimeout(QueryError):
    """The query ran past its deadline and was stopped."""

    exit_code = 3


class ServerBusy(QueryError):
    """Every query worker is occupied, or the one running the query stopped; retry later."""

    exit_code = 3


class MemoryLimit(QueryError):
    """The query needed more memory than a query worker may take (`--max-query-memory`)."""

    exit_code = 3


class NotRepresentable(QueryError):
    """The answer cannot be written in the syntax asked for (e.g. RDF/XML without a QName)."""

    exit_code = 2


class StoreFailed(QueryError):
    """The backing SPARQL store failed, refused the query or sent a broken answer."""


class StoreTimeout(StoreFailed, QueryTimeout):
    """The backing SPARQL store did not answer within the query's time limit (a QueryTimeout
    of the store's making: 504 Gateway Timeout, not 503)."""

    exit_code = 3


class QueryCrashed(QueryError):
    """The engine failed unexpectedly on a query (a fault of this server, not of the query)."""


class BadSearch(AlskgError):
    """A search request asks for something search cannot do (too long a query, an unknown kind)."""

    exit_code = 2


class BadTerm(AlskgError):
    """A term taken from a request is not a valid IRI or literal; nothing was queried."""

    exit_code = 2

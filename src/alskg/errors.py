"""Exceptions that carry a user-facing message (file, line, node, rule) and an exit code."""

from __future__ import annotations


class AlskgError(Exception):
    """An error the CLI reports without a traceback."""

    exit_code = 1


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


class BuildMissing(AlskgError):
    """No usable build directory (missing or corrupt)."""


class WriteFailed(AlskgError, OSError):
    """A file could not be written (e.g. the disk is full); the message names the file."""


class QuerySyntaxError(AlskgError):
    """A SPARQL query does not parse."""

    exit_code = 2

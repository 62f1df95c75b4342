"""Cheap lexical facts about SPARQL text: its form, and whether it asks for SERVICE or LOAD."""

from __future__ import annotations

import re

# Strings (long and short), IRIs and comments are blanked before looking for keywords, so a
# keyword inside a literal, an IRI or a comment is never mistaken for one.
_MASK = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
)
_WORD = re.compile(r"(?<![\w:?$.\-])([A-Za-z]+)(?![\w:\-])")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "ADD", "MOVE", "COPY",
                "WITH")


def masked(text: str) -> str:
    """Return the text with strings, IRIs and comments replaced by spaces."""
    return _MASK.sub(lambda m: " " * len(m.group(0)), text)


def keywords(text: str) -> list[str]:
    """Return the bare words of the query (upper-cased), outside strings, IRIs and comments."""
    return [m.group(1).upper() for m in _WORD.finditer(masked(text))]


def query_form(text: str) -> str | None:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE (the first form keyword), else None."""
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_WORDS:
            return None
    return None


def looks_like_update(text: str) -> bool:
    """Return True when the first operative keyword is an update operation."""
    for word in keywords(text):
        if word in ("PREFIX", "BASE"):
            continue
        return word in UPDATE_WORDS
    return False


def mentions_service(text: str) -> bool:
    """Return True when the query uses SERVICE (federation), which this endpoint refuses."""
    return "SERVICE" in keywords(text)

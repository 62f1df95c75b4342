"""Cheap lexical facts about SPARQL text: its form, and whether it asks for SERVICE or LOAD."""

from __future__ import annotations

import re
from functools import lru_cache

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


def is_blank(text: str) -> bool:
    """Tell whether the text holds no SPARQL at all: only whitespace and comments."""
    return not _MASK.sub(lambda m: "" if m.group(0).startswith("#") else "x", text).strip()


def keywords(text: str) -> list[str]:
    """Return the bare words of the query (upper-cased), outside strings, IRIs and comments."""
    return list(_keywords(text))


@lru_cache(maxsize=64)  # one request asks several questions of the same text
def _keywords(text: str) -> tuple[str, ...]:
    return tuple(m.group(1).upper() for m in _WORD.finditer(masked(text)))


def query_form(text: str) -> str | None:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE (the first form keyword), else None."""
    for word in _keywords(text):
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_WORDS:
            return None
    return None


def looks_like_update(text: str) -> bool:
    """Return True when the first operative keyword is an update operation."""
    for word in _keywords(text):
        if word in ("PREFIX", "BASE"):
            continue
        return word in UPDATE_WORDS
    return False


_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
MAX_NESTING = 64  # deeper nesting makes Oxigraph's parser slow (cubic) or overflow its stack


def unescape_codepoints(text: str) -> str:
    """Apply SPARQL's \\u / \\U codepoint escapes, as parsers do before tokenizing."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _CODEPOINT_ESCAPE.sub(replace, text)


def may_use_service(text: str) -> bool:
    """Return True unless the text cannot contain the SERVICE keyword in any spelling.

    A cheap, deliberately over-inclusive test: any occurrence of "service" (any case, after
    codepoint escapes) makes the query a candidate for the parser-based check.
    """
    return "service" in unescape_codepoints(text).lower()


_UNARY_RUN = re.compile(r"(?:[!+\-]\s*){2,}")
_BRACKETS = re.compile(r"[{}()\[\]]")


def nesting_depth(text: str) -> int:
    """Return how deep a parser must recurse: nested {}, (), [] or a run of unary operators.

    Counted on the raw text, so it over-counts rather than under-counts (a brace inside a string
    counts too): deep recursion crashes some SPARQL parsers.
    """
    depth = deepest = 0
    for char in _BRACKETS.findall(text):
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    unary = max((len(m.group(0).replace(" ", "")) for m in _UNARY_RUN.finditer(text)),
                default=0)
    return max(deepest, unary)


def mentions_service(text: str) -> bool:
    """Return True when the query uses SERVICE (federation), which this endpoint refuses.

    The decision is made on the parse tree (rdflib's SPARQL parser), never on the lexical form:
    a query that mentions "service" and cannot be parsed is treated as using it.
    """
    if not may_use_service(text):
        return False
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
    except Exception:  # noqa: BLE001 - unparseable yet mentions SERVICE: refuse
        return True
    return _contains_service(tree)


def _contains_service(node: object, depth: int = 0) -> bool:
    if depth > 10 * MAX_NESTING:
        return True
    if getattr(node, "name", None) == "ServiceGraphPattern":
        return True
    if isinstance(node, dict):
        return any(_contains_service(v, depth + 1) for v in node.values())
    if isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
        return any(_contains_service(v, depth + 1) for v in node)  # type: ignore[attr-defined]
    return False


_LIMIT = re.compile(r"(?i)\bLIMIT\s+(\d+)")


def top_level_limit(text: str) -> int | None:
    """Return the outermost query's LIMIT (the one after the last closing brace), else None.

    Subqueries sit inside braces, so a LIMIT after the last `}` belongs to the query itself; a
    trailing VALUES block hides it (None: the caller must not rely on a bound it cannot see).
    """
    plain = masked(text)
    match = _LIMIT.search(plain, plain.rfind("}") + 1)
    return int(match.group(1)) if match else None

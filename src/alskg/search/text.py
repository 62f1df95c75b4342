"""Text rules shared by the index writer and the searcher: folding, tokens, spelling neighbours.

Both sides fold text the same way (NFKD, diacritics dropped, case-folded, every run of characters
that is not a letter or digit turned into one space), so the FTS5 tokenizer sees words already
split and a query's words match the index's whatever their accents, case or punctuation.
Typo tolerance is the SymSpell idea at distance 1: a word and every word one deletion away are
stored, so a query word's neighbours are found by exact lookups, then checked (Damerau) here.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W_]+")
FUZZY_MIN = 5          # words shorter than this are never corrected (too many neighbours)
FUZZY_WORD = re.compile(r"[^\W\d_]+")  # only words of letters are corrected, never codes


def fold(text: str) -> str:
    """Return text case-folded, without diacritics, its words separated by single spaces."""
    if text.isascii():
        return " ".join(WORD.findall(text.lower()))
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(WORD.findall(plain))


def words(text: str) -> list[str]:
    """Return the folded words of a text, in order."""
    return fold(text).split()


def squashed(text: str) -> str:
    """Return the folded text without spaces: `AMX-0035`, `amx 0035` and `AMX0035` agree."""
    return fold(text).replace(" ", "")


def correctable(word: str) -> bool:
    """Tell whether a folded word may be corrected: letters only, at least FUZZY_MIN long."""
    return len(word) >= FUZZY_MIN and FUZZY_WORD.fullmatch(word) is not None


def deletions(word: str) -> set[str]:
    """Return the word and every string one deletion away (the spelling table's keys)."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """Tell whether two words are at most one edit apart: an insertion, a deletion, a
    substitution or a swap of two neighbouring letters (Damerau-Levenshtein distance ≤ 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def first_sentence(text: str, limit: int = 160) -> str:
    """Return the first sentence of a text on one line, cut at `limit` characters with '…'."""
    line = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z(])", line)
    if match:
        line = line[:match.start()]
    return clip(line, limit)


def clip(text: str, limit: int) -> str:
    """Return text cut at a word boundary to at most `limit` characters, marked with '…'."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0] if " " in text[:limit - 1] else text[:limit - 1]
    return cut.rstrip(" ,;:") + "…"

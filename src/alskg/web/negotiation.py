"""Content negotiation: the best offered media type for an Accept header, memoized per header.

The rules are Werkzeug's (`MIMEAccept.best_match`: q-values, wildcards, `q=0`, specificity); what
is added is a bounded memo on the app's Negotiator, because clients send the same few Accept
strings over and over and parsing and matching one costs ~50 µs of Python per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

MEMO_ENTRIES = 512  # distinct (Accept, offered) pairs kept; clients send a handful


class Negotiator:
    """Pick media types for Accept headers; one per app, its memo bounded (least recent out)."""

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self._best = lru_cache(maxsize=entries)(_best_match)

    def best(self, accept: str | None, offered: Sequence[str],
             default: str | None = None) -> str | None:
        """Return the best offered type for `accept`, `default` (else the first offered) when
        the header is absent or empty, None when nothing offered is acceptable."""
        if not accept:
            return default or offered[0]
        return self._best(accept, tuple(offered))

    @property
    def memo_size(self) -> int:
        """Return how many (Accept, offered) answers the memo holds now."""
        return int(self._best.cache_info().currsize)


def _best_match(accept: str, offered: tuple[str, ...]) -> str | None:
    return parse_accept_header(accept, MIMEAccept).best_match(offered)

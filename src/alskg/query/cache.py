"""A bounded, thread-safe LRU cache of serialized responses (the dataset never changes)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ResponseCache(Generic[V]):
    """Keep at most `entries` values and `max_bytes` of them, evicting the least recently used."""

    def __init__(self, entries: int, max_bytes: int | None = None) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """Return the cached value and mark it recent, or None."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting the oldest beyond the bounds."""
        if self.entries <= 0:
            return
        size = _size(value)
        if self.max_bytes is not None and size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= _size(old)
            self._data[key] = value
            self.bytes += size
            while len(self._data) > self.entries or (
                    self.max_bytes is not None and self.bytes > self.max_bytes):
                _, evicted = self._data.popitem(last=False)
                self.bytes -= _size(evicted)


def _size(value: object) -> int:
    size = getattr(value, "size", None)
    if isinstance(size, int):
        return size
    body = getattr(value, "body", b"")
    return len(body) if isinstance(body, bytes) else 0

"""The import's progress line on a terminal: bytes read, triples, triples per second."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """A one-line progress display on a terminal (bytes, triples per second); silent otherwise."""

    def __init__(self, stream: IO[str] | None = None, enabled: bool | None = None,
                 interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def update(self, label: str, done_bytes: int, total_bytes: int, triples: int,
               started: float, force: bool = False) -> None:
        """Redraw the line at most every `interval` seconds."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        elapsed = max(now - started, 1e-6)
        share = done_bytes / total_bytes if total_bytes else 1.0
        width = 24
        bar = "#" * int(width * share) + "-" * (width - int(width * share))
        line = (f"\r{label[-40:]:<40} [{bar}] {share:6.1%}  {done_bytes / 1e6:8.1f} MB  "
                f"{triples:>11,} triples  {triples / elapsed:>10,.0f} triples/s  "
                f"{done_bytes / 1e6 / elapsed:6.1f} MB/s")
        self.stream.write(line)
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        """End the line."""
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

"""A build's derivation file as a server reads it: checked once, then read from that open file.

The file is checked against the receipt's SHA-256 when a process first opens it; the process then
keeps that SQLite connection (read-only, immutable) for its life, so /explain never reads a file
nobody checked, nor one put in its place later.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from ..assembly.store import file_sha256
from ..errors import BuildCorrupt
from ..reasoning.derivation_file import INFERRED, DerivationFile
from ..reasoning.explain import Explanation
from ..reasoning.terms import Triple


class CheckedDerivations(DerivationFile):
    """A derivation file opened once, after its SHA-256 matched the receipt."""

    def __init__(self, path: Path, sha256: str) -> None:
        """Check the file and open it; BuildCorrupt naming it when it is missing or differs."""
        super().__init__(path)
        if not path.is_file():
            raise BuildCorrupt(f"{path}: the derivation file is missing; run `alskg build` again")
        self._con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                    check_same_thread=False)
        self._con.execute("SELECT 1 FROM meta LIMIT 1")  # the file is open from here on
        if file_sha256(path) != sha256:
            self._con.close()
            raise BuildCorrupt(f"{path}: corrupt derivation file (SHA-256 differs from the "
                               "receipt); run `alskg build` again")
        self._lock = threading.Lock()

    def exists(self) -> bool:
        """The file was there and checked when opened."""
        return True

    def explain(self, triple: Triple) -> Explanation | None:
        """Return the derivation tree of an inferred triple from the opened file."""
        with self._lock:
            s, p, o = (self._id(self._con, term) for term in triple)
            if s is None or p is None or o is None:
                return None
            return self._tree(self._con, (s, p, o), INFERRED, frozenset(), {})

    def close(self) -> None:
        """Close the file."""
        self._con.close()

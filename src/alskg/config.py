"""Server settings: defaults, overridable by a mapping and by ALSKG_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .curation.namespaces import DEFAULT_BASE

DEFAULTS: dict[str, Any] = {
    "ALSKG_BUILD_DIR": None,           # folder holding builds/ and current (default ./.alskg)
    "ALSKG_BUILD_PATH": None,          # one build folder to serve (`alskg serve` pins it)
    "ALSKG_STORE_VERSION": None,       # one version folder of ALSKG_STORE_PATH (pinned too)
    "ALSKG_ENGINE": "oxigraph",        # oxigraph | rdflib | remote
    "ALSKG_STORE": None,               # sparql+http://host/sparql for the remote engine
    "ALSKG_STORE_AUTH": None,          # "user:password" for the remote store, if it needs one
    "ALSKG_STORE_PATH": None,          # an on-disk Oxigraph store filled by `alskg import`
    "ALSKG_EXECUTOR": "pool",          # pool (killable worker processes) | inline
    "ALSKG_QUERY_WORKERS": 2,          # worker processes per server process
    "ALSKG_QUERY_TIMEOUT": 10.0,       # seconds before a query is stopped (503)
    "ALSKG_MAX_QUERY_MEMORY": 1024,    # MiB a query worker may grow by (503 past it; 0: no cap)
    "ALSKG_BODY_TIMEOUT": 10.0,        # seconds for a request body to arrive (408 past it)
    "ALSKG_MAX_SLOW_UPLOADS": 64,      # slow request bodies waited for per server process
    "ALSKG_MAX_ROWS": 10_000,          # rows (or triples) returned before truncation
    "ALSKG_MAX_QUERY_CHARS": 65_536,   # longer query text is refused (413)
    "ALSKG_CACHE_ENTRIES": 1024,       # cached responses (the dataset is immutable)
    "ALSKG_CACHE_ENTRY_BYTES": 4_194_304,
    "ALSKG_CACHE_TOTAL_BYTES": 268_435_456,  # all cached answers of one server process
    "ALSKG_BASE": DEFAULT_BASE,        # the graph's IRI base; mapped onto this server's host
    "ALSKG_SERVICE_ALLOWLIST": (),     # SERVICE endpoints an operator allows (none by default)
    "ALSKG_METRICS": "on",             # on | off: the operator metrics at /metrics
    "MAX_CONTENT_LENGTH": 1_048_576,   # request bodies larger than this get 413
}
_INT_KEYS = {"ALSKG_QUERY_WORKERS", "ALSKG_MAX_ROWS", "ALSKG_MAX_QUERY_CHARS",
             "ALSKG_CACHE_ENTRIES", "ALSKG_CACHE_ENTRY_BYTES", "ALSKG_CACHE_TOTAL_BYTES",
             "MAX_CONTENT_LENGTH", "ALSKG_MAX_QUERY_MEMORY", "ALSKG_MAX_SLOW_UPLOADS"}
_FLOAT_KEYS = {"ALSKG_QUERY_TIMEOUT", "ALSKG_BODY_TIMEOUT"}
_OLD_NAMES = {"ALSKG_BUILD_ROOT": "ALSKG_BUILD_DIR"}  # still read, under their new name


def settings(overrides: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then ALSKG_* environment variables, then overrides."""
    environ = os.environ if environ is None else environ
    result = dict(DEFAULTS)
    for old, new in _OLD_NAMES.items():
        if old in environ and new not in environ:
            result[new] = environ[old]
    for key in DEFAULTS:
        if key in environ:
            result[key] = _coerce(key, environ[key])
    for key, value in (overrides or {}).items():
        result[_OLD_NAMES.get(key, key)] = value
    return result


def _coerce(key: str, value: str) -> Any:
    if key in _INT_KEYS:
        return int(value)
    if key in _FLOAT_KEYS:
        return float(value)
    return value

"""The ceiling: a WSGI app that returns a fixed body, served by the same gunicorn as alskg.

The body is read from $BENCH_STATIC_BODY (a file; alskg's cached answer to the named query, so
both send the same bytes) or is a small JSON document.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

_path = os.environ.get("BENCH_STATIC_BODY")
if _path:
    with open(_path, "rb") as _handle:
        BODY = _handle.read()
else:
    BODY = b'{"head": {"vars": []}, "results": {"bindings": []}}'
HEADERS = [("Content-Type", "application/sparql-results+json"),
           ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Return the same body for every request."""
    start_response("200 OK", HEADERS)
    return [BODY]

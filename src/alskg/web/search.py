"""Search on the web: /search (HTML, or JSON by Accept), /search.json and the typeahead
/search/suggest (JSON), over the build's search index (alskg.search).

`q` is the text (an empty one gives the search page, a 400 in JSON, no suggestions), `kind` one
or more kinds, comma-separated (an unknown one is a 400 naming the kinds), and for suggestions
`limit` (1–20, default 8). A query longer than 500 characters is a 400. A URL of this server
(`http://host/id/…`) is read as the IRI it serves. Answers carry an ETag from the build's
content hash and `Link: rel=alternate` between the page and its JSON. The JSON shapes are in
docs/search.md.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..errors import AlskgError
from ..search.kinds import kind_name
from ..search.results import Results
from ..search.searcher import MAX_QUERY_CHARS, SearchIndex, kinds_shown
from .http import (
    HTML,
    JSON,
    HttpError,
    answer,
    message_of,
    negotiate,
    not_modified,
    service,
    status_of,
)
from .linked_data.present import local_href

blueprint = Blueprint("search", __name__)

SUGGEST_LIMIT, SUGGEST_MAX = 8, 20
PAGE_LIMIT = 100


def search_index() -> SearchIndex:
    """Return the app's SearchIndex, opening (and checking) the build's index on first use."""
    found: SearchIndex | None = current_app.extensions.get("alskg.search")
    if found is None:
        svc = service()
        found = SearchIndex(svc.build.search_file, svc.prefixes)
        current_app.extensions["alskg.search"] = found
    return found


def _href(iri: str) -> str:
    return local_href(service(), iri) or iri


def _query_text() -> str:
    """Return `q`, a URL of this server read as the IRI it serves."""
    text = request.args.get("q", "")
    root = request.url_root
    if text.strip().startswith(root):
        text = service().base + text.strip()[len(root):]
    return text


def _kinds() -> list[str]:
    return [part for value in request.args.getlist("kind") for part in value.split(",")]


def _run(wanted: str, limit: int, suggest: bool = False) -> Results:
    """Search with the request's parameters; bad input (400) or a build without a usable index
    (503) is an error in the wanted media type."""
    try:
        index = search_index()
        if suggest:
            return index.suggest(_query_text(), _kinds(), limit)
        return index.search(_query_text(), _kinds(), limit)
    except AlskgError as exc:
        raise HttpError(status_of(exc), message_of(exc), media=wanted) from None


@blueprint.get("/search")
def search_page() -> Response:
    """Search: the HTML page for people, JSON by Accept."""
    wanted = negotiate([HTML, JSON])
    if wanted is None:
        raise HttpError(406, "Not acceptable: search results are available as text/html, "
                        "application/json", media=JSON, headers={"Vary": "Accept"})
    return _respond(wanted, negotiated=True)


@blueprint.get("/search.json")
def search_json() -> Response:
    """Search, answered as JSON."""
    return _respond(JSON, negotiated=False)


def _respond(wanted: str, negotiated: bool) -> Response:
    svc = service()
    etag = svc.etag(("search", wanted, request.query_string, request.url_root))
    cached = not_modified(etag, negotiated)
    if cached is not None:
        return cached
    results = _run(wanted, PAGE_LIMIT)
    if wanted == JSON and not results.query:
        raise HttpError(400, "Parameter 'q' is required: the text to search for (a name, "
                        "words, or an identifier such as NCT01281189 or CHEBI:8863)", media=JSON)
    keep = _keep()
    alternates = [(url_for("search.search_page", _external=True) + keep, HTML),
                  (url_for("search.search_json", _external=True) + keep, JSON)]
    if wanted == JSON:
        # compact: with `indent` the json module drops its C encoder (2 ms for 100 results)
        body = json.dumps(results.to_json(_href), ensure_ascii=False) + "\n"
    else:
        body = render_template(
            "search.html", results=results, groups=results.groups(), href=_href,
            kinds=kinds_shown(search_index()), chosen=set(results.kinds),
            json_url=url_for("search.search_json") + keep, kind_name=kind_name,
            max_chars=MAX_QUERY_CHARS, limit=PAGE_LIMIT)
    return answer(body, wanted, etag=etag, negotiated=negotiated,
                  alternates=[(url, kind) for url, kind in alternates if kind != wanted])


def _keep() -> str:
    """Return the query string of the request's search parameters (for links to other forms)."""
    pairs = [(name, value) for name in ("q", "kind") for value in request.args.getlist(name)]
    return "?" + urlencode(pairs) if pairs else ""


@blueprint.get("/search/suggest")
def suggest() -> Response:
    """Typeahead: a few suggestions as JSON (`label`, `kind`, `curie`, `iri`, `href`,
    `matched`), best first."""
    svc = service()
    raw = request.args.get("limit", str(SUGGEST_LIMIT)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= SUGGEST_MAX:
        raise HttpError(400, f"Parameter 'limit' must be a whole number from 1 to {SUGGEST_MAX}",
                        media=JSON, parameter="limit")
    etag = svc.etag(("suggest", request.query_string, request.url_root))
    cached = not_modified(etag, negotiated=False)
    if cached is not None:
        return cached
    results = _run(JSON, int(raw), suggest=True)
    document: dict[str, Any] = {
        "q": results.query, "kind": list(results.kinds) or None,
        "suggestions": [hit.suggestion(_href) for hit in results.hits]}
    return answer(json.dumps(document, ensure_ascii=False) + "\n", JSON, etag=etag)

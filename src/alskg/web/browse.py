"""List pages: /interventions, /studies, /claims, /publications, /regulatory, /phenotypes.

Each is a sortable, filterable table (query.listing) over a named query's rows, answered as HTML
for people, JSON and CSV by Accept or by suffix (`/studies.csv`), with the same ETag rules as the
other pages. A bad sort column, filter or page is a 400 naming the parameter.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for

from ..query.evidence import EvidenceError, make_link, named_rows
from ..query.listing import KINDS, ListingError, ListKind, Table, kind_named, table
from .http import HTML, JSON, HttpError, answer, negotiate, not_acceptable, not_modified, service

blueprint = Blueprint("browse", __name__)

CSV = "text/csv"
NAMES = ",".join(k.name for k in KINDS)
SUFFIXES = {"json": JSON, "csv": CSV}


@blueprint.get(f"/<any({NAMES}):name>")
def listing(name: str) -> Response:
    """Show one list: HTML, JSON or CSV by Accept."""
    wanted = negotiate([HTML, JSON, CSV])
    if wanted is None:
        raise not_acceptable(f"the list of {name}", [HTML, JSON, CSV], media=JSON)
    return _respond(name, wanted)


@blueprint.get(f"/<any({NAMES}):name>.<any(json,csv):suffix>")
def listing_as(name: str, suffix: str) -> Response:
    """Return one list as JSON or CSV, chosen by the suffix."""
    return _respond(name, SUFFIXES[suffix])


def _respond(name: str, wanted: str) -> Response:
    kind = kind_named(name)
    assert kind is not None  # the route only matches known names
    svc = service()
    args = {k: v for k, v in request.args.items()}
    etag = svc.etag(("list", name, wanted, tuple(sorted(args.items())), request.script_root))
    cached = not_modified(etag)
    if cached is not None:
        return cached
    try:
        rows = named_rows(svc, kind.query)
        page = table(kind, rows, args)
    except ListingError as exc:
        raise HttpError(400, f"Bad parameter {exc.parameter!r}: {exc.message}",
                        media=JSON if wanted != HTML else None) from None
    except EvidenceError as exc:
        raise HttpError(503, str(exc), media=JSON) from None
    if wanted == JSON:
        body = json.dumps(_with_links(page), ensure_ascii=False, indent=1) + "\n"
    elif wanted == CSV:
        body = _csv(page)
    else:
        body = render_template("list.html", table=page, kinds=KINDS, rows=_links(page),
                               choices=_choices(kind, rows), sort_url=_sort_url,
                               page_url=_page_url, args=args,
                               json_url=_format_url(name, "json"),
                               csv_url=_format_url(name, "csv"))
    return answer(body, wanted, etag=etag, negotiated=True,
                  alternates=[(_format_url(name, "json"), JSON), (_format_url(name, "csv"), CSV)])


def _links(page: Table) -> list[tuple[str, dict[str, str]]]:
    """Return (href, row) for each row: the link column's IRI as a site path."""
    base = service().base
    out = []
    for row in page.rows:
        iri = row.get(page.kind.link, "")
        href = make_link(iri, row.get("label"), base).href if iri else ""
        out.append((request.script_root + href if href.startswith("/") else href, dict(row)))
    return out


def _with_links(page: Table) -> dict[str, object]:
    document = page.to_json()
    document["rows"] = [{"href": href, **row} for href, row in _links(page)]
    return document


def _csv(page: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = [page.kind.link, *(c.key for c in page.kind.columns)]
    writer.writerow(keys)
    for row in page.rows:
        writer.writerow([row.get(k, "") for k in keys])
    return out.getvalue()


def _choices(kind: ListKind, rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """Return the values each filterable column takes (split on commas), for the filter menus."""
    found: dict[str, set[str]] = {c.key: set() for c in kind.columns if c.filter}
    for row in rows:
        for key in found:
            for part in str(row.get(key, "")).split(", "):
                if part.strip():
                    found[key].add(part.strip())
    return {key: sorted(values, key=str.casefold) for key, values in found.items()}


def _format_url(name: str, suffix: str) -> str:
    query = urlencode(dict(request.args.items()))
    return url_for("browse.listing_as", name=name, suffix=suffix) + (f"?{query}" if query else "")


def _sort_url(key: str, current: str, descending: bool) -> str:
    args = {k: v for k, v in request.args.items() if k != "page"}
    args["sort"] = ("" if key != current or descending else "-") + key
    return "?" + urlencode(args)


def _page_url(number: int) -> str:
    args = dict(request.args.items())
    args["page"] = str(number)
    return "?" + urlencode(args)

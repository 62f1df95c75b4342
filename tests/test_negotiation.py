"""The app's Negotiator picks what Werkzeug's Accept matching picks, and its memo stays bounded."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from alskg.formats import media
from alskg.web.negotiation import Negotiator

ACCEPTS = [
    "application/sparql-results+json", "text/csv", "text/*", "*/*", "image/png",
    "text/csv;q=0.5, application/sparql-results+xml", "application/json",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/sparql-results+json;q=0, text/csv", "*/*;q=0", "text/turtle",
    "application/rdf+xml, text/turtle;q=0.9", "TEXT/CSV",
    "application/*;q=0.2, text/tab-separated-values",
]


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("form", ["SELECT", "CONSTRUCT"])
def test_same_choice_as_werkzeug(accept: str, form: str) -> None:
    offered = media.media_types(form)
    negotiator = Negotiator()
    expected = parse_accept_header(accept, MIMEAccept).best_match(offered)
    assert negotiator.best(accept, offered) == expected
    assert negotiator.best(accept, offered) == expected  # the memoized answer too


def test_no_accept_header_gets_the_default() -> None:
    negotiator = Negotiator()
    assert negotiator.best(None, ["text/turtle", "text/html"]) == "text/turtle"
    assert negotiator.best("", ["text/turtle", "text/html"], "text/html") == "text/html"


def test_memo_is_bounded() -> None:
    negotiator = Negotiator(entries=16)
    for number in range(500):
        assert negotiator.best(f"application/x-{number}, text/csv", ["text/csv"]) == "text/csv"
    assert negotiator.memo_size <= 16

"""Bad input on the linked-data routes: 404 or 400 with the one error shape, never a 500, and no
term from a request ever pasted into query text (issue 15, parts 1 and 2)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Literal, URIRef

from alskg.errors import BadTerm
from alskg.formats.terms import checked, parse_term

WEB = Path(__file__).resolve().parents[1] / "src" / "alskg" / "web"
AWKWARD = ["a b", "x> }", '"', "{}", "\\", "\x00", "%FF", "a\r\nb", "x" * 5000, "\U0001f9ea",
           "%C0%AF", "x:y", "_:b", "%", "'", "`", "^^", "<x>", "..%2f..", "é"]
ROUTES = ["/id/{}", "/id/disease/als.{}", "/build/{}", "/vocab/{}", "/graph/{}", "/dataset.{}",
          "/vocab.{}", "/explain?s={}&p=x&o=y"]
ACCEPTS = ["text/html", "text/turtle", "application/json"]
QUERY_CALLS = {"rows", "ask", "outcome", "query", "request", "run"}


def error_body(response: object, accept: str) -> str:
    """Parse an error response in the shape its media type promises; return its message."""
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    mimetype = response.mimetype  # type: ignore[attr-defined]
    if mimetype == "application/json":
        document = json.loads(body)
        assert document["ok"] is False
        assert document["status"] == response.status_code  # type: ignore[attr-defined]
        return str(document["error"])
    if mimetype == "text/html":
        assert "<h1>" in body and "Traceback" not in body
        return body
    assert mimetype == "text/plain", (mimetype, accept)
    return body


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/id/a%20b", 404, "is not in this graph"),
    ("/id/disease/als.%7Bbad%7D", 404, "is not in this graph"),
    ("/build/a%22b", 404, "is not in this graph"),
    ("/vocab/a%20b", 404, "is not in this graph"),
    ("/explain?s=%3Cjunk&p=x&o=y", 400, "Cannot read the triple"),
])
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_reported_500s_are_clear_errors(client: FlaskClient, path: str, status: int,
                                            says: str, accept: str) -> None:
    """Each request the issue found answering 500 now says what is wrong, in the asked shape."""
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == status
    assert says in error_body(response, accept)
    if accept == "application/json":
        assert response.mimetype == "application/json"


def test_no_route_answers_5xx_to_awkward_strings(client: FlaskClient) -> None:
    """20 awkward strings on each linked-data route, with three Accept values: never 5xx."""
    failures = []
    for route in ROUTES:
        for text in AWKWARD:
            path = route.format(quote(text, safe="%") if "?" not in route else quote(text))
            for accept in ACCEPTS:
                response = client.get(path, headers={"Accept": accept})
                if response.status_code >= 500:
                    failures.append((path[:80], accept, response.status_code))
                elif response.status_code >= 400:
                    error_body(response, accept)
    assert not failures, failures[:10]


def test_a_bad_term_is_refused_before_any_query(app: Flask) -> None:
    """The query service checks every bound term: a bad IRI never reaches an engine."""
    svc = app.extensions["alskg"]
    with pytest.raises(BadTerm):
        svc.request("ASK { ?x ?p ?o }", bindings={"x": URIRef("a b")})
    with pytest.raises(BadTerm):
        checked(Literal("x", datatype=URIRef("no datatype")))
    with pytest.raises(BadTerm):
        parse_term("<junk", {})
    assert parse_term('"7"^^<http://www.w3.org/2001/XMLSchema#integer>', {}) == Literal(7)


def _query_text_arguments(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """Return the first argument of every call that hands query text to the query layer."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in QUERY_CALLS and node.args:
            found.append((node.lineno, node.args[0]))
    return found


def test_views_never_build_query_text() -> None:
    """Every query a view runs is fixed text (a module constant) or a query the client or the
    catalog wrote whole; terms travel as bindings. No f-string, concatenation or format call."""
    built = []
    for path in sorted(WEB.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id for node in tree.body if isinstance(node, ast.Assign)
                     for target in node.targets if isinstance(target, ast.Name)}
        for line, argument in _query_text_arguments(tree):
            if isinstance(argument, ast.Name) and argument.id in constants:
                continue  # fixed text
            if isinstance(argument, ast.Attribute) and argument.attr in ("text", "query"):
                continue  # a named query's text, or the client's own SPARQL
            if isinstance(argument, ast.Name) and argument.id in ("query_request", "request"):
                continue  # an already built QueryRequest
            built.append(f"{path.relative_to(WEB)}:{line}: {ast.unparse(argument)[:60]}")
    assert not built, built

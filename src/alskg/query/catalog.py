"""The catalog of named queries: `queries/*.rq`, grlc-style `#+` headers, typed parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ..curation import paths as resources
from ..curation.namespaces import prefixes
from ..errors import AlskgError, SourceSyntaxError

PARAM_TYPES = ("iri", "curie", "string", "integer", "date")
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class ParameterError(AlskgError, ValueError):
    """A parameter value that does not fit its declared type (HTTP 400 / CLI exit 2)."""

    exit_code = 2

    def __init__(self, name: str, expected: str, value: str, detail: str = "") -> None:
        message = f"parameter {name!r} expects {expected}, got {value!r}"
        super().__init__(message + (f": {detail}" if detail else ""))
        self.name = name
        self.expected = expected


def _valid_iri(text: str) -> bool:
    """Return True when the text is an IRI the query engines accept (RFC 3987, Oxigraph)."""
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a named query, bound to the variable `?_<name>`."""

    name: str
    type: str
    default: str | None = None
    example: str | None = None
    description: str = ""

    @property
    def variable(self) -> str:
        """Return the SPARQL variable name (without `?`) the value is bound to."""
        return f"_{self.name}"

    def bind(self, raw: str, base_prefixes: dict[str, str] | None = None) -> Node:
        """Convert a raw string to a typed RDF term, or raise ParameterError."""
        if self.type == "iri":
            if not _IRI_SCHEME.match(raw) or _IRI_FORBIDDEN.search(raw) or not _valid_iri(raw):
                raise ParameterError(self.name, "an absolute IRI", raw)
            return URIRef(raw)
        if self.type == "curie":
            prefix, sep, local = raw.partition(":")
            table = base_prefixes or prefixes()
            if sep and prefix in ("http", "https") and local.startswith("//") \
                    and not _IRI_FORBIDDEN.search(raw) and _valid_iri(raw):
                return URIRef(raw)  # an absolute IRI is as good as its CURIE
            if not sep or prefix not in table or _IRI_FORBIDDEN.search(local) or \
                    not _valid_iri(table[prefix] + local):
                raise ParameterError(self.name, "a CURIE with a known prefix (e.g. HP:0003484)",
                                     raw)
            return URIRef(table[prefix] + local)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", raw.strip()):
                raise ParameterError(self.name, "an integer", raw)
            return Literal(int(raw), datatype=XSD.integer)
        if self.type == "date":
            try:
                return Literal(date.fromisoformat(raw.strip()), datatype=XSD.date)
            except ValueError:
                raise ParameterError(self.name, "a date (YYYY-MM-DD)", raw) from None
        return Literal(raw)


@dataclass(frozen=True)
class NamedQuery:
    """One named query: its name, headers, SPARQL text and parameters."""

    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        """Return a human title (the summary)."""
        return self.summary

    def bindings(self, raw: dict[str, str], base_prefixes: dict[str, str] | None = None
                 ) -> dict[str, Node]:
        """Return typed bindings for the given raw values, falling back to defaults."""
        bound: dict[str, Node] = {}
        for param in self.params:
            value = raw.get(param.name)
            if value is None or value == "":
                value = param.default
            if value is None:
                continue
            bound[param.variable] = param.bind(value, base_prefixes)
        unknown = sorted(set(raw) - {p.name for p in self.params})
        if unknown:
            names = ", ".join(p.name for p in self.params) or "none"
            raise ParameterError(unknown[0], f"a declared parameter ({names})", raw[unknown[0]],
                                 "unknown parameter")
        return bound


def parse_headers(text: str, path: Path | None = None) -> dict[str, Any]:
    """Parse the leading `#+ key: value` lines of a query as YAML.

    A header that is not valid YAML raises SourceSyntaxError naming the file and the line.
    """
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[2:].removeprefix(" "))
        elif line.strip() and not line.startswith("#"):
            break
    if not lines:
        return {}
    try:
        data = yaml.safe_load("\n".join(lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SourceSyntaxError(str(path or "query"), mark.line + 1 if mark else None,
                                f"query header: {exc.problem}") from None
    return data if isinstance(data, dict) else {}


def load_query(path: Path) -> NamedQuery:
    """Read one `.rq` file into a NamedQuery."""
    text = path.read_text(encoding="utf-8")
    headers = parse_headers(text, path)
    params = []
    for entry in headers.get("params") or []:
        kind = str(entry.get("type", "string")).lower()
        if kind not in PARAM_TYPES:
            raise SourceSyntaxError(str(path), None, f"parameter {entry.get('name')!r} has "
                                    f"unknown type {kind!r}")
        params.append(Parameter(
            str(entry["name"]), kind,
            None if entry.get("default") is None else str(entry["default"]),
            None if entry.get("example") is None else str(entry["example"]),
            str(entry.get("description", "")),
        ))
    tags = headers.get("tags") or []
    return NamedQuery(
        name=query_name(path), path=path, text=text,
        summary=str(headers.get("summary", "")).strip(),
        description=str(headers.get("description", "")).strip(),
        tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
        params=tuple(params),
    )


def query_name(path: Path) -> str:
    """Return the URL name of a query file: its stem without a leading number."""
    return re.sub(r"^\d+[-_]", "", path.stem)


def load_catalog(folder: Path | None = None) -> tuple[NamedQuery, ...]:
    """Return every named query in `queries/` (not the rules), in file order."""
    folder = folder or resources.queries_dir()
    return tuple(load_query(p) for p in sorted(folder.glob("*.rq")))


def find_query(name: str, catalog: tuple[NamedQuery, ...] | None = None) -> NamedQuery | None:
    """Return the named query called `name` (from `catalog`, else from `queries/`), or None."""
    for query in load_catalog() if catalog is None else catalog:
        if query.name == name or query.path.stem == name:
            return query
    return None

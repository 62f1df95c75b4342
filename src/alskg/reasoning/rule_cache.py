"""Parsed domain rules kept between builds, so a build parses only the rule files that changed.

rdflib's SPARQL parser takes about half a second for the ten rules of ``queries/rules``, on every
build, for a parsed form of a few kilobytes. The parsed rules are kept in a JSON file in the
machine's cache folder (beside the registry cache; shared by every build root), keyed by the alskg
and rdflib versions and by each rule file's name and SHA-256; terms are written in N3 and read back
with ``rdflib.util.from_n3``. A rule is stored only when it reads back equal to what the parser
gave, and an entry or a file that cannot be read (or comes from other versions) is ignored: the
parser stays the source of truth.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rdflib.term import Node, Variable
from rdflib.util import from_n3

from .. import __version__
from .domain import DomainRule, Pattern, SubSelect, parse_rule

RULES_CACHE_FILE = "rules-cache.json"


class RuleCache:
    """A parse function backed by the cache file; `save()` writes what it parsed."""

    def __init__(self, cache_path: Path | None) -> None:
        """Read the cache file at `cache_path` (None: parse every rule, keep nothing)."""
        self.cache_path = cache_path
        self.versions = {"alskg": __version__, "rdflib": version("rdflib")}
        self.stored: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        if cache_path is not None and cache_path.is_file():
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                document = json.loads(cache_path.read_text(encoding="utf-8"))
                if document["versions"] == self.versions:
                    self.stored = dict(document["rules"])

    def parse(self, name: str, text: str) -> DomainRule:
        """Return the rule file `name` with `text` parsed: from the cache, or by the parser."""
        key = hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()
        if key in self.stored:
            with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
                rule = decode(self.stored[key])
                self.used[key] = self.stored[key]
                return rule
        rule = parse_rule(name, text)
        encoded = encode(rule)
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            if decode(encoded) == rule:
                self.used[key] = encoded
        return rule

    def save(self) -> None:
        """Write the rules parsed or read this time (atomically; skipped when unchanged or
        the folder is read-only)."""
        if self.cache_path is None or self.used == self.stored:
            return
        document = {"versions": self.versions, "rules": dict(sorted(self.used.items()))}
        temporary = self.cache_path.with_name(f".{RULES_CACHE_FILE}.{os.getpid()}")
        with contextlib.suppress(OSError):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, self.cache_path)


def encode(rule: DomainRule) -> dict[str, Any]:
    """A rule as JSON: its fields, with every term in N3."""
    return {"name": rule.name, "summary": rule.summary, "stratum": rule.stratum,
            "select": rule.select,
            "template": [[t.n3() for t in triple] for triple in rule.template],
            "patterns": [_pattern(p) for p in rule.patterns],
            "subselects": [{"patterns": [_pattern(p) for p in s.patterns],
                            "projected": list(s.projected)} for s in rule.subselects],
            "reads": None if rule.reads is None else sorted(
                [p.n3(), None if c is None else c.n3()] for p, c in rule.reads)}


def decode(data: dict[str, Any]) -> DomainRule:
    """The rule `encode` wrote."""
    return DomainRule(
        name=data["name"], summary=data["summary"], stratum=int(data["stratum"]),
        select=data["select"],
        template=tuple((_term(s), _term(p), _term(o)) for s, p, o in data["template"]),
        patterns=tuple(_unpattern(p) for p in data["patterns"]),
        subselects=tuple(SubSelect(tuple(_unpattern(p) for p in s["patterns"]),
                                   tuple(s["projected"])) for s in data["subselects"]),
        reads=None if data["reads"] is None else frozenset(
            (_term(p), None if c is None else _term(c))  # type: ignore[misc]
            for p, c in data["reads"]))


def _pattern(pattern: Pattern) -> list[Any]:
    subject, alternatives, obj = pattern
    return [subject.n3(), [a.n3() for a in alternatives], obj.n3()]


def _unpattern(data: list[Any]) -> Pattern:
    subject, alternatives, obj = data
    return (_term(subject), tuple(_term(a) for a in alternatives), _term(obj))


def _term(text: str) -> Node:
    if text.startswith("?"):  # from_n3 reads "?x" as a blank node
        return Variable(text[1:])
    term = from_n3(text)
    if not isinstance(term, Node):
        raise ValueError(f"not a term: {text!r}")
    return term

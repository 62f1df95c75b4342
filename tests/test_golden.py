"""Golden snapshot: status, headers and body of fixed requests and CLI commands stay the same.

The snapshot (tests/golden/snapshot.json) was recorded before the package layout changed
(issue 12); it guards behaviour while modules move. Volatile parts are normalised: the Date,
Server and Content-Length headers are dropped; ETag values, the build's content hash and build
folder names are replaced by placeholders (blank-node labels too: a body with blank
nodes is compared as its sorted lines), so the snapshot holds across rebuilds of the same data.

When a difference is intended (a fix, or new data), regenerate the snapshot and commit it with a
message naming the fix:

    ALSKG_GOLDEN_UPDATE=1 pytest tests/test_golden.py

The data of issue 11 changes most bodies: regenerate after merging it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from click.testing import CliRunner
from flask.testing import FlaskClient

from alskg.assembly.store import BuiltDataset
from alskg.cli import main

SNAPSHOT = Path(__file__).parent / "golden" / "snapshot.json"
UPDATE = os.environ.get("ALSKG_GOLDEN_UPDATE") == "1"
INLINE_LIMIT = 6000  # bodies up to this many characters are stored whole, longer ones hashed
VOLATILE_HEADERS = {"date", "server", "content-length"}  # the body hash covers the length
BNODE = re.compile(r"\bN?[0-9a-f]{12,32}\b")  # rdflib and Oxigraph blank-node labels
ID = "/id/intervention/msc-therapy"
SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 5"
ASK = "ASK { ?s a als:Disease }"
CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a als:Disease ; rdfs:label ?l }"
EXPLAIN = {"s": "<https://w3id.org/alskg/id/intervention/msc-therapy>",
           "p": "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
           "o": "<https://w3id.org/alskg/vocab#Intervention>"}  # a derivation without blank nodes

REQUESTS: list[tuple[str, str]] = [
    *[("/sparql?" + urlencode({"query": SELECT}), accept) for accept in (
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "text/tab-separated-values", "")],
    ("/sparql?" + urlencode({"query": ASK}), "application/sparql-results+json"),
    *[("/sparql?" + urlencode({"query": CONSTRUCT}), accept) for accept in (
        "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
        "application/trig", "application/n-quads")],
    ("/sparql?" + urlencode({"query": "SELEC nothing"}), "application/sparql-results+json"),
    ("/sparql?" + urlencode({"query": SELECT}), "image/png"),
    ("/sparql", "text/turtle"),
    ("/sparql", "text/html"),
    ("/queries", "text/html"),
    ("/queries.json", ""),
    *[(f"/queries/claims-by-status{suffix}?status=status:supported", "")
      for suffix in ("", ".json", ".csv", ".tsv", ".xml")],
    ("/queries/claims-by-status?status=status:supported", "application/sparql-results+json"),
    ("/queries/entity-description.ttl", ""),
    ("/queries/entity-description", "text/turtle"),
    ("/queries/claims-by-status.ttl", ""),
    ("/queries/no-such-query.json", ""),
    ("/evidence", "text/html"),
    ("/evidence.json", ""),
    ("/evidence", "application/json"),
    *[(ID, accept) for accept in (
        "text/html", "text/turtle", "application/ld+json", "application/n-triples",
        "application/rdf+xml", "application/trig", "application/n-quads", "*/*", "")],
    (ID + ".ttl", ""),
    (ID + ".nq", ""),
    (ID + "?inference=false", "text/turtle"),
    (ID, "image/png"),
    ("/id/disease/als", "text/turtle"),
    ("/id/no-such-thing", "text/html"),
    ("/id/no-such-thing", "text/turtle"),
    ("/build/activity", "text/turtle"),
    ("/build/nothing", ""),
    ("/vocab", "text/html"),
    ("/vocab", "text/turtle"),
    ("/vocab.nt", ""),
    ("/vocab.xyz", ""),
    ("/vocab/9.9.9", ""),
    ("/graph/meta", "text/turtle"),
    ("/graph/meta", "text/html"),
    ("/graph/ontology.nt", ""),
    ("/graph/nothing", ""),
    ("/dataset", "text/html"),
    ("/dataset", "text/turtle"),
    ("/dataset.jsonld", ""),
    ("/dataset.xyz", ""),
    ("/.well-known/void", ""),
    ("/.well-known/sparql-examples", "text/turtle"),
    ("/context.jsonld", ""),
    ("/downloads", "text/html"),
    ("/downloads/nothing.ttl", ""),
    ("/openapi.json", ""),
    ("/explain?" + urlencode({**EXPLAIN, "format": "text"}), ""),
    ("/explain?" + urlencode(EXPLAIN), "text/html"),
    ("/explain?s=x", ""),
    ("/", "text/html"),
    ("/no/such/route", "text/html"),
    ("/health", ""),
]

CLI: list[list[str]] = [
    ["query", "--format", "json", SELECT],
    ["query", "--format", "table", ASK],
    ["query", "--format", "ttl", CONSTRUCT],
    ["query", "SELEC nothing"],
    ["query", "--name", "claims-by-status", "--param", "status=status:supported",
     "--format", "csv"],
    ["queries"],
    ["evidence"],
    ["evidence", "--format", "json"],
    ["explain", "intervention:msc-therapy", "rdf:type", "als:Intervention"],
    ["validate"],
]


def normalise(text: str, built: BuiltDataset) -> str:
    """Replace what changes between builds of the same data by placeholders."""
    digest = built.content_hash
    text = text.replace(str(built.path.parent.parent), "<build-root>")
    text = text.replace(built.path.name, "<build-id>")  # before the hash its name ends with
    for size in (64, 20, 12):
        text = text.replace(digest[:size], f"<content-hash:{size}>")
    text = re.sub(r'"[0-9a-f]{20}-[0-9a-f]{20}"', '"<etag>"', text)
    labelled = BNODE.sub("<bnode>", text)
    if labelled == text:
        return text
    # blank-node labels are fresh on every build, and lines sorted by them move: compare the
    # lines as a sorted list once the labels are gone
    return "\n".join(sorted(labelled.splitlines()))


def body_record(body: bytes, built: BuiltDataset) -> dict[str, Any]:
    """Return a body as text (whole when short) plus its hash after normalisation."""
    try:
        text = normalise(body.decode("utf-8"), built)
    except UnicodeDecodeError:
        return {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
    record: dict[str, Any] = {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    record["text" if len(text) <= INLINE_LIMIT else "head"] = text[:INLINE_LIMIT]
    return record


def http_record(client: FlaskClient, path: str, accept: str, built: BuiltDataset) -> dict[str, Any]:
    """Request one URL and record its status, stable headers and body."""
    headers = {"Accept": accept} if accept else {}
    response = client.get(path, headers=headers)
    kept = {name: normalise(value, built) for name, value in sorted(response.headers.items())
            if name.lower() not in VOLATILE_HEADERS}
    return {"status": response.status_code, "headers": kept,
            "body": body_record(response.get_data(), built)}


def cli_record(args: list[str], build_root: Path, built: BuiltDataset) -> dict[str, Any]:
    """Run one CLI command in-process and record its exit code and output."""
    full = args if args[0] in ("queries", "validate") else [*args[:1], "--build-dir",
                                                             str(build_root), *args[1:]]
    result = CliRunner().invoke(main, full)
    return {"exit_code": result.exit_code,
            "stdout": body_record(result.stdout_bytes, built),
            "stderr": body_record(result.stderr_bytes or b"", built)}


def record_all(client: FlaskClient, build_root: Path, built: BuiltDataset) -> dict[str, Any]:
    """Record every request and command of the fixed lists."""
    http = {f"GET {path} [{accept or '-'}]": http_record(client, path, accept, built)
            for path, accept in REQUESTS}
    cli = {"alskg " + " ".join(args): cli_record(args, build_root, built) for args in CLI}
    return {"http": http, "cli": cli}


def pretty(value: Any) -> list[str]:
    """Return a record as lines for a readable diff."""
    if isinstance(value, dict):
        lines: list[str] = []
        for key, item in sorted(value.items()):
            if isinstance(item, str) and "\n" in item:
                lines.append(f"{key}:")
                lines.extend("    " + line for line in item.splitlines())
            else:
                lines.extend(f"{key}: {line}" if i == 0 else f"    {line}"
                             for i, line in enumerate(pretty(item)))
        return lines
    return json.dumps(value, ensure_ascii=False, sort_keys=True).splitlines() or [""]


def test_golden_snapshot(client: FlaskClient, build_root: Path, built: BuiltDataset) -> None:
    """Every fixed request and command answers as recorded (or the snapshot is rewritten)."""
    current = record_all(client, build_root, built)
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False, sort_keys=True)
                            + "\n", encoding="utf-8")
        return
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if os.environ.get("ALSKG_GOLDEN_DUMP"):
        Path(os.environ["ALSKG_GOLDEN_DUMP"]).write_text(json.dumps(current, indent=1,
                                                         sort_keys=True), encoding="utf-8")
    problems = []
    for section in ("http", "cli"):
        names = sorted(set(recorded[section]) | set(current[section]))
        for name in names:
            before, after = recorded[section].get(name), current[section].get(name)
            if before != after:
                diff = difflib.unified_diff(pretty(before), pretty(after), "recorded", "now",
                                            lineterm="", n=2)
                problems.append(f"== {name}\n" + "\n".join(list(diff)[:80]))
    assert not problems, f"{len(problems)} answer(s) differ from the snapshot " \
        "(ALSKG_GOLDEN_UPDATE=1 rewrites it):\n" + "\n".join(problems[:12])

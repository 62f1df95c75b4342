"""The documentation a newcomer follows stays true: the CLI reference matches the program, the
README's set-up commands are the ones CI runs, and every relative link of README and docs/
resolves."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import LiveServer
from markdown_it import MarkdownIt

from alskg.cli.reference import reference

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
ORIGIN = "http://127.0.0.1:8000"   # where the README says `alskg serve` listens


def fenced_blocks(path: Path) -> list[str]:
    """Return the contents of a Markdown file's fenced code blocks, in order."""
    tokens = MarkdownIt().parse(path.read_text(encoding="utf-8"))
    return [t.content for t in tokens if t.type == "fence"]


def links(path: Path) -> list[str]:
    """Return every link target of a Markdown file."""
    targets = []
    for token in MarkdownIt().parse(path.read_text(encoding="utf-8")):
        for child in token.children or []:
            if child.type == "link_open":
                targets.append(str(child.attrs["href"]))
    return targets


def test_cli_reference_is_current() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == reference(), "run: python -m alskg.cli.reference > docs/cli.md"


def test_readme_set_up_is_two_commands_and_ci_runs_the_test_one() -> None:
    commands = [line.strip() for block in fenced_blocks(ROOT / "README.md")[:2]
                for line in block.splitlines() if line.strip() and not line.startswith("#")]
    serve, test = commands[-2], commands[-1]
    assert "pip install" in serve and serve.endswith("alskg serve"), serve
    assert "pip install -e '.[test]'" in test and test.endswith("pytest"), test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci
    assert ci.rstrip().splitlines()[-1] == "pytest"


def test_every_relative_link_resolves() -> None:
    for page in [ROOT / "README.md", *DOCS]:
        for target in links(page):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)}: broken link {target}"


def test_the_readme_tour_works_as_written(live_server: LiveServer) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A five-minute tour"):readme.index("## Where to read next")]
    # every page the tour names answers
    for url in sorted(set(re.findall(r"<(http://127\.0\.0\.1:8000/[^>]*)>", tour))):
        with urllib.request.urlopen(url.replace(ORIGIN, live_server.url), timeout=30) as page:
            assert page.status == 200, url
    # the Python example runs as printed and prints the approvals, oldest first
    code = next(block for block in fenced_blocks(ROOT / "README.md") if "urlopen" in block)
    done = subprocess.run([sys.executable, "-c", code.replace(ORIGIN, live_server.url)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1995-12-12 riluzole")
    assert [line[:10] for line in lines] == sorted(line[:10] for line in lines)
    assert any("tofersen" in line for line in lines)
    # the searches it suggests find what they name
    for words, expected in (("tofersen", "intervention:tofersen"),
                            ("Radicava", "intervention:edaravone"),
                            ("NCT03280056", "study:nurown-phase-3")):
        query = urllib.parse.urlencode({"q": words})
        with urllib.request.urlopen(f"{live_server.url}/search.json?{query}", timeout=30) as hit:
            results = json.loads(hit.read())["results"]
        assert results and results[0]["curie"] == expected, (words, results[:1])

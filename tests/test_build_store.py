"""Builds at the same time over one build folder: neither wipes the other, `current` stays valid."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from alskg.assembly.pipeline import BuildOptions, build
from alskg.assembly.store import DATASET_FILE, RECEIPT_FILE, BuildWriter, BuiltDataset, open_build
from alskg.errors import BuildCorrupt, BuildMissing
from alskg.formats.nquads import content_hash

A = "https://w3id.org/alskg/"


def lines_for(label: str) -> list[str]:
    """A quad that differs per label."""
    return [f'<{A}id/x/{label}> <http://www.w3.org/2000/01/rdf-schema#label> "{label}" '
            f'<{A}graph/asserted> .\n']


def start(root: Path, label: str) -> BuildWriter:
    """Begin a build: its dataset and receipt written into the pending folder, not committed."""
    writer = BuildWriter(root)
    lines = lines_for(label)
    writer.write_lines(DATASET_FILE, lines)
    size = len("".join(lines).encode("utf-8"))
    writer.write_text(RECEIPT_FILE, f'{{"content_hash": "{content_hash(lines)}", '
                                    f'"dataset_bytes": {size}}}')
    return writer


def test_interleaved_builds_both_commit(tmp_path: Path) -> None:
    """A commits while B is still writing: B's pending folder survives, B commits after it."""
    first, second = start(tmp_path, "first"), start(tmp_path, "second")
    committed = first.commit("first")
    assert second.tmp.is_dir(), "the first build's clean-up removed a live build's folder"
    later = second.commit("second")
    assert committed.path.name == "first" and later.path.name == "second"
    current = open_build(tmp_path)
    assert current.path.name == "second"
    assert current.dataset_file.read_text(encoding="utf-8") == "".join(lines_for("second"))
    assert not list((tmp_path / "builds").glob(".tmp-*"))


def test_two_real_builds_at_once_both_succeed(tmp_path: Path) -> None:
    """Two full builds of the project's data in threads: both return, `current` opens."""
    results: dict[int, BuiltDataset] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = build(BuildOptions(root=tmp_path, reason=False, validate=False))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    assert len(results) == 2
    current = open_build(tmp_path)
    assert current.content_hash == results[0].content_hash == results[1].content_hash
    assert not list((tmp_path / "builds").glob(".tmp-*"))


def test_a_dead_process_pending_folder_is_removed(tmp_path: Path) -> None:
    """A pending folder whose process has exited is debris: the next commit removes it."""
    code = ("import sys; from pathlib import Path; from alskg.assembly.store import BuildWriter; "
            "w = BuildWriter(Path(sys.argv[1])); print(w.tmp)")
    left = Path(subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                               capture_output=True, text=True).stdout.strip())
    assert left.is_dir()
    start(tmp_path, "next").commit("next")
    assert not left.exists()


def test_missing_and_corrupt_builds_are_told_apart(tmp_path: Path) -> None:
    """No build is BuildMissing; a build whose dataset differs from its receipt is BuildCorrupt."""
    with pytest.raises(BuildMissing):
        open_build(tmp_path)
    built = start(tmp_path, "only").commit("only")
    built.dataset_file.write_text("<x> <y> <z> .\n", encoding="utf-8")
    with pytest.raises(BuildCorrupt, match=DATASET_FILE):
        open_build(tmp_path)


def test_the_build_folder_setting_has_one_name(tmp_path: Path) -> None:
    """`ALSKG_BUILD_DIR` names the build folder for the CLI and the server alike; the old
    server-only name `ALSKG_BUILD_ROOT` is still read."""
    from alskg.config import settings

    folder = str(tmp_path)
    assert settings(environ={"ALSKG_BUILD_DIR": folder})["ALSKG_BUILD_DIR"] == folder
    assert settings({"ALSKG_BUILD_ROOT": folder}, environ={})["ALSKG_BUILD_DIR"] == folder
    assert settings(environ={"ALSKG_BUILD_ROOT": folder})["ALSKG_BUILD_DIR"] == folder

"""Issue 20, item 9: a full disk during `alskg build` is one line naming the file, exit 2.

The disk is real: a small tmpfs mounted for the test (root and mount rights needed; the tests
skip with the reason otherwise), sized from the session build so that it fills while the
dataset is written, or only later, while SQLite writes the derivation file. Either way: exit 2,
one `error:` line naming the file and the cause (no traceback), no pending folder left behind,
and the build that was current before is still current and intact (checked against its
checksums).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults import alskg, one_line_error
from w3c import write_build

from alskg.assembly.store import BuiltDataset, open_build

A = "https://w3id.org/alskg/"


@pytest.fixture()
def tmpfs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount tmpfs filesystems of a given size in bytes (unmounted afterwards)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(point)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)


def previous_build(root: Path) -> BuiltDataset:
    """Publish a tiny build first: the one that must stay current."""
    lines = [f'<{A}id/x/kept> <http://www.w3.org/2000/01/rdf-schema#label> "kept" '
             f'<{A}graph/asserted> .\n']
    return write_build(root, lines, "kept")


def assert_nothing_published(root: Path, kept: BuiltDataset) -> None:
    """No pending folder is left and the previous build is current and intact."""
    assert not list((root / "builds").glob(".tmp-*")), "a half-written build was left"
    assert sorted(p.name for p in (root / "builds").iterdir()) == ["kept"]
    assert open_build(root).content_hash == kept.content_hash


def test_disk_full_while_the_dataset_is_written(tmpfs: Callable[[int], Path]) -> None:
    root = tmpfs(128 * 1024)
    kept = previous_build(root)
    done = alskg("build", "--build-dir", str(root), "--no-validate", "--no-reason")
    line = one_line_error(done)
    assert "/dataset.nq: No space left on device" in line, line
    assert str(root) in line and "unchanged" in line
    assert_nothing_published(root, kept)


@pytest.mark.slow  # a build with reasoning: ~4-7 s; the dataset case above is the fast one
def test_disk_full_while_sqlite_writes_the_derivation_file(built: BuiltDataset,
                                                          tmpfs: Callable[[int], Path]) -> None:
    """The dataset fits; the derivation file (SQLite) does not."""
    derivations = built.receipt["derivation_file"]["bytes"]
    root = tmpfs(built.receipt["dataset_bytes"] + derivations // 2)
    kept = previous_build(root)
    done = alskg("build", "--build-dir", str(root), "--no-validate")
    line = one_line_error(done)
    assert "/explanations.sqlite: database or disk is full" in line, line
    assert_nothing_published(root, kept)

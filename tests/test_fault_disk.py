"""Issue 20, item 9: a full disk during `alskg build` is one line naming the file, exit 2.

The disk is real: a small tmpfs mounted for the test, sized from the session build so that it
fills while the dataset is written, or only later, while SQLite writes the derivation file.
Either way: exit 2, one `error:` line naming the file and the cause (no traceback), no pending
folder left behind, and the build that was current before is still current and intact (checked
against its checksums). Where a tmpfs cannot be mounted (no root), the dataset case runs the
build under RLIMIT_FSIZE instead (a real limit on the files the process writes: "File too
large", EFBIG) and the SQLite case is skipped (a per-file limit cannot let the bigger dataset
through and stop the smaller derivation file).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults import alskg, one_line_error
from w3c import write_build

from alskg.assembly.store import BuiltDataset, open_build

A = "https://w3id.org/alskg/"


def mount_tmpfs(point: Path, size: int) -> str | None:
    """Mount a tmpfs of `size` bytes; None when mounted, else why it cannot be."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a tmpfs needs root"
    point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"cannot mount a tmpfs: {done.stderr.strip()}"


@pytest.fixture()
def tmpfs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount tmpfs filesystems of a given size in bytes (unmounted afterwards)."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        problem = mount_tmpfs(point, size)
        if problem is not None:
            pytest.skip(problem)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)


def limited_build(root: Path, size: int) -> subprocess.CompletedProcess[str]:
    """Run `alskg build` with every file it writes limited to `size` bytes (RLIMIT_FSIZE;
    SIGXFSZ ignored, so a write past it fails with EFBIG instead of killing the process)."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return subprocess.run([sys.executable, "-m", "alskg", "build", "--build-dir", str(root),
                           "--no-validate", "--no-reason"], capture_output=True, text=True,
                          timeout=120, preexec_fn=limit)


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


def test_disk_full_while_the_dataset_is_written(tmp_path: Path) -> None:
    root = tmp_path / "disk"
    problem = mount_tmpfs(root, 128 * 1024)
    try:
        kept = previous_build(root)
        if problem is None:
            done = alskg("build", "--build-dir", str(root), "--no-validate", "--no-reason")
            reason = "No space left on device"
        else:  # no tmpfs here: a real limit on the size of every file the build writes
            done = limited_build(root, 128 * 1024)
            reason = "File too large"
        line = one_line_error(done)
        assert f"/dataset.nq: {reason}" in line, line
        assert str(root) in line and "unchanged" in line
        assert_nothing_published(root, kept)
    finally:
        if problem is None:
            subprocess.run(["umount", str(root)], capture_output=True)


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

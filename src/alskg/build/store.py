"""The build directory: immutable builds under builds/, an atomically swapped `current` link."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildMissing

DATASET_FILE = "dataset.nq"
RECEIPT_FILE = "receipt.json"
KEEP_BUILDS = 3


@dataclass(frozen=True)
class BuiltDataset:
    """A finished build: its folder, the N-Quads file and the parsed receipt."""

    path: Path
    receipt: dict[str, Any]

    @property
    def dataset_file(self) -> Path:
        """Return the path of the sorted N-Quads dump of all named graphs."""
        return self.path / DATASET_FILE

    @property
    def content_hash(self) -> str:
        """Return the SHA-256 of the dataset's sorted N-Quads."""
        return str(self.receipt["content_hash"])

    @property
    def version(self) -> str:
        """Return the dataset version recorded in the receipt."""
        return str(self.receipt.get("version", "unknown"))


def default_root() -> Path:
    """Return the build root: $ALSKG_BUILD_DIR or ./.alskg in the working directory."""
    return Path(os.environ.get("ALSKG_BUILD_DIR", ".alskg")).resolve()


def open_build(root: Path | None = None) -> BuiltDataset:
    """Open the current build, with a clear error naming the missing or corrupt file."""
    root = root or default_root()
    current = root / "current"
    if not current.exists():
        raise BuildMissing(f"{current}: no build found; run `alskg build` first")
    folder = current.resolve()
    receipt_path = folder / RECEIPT_FILE
    dataset_path = folder / DATASET_FILE
    for needed in (receipt_path, dataset_path):
        if not needed.is_file():
            raise BuildMissing(f"{needed}: missing from the build; run `alskg build` again")
    try:
        receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BuildMissing(f"{receipt_path}: corrupt build receipt ({exc})") from None
    if not isinstance(receipt, dict) or "content_hash" not in receipt:
        raise BuildMissing(f"{receipt_path}: corrupt build receipt (no content_hash)")
    expected = receipt.get("dataset_bytes")
    if expected is not None and dataset_path.stat().st_size != expected:
        raise BuildMissing(f"{dataset_path}: corrupt dataset (size differs from the receipt)")
    if file_sha256(dataset_path) != receipt["content_hash"]:
        raise BuildMissing(f"{dataset_path}: corrupt dataset (SHA-256 differs from the receipt)")
    return BuiltDataset(folder, receipt)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BuildWriter:
    """Write a build into a temporary folder, then publish it atomically as `current`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.builds = root / "builds"
        self.builds.mkdir(parents=True, exist_ok=True)
        self.tmp = self.builds / f".tmp-{uuid.uuid4().hex}"
        self.tmp.mkdir()

    def write_text(self, name: str, text: str) -> Path:
        """Write a file into the pending build."""
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_lines(self, name: str, lines: list[str]) -> Path:
        """Write lines into the pending build."""
        path = self.tmp / name
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
        return path

    def publish(self, label: str) -> BuiltDataset:
        """Rename the pending build into place and swap the `current` link atomically."""
        final = self.builds / label
        if final.exists():
            shutil.rmtree(final)
        os.replace(self.tmp, final)
        link_tmp = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(os.path.relpath(final, self.root), link_tmp)
        os.replace(link_tmp, self.root / "current")
        self._prune(keep=final)
        return open_build(self.root)

    def abandon(self) -> None:
        """Remove the pending build (after an error); the current build stays."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _prune(self, keep: Path) -> None:
        done = sorted((p for p in self.builds.iterdir() if p.is_dir() and not
                       p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in done[KEEP_BUILDS:]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)
        for stale in self.builds.glob(".tmp-*"):
            if stale != self.tmp:
                shutil.rmtree(stale, ignore_errors=True)

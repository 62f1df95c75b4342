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

from ..errors import BuildCorrupt, BuildMissing
from .lease import remove_unless_leased

DATASET_FILE = "dataset.nq"
RECEIPT_FILE = "receipt.json"
DERIVATION_FILE = "explanations.sqlite"  # see alskg.reasoning.derivation_file
SEARCH_FILE = "search.sqlite"  # see alskg.search.index_file
KEEP_BUILDS = 3
PENDING_PREFIX = ".tmp-"
STALE_PENDING_SECONDS = 6 * 3600  # a pending folder without a live owner older than this goes


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
    def derivation_file(self) -> Path:
        """Return the path of the build's derivation file (absent when built without reasoning)."""
        return self.path / DERIVATION_FILE

    @property
    def search_file(self) -> Path:
        """Return the path of the build's search index (alskg.search.index_file)."""
        return self.path / SEARCH_FILE

    @property
    def content_hash(self) -> str:
        """Return the SHA-256 of the dataset's sorted N-Quads."""
        return str(self.receipt["content_hash"])

    @property
    def package_version(self) -> str:
        """Return the version of alskg that made the build (recorded in the receipt)."""
        return str(self.receipt.get("version", "unknown"))


def default_root() -> Path:
    """Return the build root: $ALSKG_BUILD_DIR or ./.alskg in the working directory."""
    return Path(os.environ.get("ALSKG_BUILD_DIR", ".alskg")).resolve()


def default_cache_dir() -> Path:
    """Return the folder for answers kept between builds in any build root (registry answers,
    parsed rules): $ALSKG_CACHE_DIR, else $XDG_CACHE_HOME/alskg, else ~/.cache/alskg."""
    if os.environ.get("ALSKG_CACHE_DIR"):
        return Path(os.environ["ALSKG_CACHE_DIR"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "alskg").resolve()


def open_build(root: Path | None = None) -> BuiltDataset:
    """Open the current build, with a clear error naming the missing or corrupt file."""
    return open_folder(resolve_current(root))


def resolve_current(root: Path | None = None) -> Path:
    """Return the build folder `current` points to (BuildMissing / BuildCorrupt naming it)."""
    root = root or default_root()
    current = root / "current"
    if not os.path.lexists(current):
        raise BuildMissing(f"{current}: no build found; run `alskg build` first")
    if not current.exists():
        raise BuildCorrupt(f"{current}: the link points nowhere; run `alskg build` again")
    return current.resolve()


def open_folder(folder: Path) -> BuiltDataset:
    """Open one build folder, checking its receipt and dataset (BuildCorrupt names the file)."""
    receipt_path = folder / RECEIPT_FILE
    dataset_path = folder / DATASET_FILE
    for needed in (receipt_path, dataset_path):
        if not needed.is_file():
            raise BuildCorrupt(f"{needed}: missing from the build; run `alskg build` again")
    try:
        receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BuildCorrupt(f"{receipt_path}: corrupt build receipt ({exc})") from None
    if not isinstance(receipt, dict) or "content_hash" not in receipt:
        raise BuildCorrupt(f"{receipt_path}: corrupt build receipt (no content_hash)")
    expected = receipt.get("dataset_bytes")
    if expected is not None and dataset_path.stat().st_size != expected:
        raise BuildCorrupt(f"{dataset_path}: corrupt dataset (size differs from the receipt)")
    if file_sha256(dataset_path) != receipt["content_hash"]:
        raise BuildCorrupt(f"{dataset_path}: corrupt dataset (SHA-256 differs from the receipt)")
    for key, name, what in (("derivation_file", DERIVATION_FILE, "derivation file"),
                            ("search_file", SEARCH_FILE, "search index")):
        listed = receipt.get(key)
        path = folder / name
        if isinstance(listed, dict) and (not path.is_file() or
                                         file_sha256(path) != listed.get("sha256")):
            raise BuildCorrupt(f"{path}: missing or corrupt {what} (SHA-256 differs from the "
                               "receipt); run `alskg build` again")
    return BuiltDataset(folder, receipt)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BuildWriter:
    """Write a build into a pending folder, then commit it as `current` atomically.

    Several builds may run at once (threads or processes) over one root: each writes its own
    pending folder, named after its process, and removes only pending folders whose process is
    gone (or that are older than STALE_PENDING_SECONDS), never a live build's."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.builds = root / "builds"
        self.builds.mkdir(parents=True, exist_ok=True)
        self.tmp = self.builds / pending_name(uuid.uuid4().hex)
        self.tmp.mkdir()

    def pending(self, name: str) -> Path:
        """Return the path of a file in the pending build (for writers of their own)."""
        return self.tmp / name

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

    def commit(self, label: str) -> BuiltDataset:
        """Rename the pending build into place and swap the `current` link atomically.

        A finished build with the same label (same second, same content hash) is the same
        build: it is kept and this one's pending folder dropped, so no reader loses its files."""
        final = self.builds / label
        try:
            os.rename(self.tmp, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(self.tmp, ignore_errors=True)
        link_tmp = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(os.path.relpath(final, self.root), link_tmp)
        os.replace(link_tmp, self.root / "current")
        self._prune(keep=final)
        return open_folder(final)

    def abandon(self) -> None:
        """Remove the pending build (after an error); the current build stays."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _prune(self, keep: Path) -> None:
        """Remove builds beyond the newest KEEP_BUILDS, except `current` and any build a
        server holds a lease on (assembly.lease): a build being served is never removed."""
        current = (self.root / "current").resolve()
        done = sorted((p for p in self.builds.iterdir() if p.is_dir() and not
                       p.name.startswith(".")), key=_mtime, reverse=True)
        for old in done[KEEP_BUILDS:]:
            if old not in (keep, current):
                remove_unless_leased(old)
        for pending in self.builds.glob(PENDING_PREFIX + "*"):
            if pending != self.tmp and abandoned(pending):
                shutil.rmtree(pending, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another build's prune
        return 0.0


def pending_name(label: str) -> str:
    """Return the name of a pending folder owned by this process (see `abandoned`)."""
    return f"{PENDING_PREFIX}{os.getpid()}-{label}"


def abandoned(pending: Path) -> bool:
    """Tell whether a pending folder (a build's or an import's) has no live writer: the
    process named in it is gone, or it is older than STALE_PENDING_SECONDS."""
    owner = pending.name[len(PENDING_PREFIX):].partition("-")[0]
    if owner.isdigit() and int(owner) != os.getpid() and not process_alive(int(owner)):
        return True
    import time

    return time.time() - _mtime(pending) > STALE_PENDING_SECONDS


def process_alive(pid: int) -> bool:
    """Return True while a process with this id exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

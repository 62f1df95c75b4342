"""The versioned on-disk store: DIR is a link to one version under DIR.versions, swapped atomically.

An import writes a new version and then points the link at it, so a server reading the store
never sees a half-written one; the version records which build it holds (alskg-store.json).

Serving: the import also copies the current build's named graphs into the new version (unless
told not to) and records the build's content hash in `alskg-store.json`, so the store alone
answers every query; open it with :func:`open_store_engine` (read-only, several processes may
share it). Importing while a server has the store open is safe, since the server keeps reading
its version (under a lease: it is never pruned); it sees the new one when reloaded.

Checked before serving: `alskg-store.json` also records the SHA-256 of every file of the version
RocksDB reads (SST tables, manifest, options, logs); :func:`verify_store` recomputes them, then
opens the store, before a server says it is healthy, so a flipped byte in an SST file or a broken
`alskg-store.json` stops `alskg serve` with one line naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..assembly.lease import LEASE_FILE, remove_unless_leased
from ..assembly.store import PENDING_PREFIX, BuiltDataset, abandoned, file_sha256
from ..curation.namespaces import DEFAULT_BASE
from ..errors import AlskgError, StoreCorrupt

KEEP_VERSIONS = 2
STORE_INFO = "alskg-store.json"
UNCHECKED = (STORE_INFO, LEASE_FILE, "LOCK", "LOG")  # written by others, or RocksDB's own log


class ImportFailed(AlskgError):
    """An import stopped (malformed input, unknown format, unusable store); nothing changed."""


# -- the versioned store -------------------------------------------------------------------------
def versions_dir(store_path: Path) -> Path:
    """Return the folder holding the store's versions (DIR.versions beside DIR)."""
    return store_path.parent / (store_path.name + ".versions")


def current_version(store_path: Path) -> Path | None:
    """Return the version folder the store link points to (None when there is no store yet)."""
    if store_path.is_symlink():
        target = store_path.resolve()
        return target if target.is_dir() else None
    if store_path.is_dir():
        return store_path
    return None


def read_info(version: Path | None) -> dict[str, Any]:
    """Return the store's recorded facts (build hash, graphs, imports), or {}."""
    if version is None:
        return {}
    try:
        data = json.loads((version / STORE_INFO).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def adopt_plain_dir(store_path: Path) -> None:
    """Make a store folder created by hand (not a link yet) the first version."""
    versions = versions_dir(store_path)
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    os.replace(store_path, target)
    point_to(store_path, target)


def point_to(store_path: Path, target: Path) -> None:
    """Point the store link at a version folder, atomically."""
    link_tmp = store_path.parent / f".{store_path.name}-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(target, store_path.parent), link_tmp)
    os.replace(link_tmp, store_path)


def prune_versions(store_path: Path, keep: Iterable[Path]) -> None:
    """Remove versions beyond KEEP_VERSIONS (never those in `keep`, nor one a server holds a
    lease on) and pending leftovers (never the pending folder of an import still running)."""
    keep_set = {p.resolve() for p in keep}
    versions = versions_dir(store_path)
    done = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[KEEP_VERSIONS:]:
        if old.resolve() not in keep_set:
            remove_unless_leased(old)
    for stale in versions.glob(PENDING_PREFIX + "*"):
        if abandoned(stale):
            shutil.rmtree(stale, ignore_errors=True)


def store_checksums(version: Path) -> dict[str, str]:
    """Return the SHA-256 of every file of a (closed) store version that RocksDB reads."""
    return {path.name: file_sha256(path) for path in sorted(version.iterdir())
            if path.is_file() and not path.name.startswith(UNCHECKED)}


def verify_store(store_path: Path, built: BuiltDataset | None = None) -> Path:
    """Check the store's current version before it is served; return the version folder.

    `alskg-store.json` must parse (and name `built`'s content hash), every file it records must
    have its SHA-256, and the store must open and list its graphs; StoreCorrupt names the file
    that fails. A store imported before checksums were recorded is only opened."""
    version = checked_store_version(store_path, None)
    info_path = version / STORE_INFO
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreCorrupt(f"{info_path}: unreadable store record ({exc}); run `alskg import` "
                           "again") from None
    if not isinstance(info, dict):
        raise StoreCorrupt(f"{info_path}: unreadable store record (not a JSON object)")
    checked_store_version(store_path, built)
    recorded = info.get("files")
    for name, digest in (recorded.items() if isinstance(recorded, dict) else ()):
        path = version / name
        if not path.is_file():
            raise StoreCorrupt(f"{path}: missing from the store; run `alskg import` again")
        if file_sha256(path) != digest:
            raise StoreCorrupt(f"{path}: corrupt store file (SHA-256 differs from {STORE_INFO})"
                               "; run `alskg import` again")
    import pyoxigraph as ox

    try:
        graphs = ox.Store.read_only(str(version)).named_graphs()
        sum(1 for _ in graphs)
    except (OSError, RuntimeError, ValueError) as exc:
        raise StoreCorrupt(f"{version}: the store does not open ({exc})") from None
    return version


# -- serving an imported store -------------------------------------------------------------------
def checked_store_version(store_path: Path, built: BuiltDataset | None = None) -> Path:
    """Return the store's current version folder; with `built`, refuse one of another build."""
    version = current_version(store_path)
    if version is None:
        raise ImportFailed(f"{store_path}: no store; run `alskg import` first")
    if built is not None:
        recorded = read_info(version).get("build_hash")
        if recorded != built.content_hash:
            raise ImportFailed(f"{store_path} holds build {str(recorded)[:12]}, not the current "
                               f"build {built.content_hash[:12]}; run `alskg import` again "
                               "(with no files, it only refreshes the build's graphs)")
    return version


def open_store_engine(store_path: Path, *, base: str = DEFAULT_BASE,
                      built: BuiltDataset | None = None) -> Any:
    """Open the store read-only as an Oxigraph engine (nothing loaded, nothing cleared)."""
    from ..query.engines.oxigraph_engine import OxigraphEngine

    version = checked_store_version(store_path, built)
    return OxigraphEngine(None, base=base, store_path=str(version), read_only=True)

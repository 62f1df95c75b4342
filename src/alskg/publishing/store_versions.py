"""The versioned on-disk store: DIR is a link to one version under DIR.versions, swapped atomically.

An import writes a new version and then points the link at it, so a server reading the store
never sees a half-written one; the version records which build it holds (alskg-store.json).

Serving: the import also copies the current build's named graphs into the new version (unless
told not to) and records the build's content hash in `alskg-store.json`, so the store alone
answers every query; open it with :func:`open_store_engine` (read-only, several processes may
share it). Importing while a server has the store open is safe, since the server keeps reading
its version; it sees the new one when restarted.
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

from ..assembly.lease import remove_unless_leased
from ..assembly.store import PENDING_PREFIX, BuiltDataset, abandoned
from ..curation.namespaces import DEFAULT_BASE
from ..errors import AlskgError

KEEP_VERSIONS = 2
STORE_INFO = "alskg-store.json"


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

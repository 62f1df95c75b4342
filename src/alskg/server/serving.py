"""Which build a server serves: one build for every process, switched for all of them at once.

`alskg serve` (the master process) resolves `current` once, checks it, takes a lease on it and
writes it into a run folder that every HTTP worker reads when it starts, so a worker started
later (a crash respawn) serves the same build as its siblings, whatever `current` says by then.

A reload (SIGHUP to the master) switches every worker to the newest build without a failed
request: the master checks the new build, leases it and names it as the *next* generation; each
worker prepares it beside the one it serves (a new app with its own query workers, warmed up)
and says it is ready; when all are, the master writes the new generation number into a shared
8-byte file every worker maps, and each request reads it as it starts: from that moment every
new request, in every worker, is answered from the new build, while requests already running
finish on the old one, which is closed after them. A new build that fails its checks, or that a
worker cannot prepare, is refused (logged) and the old one stays.

Run folder layout: `state.json` ({"active": {...}, "next": {...} or null}, each with generation,
build folder and store version), `active` (the generation, 8 bytes), `workers/<pid>` (one per
live worker), `ready/<generation>-<pid>` and `failed/<generation>-<pid>` (the worker's answer to
a prepare).

Hand-written: granian's own SIGHUP handling restarts the workers one after another (old and new
builds answer side by side meanwhile), and no library coordinates this across processes.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import struct
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..assembly.lease import Lease
from ..assembly.store import open_folder, process_alive, resolve_current
from ..errors import AlskgError

log = logging.getLogger("alskg.serve")
STATE_ENV = "ALSKG_SERVE_STATE"
GENERATION = struct.Struct("<Q")
PREPARE_SECONDS = 300.0


@dataclass(frozen=True)
class Generation:
    """One build as served: its number, its folder and (with --store-path) its store version."""

    number: int
    build: str
    store: str | None = None

    def settings(self) -> dict[str, Any]:
        """Return the settings that pin a service to this generation's build and store."""
        pinned: dict[str, Any] = {"ALSKG_BUILD_PATH": self.build}
        if self.store:
            pinned["ALSKG_STORE_VERSION"] = self.store
        return pinned


class RunFolder:
    """The run folder's files, as the master writes them and the workers read them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None

    # -- the master's side ---------------------------------------------------------------------
    def create(self, first: Generation) -> None:
        """Write the first generation as the active one."""
        for sub in ("workers", "ready", "failed"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        (self.path / "active").write_bytes(GENERATION.pack(first.number))
        self.write(first, None)

    def write(self, active: Generation, upcoming: Generation | None) -> None:
        """Replace state.json atomically."""
        data = {"active": asdict(active), "next": asdict(upcoming) if upcoming else None}
        tmp = self.path / f".state-{os.getpid()}.json"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path / "state.json")

    def flip(self, number: int) -> None:
        """Make `number` the generation every worker answers from, from the next request on."""
        with (self.path / "active").open("r+b") as handle:
            handle.write(GENERATION.pack(number))

    def workers(self) -> list[int]:
        """Return the live workers (and forget the dead ones)."""
        found = []
        for entry in (self.path / "workers").iterdir():
            if entry.name.isdigit() and process_alive(int(entry.name)):
                found.append(int(entry.name))
            else:
                entry.unlink(missing_ok=True)
        return sorted(found)

    def answers(self, number: int) -> tuple[set[int], dict[int, str]]:
        """Return the workers ready for a generation and those that failed (with why)."""
        ready = {int(p.name.split("-")[1]) for p in (self.path / "ready").glob(f"{number}-*")}
        failed = {int(p.name.split("-")[1]): p.read_text(encoding="utf-8")
                  for p in (self.path / "failed").glob(f"{number}-*")}
        return ready, failed

    # -- the workers' side ---------------------------------------------------------------------
    def read(self) -> tuple[Generation, Generation | None]:
        """Return the active and the upcoming generation."""
        data = json.loads((self.path / "state.json").read_text(encoding="utf-8"))
        upcoming = data.get("next")
        return Generation(**data["active"]), Generation(**upcoming) if upcoming else None

    def active(self) -> int:
        """Return the generation requests are answered from now (a read of shared memory)."""
        if self._map is None:
            with (self.path / "active").open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), GENERATION.size, access=mmap.ACCESS_READ)
        return int(GENERATION.unpack_from(self._map)[0])

    def register(self) -> None:
        """Say this worker lives (the master waits for the live ones on a reload)."""
        (self.path / "workers" / str(os.getpid())).touch()

    def answer(self, number: int, error: str | None) -> None:
        """Say this worker has prepared a generation, or why it could not."""
        kind = "ready" if error is None else "failed"
        (self.path / kind / f"{number}-{os.getpid()}").write_text(error or "", encoding="utf-8")


class Conductor:
    """The master's side: the served generation, its lease, and reloads."""

    def __init__(self, run: RunFolder, root: Path | None, store_path: Path | None) -> None:
        self.run = run
        self.root = root
        self.store_path = store_path
        self.active, self.leases = self._resolve(1)
        self.numbered = 1  # every reload attempt takes a new number, refused ones too
        run.create(self.active)

    def _resolve(self, number: int) -> tuple[Generation, list[Lease]]:
        """Lease and check the build `current` names (and the store version), as generation
        `number`; the project's errors name what is wrong."""
        folder = resolve_current(self.root)
        leases = [Lease(folder)]
        try:
            built = open_folder(folder)  # every file against the receipt
            store = None
            if self.store_path is not None:
                from ..publishing.store_versions import verify_store

                version = verify_store(self.store_path, built)
                leases.append(Lease(version))
                store = str(version)
            return Generation(number, str(folder), store), leases
        except BaseException:
            for lease in leases:
                lease.release()
            raise

    def reload(self) -> bool:
        """Switch every worker to the newest build (see the module's docstring); True when the
        server serves it now. A refused reload leaves the old build served and says why."""
        self.numbered += 1
        try:
            upcoming, leases = self._resolve(self.numbered)
        except AlskgError as exc:
            log.error("reload refused: %s; still serving %s", exc, self.active.build)
            return False
        if (upcoming.build, upcoming.store) == (self.active.build, self.active.store):
            for lease in leases:
                lease.release()
            log.info("reload: already serving %s", upcoming.build)
            return True
        self.run.write(self.active, upcoming)
        problem = self._wait_prepared(upcoming.number)
        if problem is not None:
            self.run.write(self.active, None)
            for lease in leases:
                lease.release()
            log.error("reload refused: %s; still serving %s", problem, self.active.build)
            return False
        self.run.flip(upcoming.number)
        self.run.write(upcoming, None)
        for lease in self.leases:  # the workers hold their own leases until they let go
            lease.release()
        self.active, self.leases = upcoming, leases
        log.info("reload: every worker serves %s (generation %d) now", upcoming.build,
                 upcoming.number)
        return True

    def _wait_prepared(self, number: int) -> str | None:
        """Wait until every live worker has prepared a generation; the problem, if one had."""
        deadline = time.monotonic() + PREPARE_SECONDS
        while time.monotonic() < deadline:
            live = set(self.run.workers())
            ready, failed = self.run.answers(number)
            if failed:
                pid, why = sorted(failed.items())[0]
                return f"worker {pid} cannot serve it: {why}"
            if live and live <= ready:
                return None
            time.sleep(0.05)
        return f"the workers did not prepare it within {PREPARE_SECONDS:g} s"

    def close(self) -> None:
        """Give the leases back."""
        for lease in self.leases:
            lease.release()

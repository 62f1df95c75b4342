"""Leases on build and store folders: a folder a process serves is never pruned under it.

A lease is a shared `flock` on the folder's `.lease` file, held as long as the process (or a
child that inherited the descriptor) lives: the server's master and every HTTP worker hold one on
the build they serve, and on the store version they read. Pruning (a new build, a new import) takes
an exclusive, non-blocking lock on the same file and removes only the folders it gets, so a leased
folder stays, however many builds follow. The kernel drops the lock of a process that dies, even
by SIGKILL, so there is nothing stale to clean up. The same mechanism, exclusive and blocking,
serialises imports into one store (`exclusive`).

Hand-written on `fcntl.flock` (the standard library): the `filelock` package offers exclusive
locks only, and a lease needs the shared kind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import BuildCorrupt

LEASE_FILE = ".lease"


class Lease:
    """A shared lock on a folder's lease file, held until `release()` (or the process ends)."""

    def __init__(self, folder: Path) -> None:
        """Take the lease; BuildCorrupt when the folder is gone (or goes while taking it)."""
        self.folder = folder
        path = folder / LEASE_FILE
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise BuildCorrupt(f"{folder}: cannot take a lease on the folder "
                               f"({exc.strerror or exc})") from None
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        try:  # a prune may have removed the folder between open and lock: then it is not ours
            same = os.stat(path).st_ino == os.fstat(self.fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            self.release()
            raise BuildCorrupt(f"{folder}: removed while it was being opened")

    def release(self) -> None:
        """Give the lease back (idempotent)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def drop_inherited() -> int:
    """Close the lease descriptors this process inherited from its parent (a server worker
    forked by the master): a worker holds only the leases it takes, so a build the master and
    the workers have let go of can be pruned. Linux (/proc); returns how many were closed."""
    closed = 0
    try:
        entries = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    for entry in entries:
        try:
            target = os.readlink(f"/proc/self/fd/{entry}")
        except OSError:
            continue
        if target.endswith("/" + LEASE_FILE):
            os.close(int(entry))
            closed += 1
    return closed


def remove_unless_leased(folder: Path) -> bool:
    """Remove a folder unless a lease is held on it; True when it was removed."""
    try:
        fd = os.open(folder / LEASE_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # removed meanwhile by another prune
        return False
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)  # not a folder we can lock: nobody serves it
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def leased(folder: Path) -> bool:
    """Tell whether some process holds a lease on the folder."""
    path = folder / LEASE_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def exclusive(path: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed) for the block, waiting for it.

    While another process holds it, `on_wait` is told once, with that process's id (each
    holder writes its id into the file)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)

"""The listening port is one server's alone: a second `alskg serve` on it refuses to start.

granian binds its workers with SO_REUSEPORT, so a second server on the same port would share it
silently (the kernel spreads connections over both, possibly two different builds). Before the
server starts, the master (1) takes an exclusive lock named after the address (so two servers
started at the same moment cannot both pass) and (2) binds a test socket without
SO_REUSEPORT, which fails while anything else listens there, alskg or not.

Hand-written: a few lines of the standard library (fcntl, socket); no library checks this.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import PortInUse


@contextlib.contextmanager
def claim_port(host: str, port: int) -> Iterator[None]:
    """Hold the address for the server's life; PortInUse naming the port if it is taken."""
    name = re.sub(r"[^A-Za-z0-9.]+", "_", host) or "any"
    path = Path(tempfile.gettempdir()) / f"alskg-serve-{name}-{port}.lock"
    fd: int | None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # another user's lock file: the socket test below still holds
        fd = None
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                raise PortInUse(f"port {port} on {host} is in use by another alskg serve "
                                f"(process {holder}); stop it or choose another --port") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        refuse_if_taken(host, port)
        yield
    finally:
        if fd is not None:
            os.close(fd)


def refuse_if_taken(host: str, port: int) -> None:
    """Raise PortInUse when something listens on host:port (a bind without SO_REUSEPORT)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortInUse(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise PortInUse(f"port {port} on {host} is in use ({exc.strerror}); stop the "
                            "other server or choose another --port") from None

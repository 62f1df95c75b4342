"""The query workers' wire: framed messages over the pool's socket, answer bytes out of band.

Hand-written because multiprocessing's `Connection` costs more than the query on a small answer:
pickled dataclasses, a selector object built for every `poll`, two reads per message and three
copies of the answer bytes. Here a message is an 8-byte frame (two lengths), a pickled tuple of
plain fields, and the body bytes as they are: written with one `writev` (the body is never
copied into the pickle), read with one `read` when it fits, else into one buffer sized from the
frame (one copy out). The sockets are the ones `multiprocessing.Pipe` made and handed to the
spawned worker; only their file descriptors are used here.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
from typing import Any

FRAME = struct.Struct("!II")  # lengths of the pickled fields and of the body
READ_SIZE = 65_536


def send(fd: int, fields: Any, body: bytes = b"") -> None:
    """Write one message: the pickled `fields` and the raw `body` (blocking until written)."""
    meta = pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)
    parts = [memoryview(FRAME.pack(len(meta), len(body))), memoryview(meta), memoryview(body)]
    while parts:
        written = os.writev(fd, parts)
        while parts and written >= len(parts[0]):
            written -= len(parts[0])
            parts.pop(0)
        if parts and written:
            parts[0] = parts[0][written:]


def receive(fd: int) -> tuple[Any, bytes]:
    """Read one message (blocking); EOFError when the other side has closed."""
    chunk = os.read(fd, READ_SIZE)
    while len(chunk) < FRAME.size:
        more = os.read(fd, READ_SIZE)
        if not more:
            raise EOFError("the query worker channel closed")
        chunk += more
    meta_size, body_size = FRAME.unpack_from(chunk)
    total = FRAME.size + meta_size + body_size
    if len(chunk) >= total:
        end = FRAME.size + meta_size
        return pickle.loads(memoryview(chunk)[FRAME.size:end]), chunk[end:total]
    buffer = bytearray(total)
    buffer[:len(chunk)] = chunk
    view = memoryview(buffer)
    filled = len(chunk)
    while filled < total:
        got = os.readv(fd, [view[filled:]])
        if not got:
            raise EOFError("the query worker channel closed in the middle of a message")
        filled += got
    end = FRAME.size + meta_size
    return pickle.loads(view[FRAME.size:end]), bytes(view[end:])


class Waiter:
    """Wait for a message on one descriptor with a timeout (one poll object, kept)."""

    def __init__(self, fd: int) -> None:
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    def ready(self, timeout: float) -> bool:
        """Tell whether something (a message, or the other side closing) arrived in time."""
        return bool(self._poll.poll(max(0, int(timeout * 1000))))

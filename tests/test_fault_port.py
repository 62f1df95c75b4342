"""Issue 20, item 11: a second `alskg serve` on a port in use refuses to start, naming the port.

granian listens with SO_REUSEPORT, so before this a second server shared the port silently (the
kernel split the connections between them). Now: two servers started at the same moment on one
free port (and a third once the winner listens), and a server on a port another program listens
on: the one that cannot have the port exits 2 with one line naming it (and the process that
holds it), and the one that serves keeps answering every request with its own build.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port
from faults import alskg, call, health, one_line_error, wait_until
from w3c import write_build

A = "https://w3id.org/alskg/"


def tiny_root(folder: Path, label: str) -> Path:
    """A build root with one tiny build."""
    write_build(folder, [f'<{A}id/x/item> <http://www.w3.org/2000/01/rdf-schema#label> '
                         f'"{label}" <{A}graph/asserted> .\n'], label)
    return folder


def test_two_serves_started_together_share_nothing(tmp_path: Path) -> None:
    port = free_port()
    processes = [subprocess.Popen(
        [sys.executable, "-m", "alskg", "serve", "--build-dir",
         str(tiny_root(tmp_path / name, name)), "--port", str(port), "--query-workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    try:
        assert wait_until(lambda: any(p.poll() is not None for p in processes), 60)
        (refused,) = [p for p in processes if p.poll() is not None]
        (serving,) = [p for p in processes if p is not refused]
        assert refused.returncode == 2
        assert refused.stderr is not None
        message = refused.stderr.read()
        assert f"port {port} on 127.0.0.1 is in use" in message, message
        if "another alskg serve" in message:  # lost the race for the lock: names the winner
            assert f"(process {serving.pid})" in message, message
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: call(url + "/health", timeout=2).status == 200, 60)
        assert len({health(url)["build"] for _ in range(20)}) == 1
        assert serving.poll() is None
        again = alskg("serve", "--build-dir", str(tmp_path / "a"), "--port", str(port),
                      timeout=60)  # and one more, now that the winner listens
        assert f"(process {serving.pid})" in one_line_error(again)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(20)
            if process.stderr:
                process.stderr.close()


def test_a_port_another_program_listens_on_refuses(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        started = time.monotonic()
        line = one_line_error(alskg("serve", "--build-dir", str(tiny_root(tmp_path, "x")),
                                    "--port", str(port), timeout=60))
        assert f"port {port} on 127.0.0.1 is in use" in line, line
        assert time.monotonic() - started < 30

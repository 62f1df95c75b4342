"""Helpers of the fault tests (issue 20): HTTP calls that never raise, parsed answers, the CLI.

Every helper talks to a real process: a live `alskg serve` on 127.0.0.1 or the `alskg` command
run as a subprocess, so a fault injected around it is met exactly as an operator would meet it.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ASK_URL = "/sparql?query=" + urllib.parse.quote("ASK {}")


@dataclass
class Answer:
    """An HTTP answer (status 0: the connection failed; `error` says how)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""

    @property
    def media_type(self) -> str:
        """Return the Content-Type without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip()

    def json(self) -> Any:
        """Parse the body as JSON."""
        return json.loads(self.body)

    def text(self) -> str:
        """Decode the body as UTF-8."""
        return self.body.decode("utf-8")


def call(url: str, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    """Send one request on a fresh connection; never raises (status 0 on a transport error)."""
    parts = urllib.parse.urlsplit(url)
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                      time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, seconds=time.monotonic() - started, error=repr(exc))
    finally:
        connection.close()


def query(base: str, text: str, accept: str = "application/sparql-results+json",
          timeout: float = 30, **params: str) -> Answer:
    """GET a query from a server's /sparql."""
    return call(f"{base}/sparql?" + urllib.parse.urlencode({"query": text, **params}),
                headers={"Accept": accept}, timeout=timeout)


def fresh(text: str) -> str:
    """The same query text with a unique comment, so no cache can answer it."""
    return f"{text}\n# {uuid.uuid4().hex}"


def bindings(answer: Answer) -> list[dict[str, str]]:
    """Return a SPARQL JSON answer's rows as {variable: value}."""
    assert answer.status == 200, (answer.status, answer.body[:300])
    data = answer.json()
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def health(base: str) -> dict[str, Any]:
    """Return a server's /health document (asserting it answered 200)."""
    answer = call(base + "/health", timeout=10)
    assert answer.status == 200, (answer.status, answer.body[:300])
    found: dict[str, Any] = answer.json()
    return found


def wait_until(predicate: Any, limit: float, step: float = 0.1) -> bool:
    """Poll a predicate until it holds or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def alskg(*args: str, timeout: float = 120, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    """Run the real `alskg` command; return the finished process (text output)."""
    return subprocess.run([sys.executable, "-m", "alskg", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """Assert a command failed with `code` and one `error: ...` line (no traceback); return it."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, (done.returncode, done.stderr[-1500:])
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-1500:]
    return lines[0]


def parents() -> dict[int, int]:
    """Return {pid: parent pid} of the live processes (zombies left out), from /proc."""
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] not in ("Z", "X"):
                found[int(entry)] = int(fields[1])
    return found


def command_line(pid: int) -> str:
    """Return a process's command line ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def http_workers(master: int) -> list[int]:
    """Return the HTTP worker processes of a server (the master's children that serve)."""
    return sorted(p for p, parent in parents().items()
                  if parent == master and "multiprocessing" not in command_line(p))


def query_worker_pids(master: int) -> list[int]:
    """Return every query worker process under a server's HTTP workers."""
    workers = set(http_workers(master))
    return sorted(p for p, parent in parents().items() if parent in workers
                  and "multiprocessing.spawn" in command_line(p)
                  and "resource_tracker" not in command_line(p))


def rss_of_tree(pid: int) -> int:
    """Return the resident bytes of a process and all its descendants (from /proc)."""
    tree, frontier = {pid}, [pid]
    table = parents()
    while frontier:
        current = frontier.pop()
        for child, parent in table.items():
            if parent == current and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for member in tree:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total

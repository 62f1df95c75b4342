"""Shared fixtures: one build of the real ALS data per session, apps, clients and live servers."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from alskg.assembly.pipeline import BuildOptions, build
from alskg.assembly.store import BuiltDataset
from alskg.publishing.dumps import DOWNLOADS_DIR
from alskg.query.engines import Engine, open_engine
from alskg.web import create_app


@pytest.fixture(scope="session")
def build_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the project's ontology and data (validated, with reasoning).

    Under pytest-xdist the workers share the work: the first one builds into a folder beside
    their temporary folders (under a lock), each worker copies that build root (tests may add to
    their own), and the dumps folder is shared through a link, so the first worker that needs the
    dumps writes them once for all (`ensure_downloads` locks the folder itself)."""
    root = tmp_path_factory.mktemp("build")
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        build(BuildOptions(root=root))
        return root
    shared = tmp_path_factory.getbasetemp().parent / "shared-build"
    with (shared.parent / "shared-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "current").exists():
            build(BuildOptions(root=shared))
            (shared / "current" / DOWNLOADS_DIR).mkdir()
    shutil.copytree(shared, root, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(DOWNLOADS_DIR))
    (root / "current" / DOWNLOADS_DIR).symlink_to((shared / "current" / DOWNLOADS_DIR).resolve())
    return root


@pytest.fixture(scope="session")
def built(build_root: Path) -> BuiltDataset:
    """The session's build, opened."""
    from alskg.assembly.store import open_build

    return open_build(build_root)


def make_app(build_root: Path, **overrides: object) -> Flask:
    """Create an app over a build, answering queries inline (no worker processes)."""
    config: dict[str, object] = {"ALSKG_BUILD_DIR": str(build_root), "ALSKG_EXECUTOR": "inline",
                                 "TESTING": True}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def engine_name(request: pytest.FixtureRequest) -> str:
    """Each query engine in turn."""
    return str(request.param)


@pytest.fixture(scope="session")
def engines(built: BuiltDataset) -> Iterator[dict[str, Engine]]:
    """Both embedded engines over the session build (read-only: opened once per session)."""
    opened = {name: open_engine(name, built.dataset_file) for name in ("oxigraph", "rdflib")}
    yield opened
    for engine in opened.values():
        engine.close()


@pytest.fixture(scope="session")
def app(build_root: Path) -> Iterator[Flask]:
    """An app over the session build on the default engine, inline executor."""
    application = make_app(build_root)
    yield application
    application.extensions["alskg"].close()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client of the session app."""
    return app.test_client()


@contextmanager
def serving(server: Any) -> Iterator[int]:
    """Run a socketserver-style server (http.server, werkzeug) in a daemon thread on 127.0.0.1;
    yield its port; shut it down and close it afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def report(pytestconfig: pytest.Config, text: str) -> None:
    """Print a test module's figures past pytest's output capture."""
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(text)


def status_counts(stats: Counter[str]) -> str:
    """Return the `status NNN` counters of a test's tally as "NNN: count, ..."."""
    return ", ".join(f"{k[7:]}: {v}" for k, v in sorted(stats.items()) if k.startswith("status "))


def missing(message: str) -> None:
    """A program a test drives is not installed: skip with the reason, but fail in CI (env CI set),
    which installs every one (.ci/run), so a broken install cannot pass as skips."""
    if os.environ.get("CI"):
        pytest.fail(message + " (CI installs it, so its absence is an error here)")
    pytest.skip(message)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A real `alskg serve` (granian unless --server says otherwise) process on 127.0.0.1."""

    def __init__(self, build_root: Path, *args: str, env: dict[str, str] | None = None,
                 stdout: Any = subprocess.DEVNULL) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "alskg", "serve", "--build-dir", str(build_root),
                   "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command, stdout=stdout, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited: " + self.process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:  # ready once a query is answered (the query workers have started)
                with urllib.request.urlopen(self.url + "/sparql?query=ASK%7B%7D",
                                            timeout=10) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready in 60 s")

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), then kill it if needed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stderr:
            self.process.stderr.close()


@pytest.fixture(scope="session")
def live_server(build_root: Path) -> Iterator[LiveServer]:
    """A real granian server over the session build (oxigraph engine, 2 query workers)."""
    server = LiveServer(build_root, "--timeout", "3")
    yield server
    server.stop()

"""Headless Chromium for the browser tests: a small Chrome DevTools Protocol client and a `Page`
that does what a person does (open a URL, type, press keys, click, follow a link, scroll) and
reads what a person sees (text, tables, boxes on the screen), parsed from the DOM.

Chromium is driven over `--remote-debugging-pipe` (NUL-separated JSON on file descriptors 3 and
4), so nothing beyond the standard library and `/usr/bin/chromium` (.ci/install-browser.sh) is
needed. Host resolution maps every name to nothing except 127.0.0.1, and every request a page
makes is recorded (`Page.foreign_requests`), so a test can show a page stays on loopback.

A test module opens one browser for all its tests and points it at the real server of the
session (conftest's `live_server`):

    @pytest.fixture(scope="module")
    def page(request):
        with chromium() as browser:  # skips the module's tests when Chromium is missing
            yield browser.new_page(request.getfixturevalue("live_server").url)

    def test_a_list_page_shows_its_table(page):
        page.open("/interventions")
        table = page.table("main table")
        assert table.headers and len(table.rows) >= 10

    def test_a_search_result_opens_its_page(page):
        page.open("/search?q=riluzole")
        page.follow("main a[href$='/id/intervention/riluzole']")
        assert "riluzole" in page.text("h1").lower()

Typing into a box with typeahead is `page.type("input[name=q]", "rilu")` followed by
`page.wait_for_selector(<the suggestion list's items>)`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conftest import missing

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 15.0  # seconds, for any single wait on the browser
WINDOW = (1280, 900)  # the narrowest desktop window the pages must fit
LOCAL_HOSTS = {"127.0.0.1"}
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-dev-shm-usage", "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--hide-scrollbars",
)

# Runs in the child before exec: put the two pipe ends on fds 3 and 4.
_TRAMPOLINE = """
import fcntl, os, sys
cmd_r, res_w = int(sys.argv[1]), int(sys.argv[2])
a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
os.dup2(a, 3)
os.dup2(b, 4)
for fd in {a, b, cmd_r, res_w} - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""


class CDPError(RuntimeError):
    """The browser answered a command with an error, or not at all."""


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile (skip the test when it is not installed)."""
    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} not found: run .ci/install-browser.sh to install Chromium")
    with tempfile.TemporaryDirectory(prefix="alskg-chromium-") as tmp:
        browser = Browser(os.path.join(tmp, "profile"), os.path.join(tmp, "chromium.log"))
        try:
            browser.send("Browser.getVersion")
            yield browser
        finally:
            browser.close()


class Browser:
    """Headless Chromium with a minimal, synchronous CDP client."""

    def __init__(self, profile_dir: str, log_path: str) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        argv = [CHROMIUM, *FLAGS, f"--window-size={WINDOW[0]},{WINDOW[1]}",
                f"--user-data-dir={profile_dir}", "--remote-debugging-pipe", "about:blank"]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(cmd_r), str(res_w), *argv],
            pass_fds=(cmd_r, res_w), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=self._log)
        os.close(cmd_r)
        os.close(res_w)
        self._next_id = 0
        self._results: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._res_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self.cond:
                    if "id" in msg:
                        self._results[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self.cond.notify_all()
        with self.cond:
            self._closed = True
            self.cond.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send one CDP command and wait for its result."""
        with self.cond:
            self._next_id += 1
            msg_id = self._next_id
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._cmd_w, data):]
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while msg_id not in self._results:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CDPError(f"no answer to {method} (browser closed: {self._closed})")
                self.cond.wait(left)
            reply = self._results.pop(msg_id)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, start: int = 0) -> dict[str, Any]:
        """Wait for an event of this session, among those from index `start` on."""
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                for ev in self.events[start:]:
                    if ev.get("method") == method and ev.get("sessionId") == session:
                        return ev
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CDPError(f"no {method} event")
                self.cond.wait(left)

    def new_page(self, origin: str = "") -> Page:
        """Open a tab whose relative URLs resolve against `origin` (the server's root URL)."""
        return Page(self, origin)

    def close(self) -> None:
        """Close the browser and its pipes."""
        with contextlib.suppress(CDPError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        for fd in (self._cmd_w, self._res_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._reader.join(timeout=2)
        self._log.close()


@dataclass(frozen=True)
class Table:
    """A table as a person reads it: the header cells' text and each body row's cells' text."""

    headers: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        """Return one column's cells, by its header's text."""
        at = self.headers.index(name)
        return [row[at] for row in self.rows]


_TABLE = """(sel) => {
  const visible = el => el.getClientRects().length > 0;
  const table = Array.from(document.querySelectorAll(sel)).find(visible);
  if (!table) return null;
  const text = el => el.innerText.replace(/\\s+/g, ' ').trim();
  const head = table.querySelector('thead tr');
  const rows = Array.from(table.querySelectorAll('tbody tr')).filter(visible);
  return {headers: head ? Array.from(head.cells).filter(visible).map(text) : [],
          rows: rows.map(r => Array.from(r.cells).filter(visible).map(text))};
}"""

_RECT = """(sel) => Array.from(document.querySelectorAll(sel)).map(el => {
  const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
          height: r.height, text: el.innerText.trim(), shown: el.getClientRects().length > 0};
})"""


class Page:
    """One browser tab (flat session mode) with what a person does and sees."""

    def __init__(self, browser: Browser, origin: str = "") -> None:
        self.browser = browser
        self.origin = origin.rstrip("/")
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False})

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a CDP command to this tab."""
        return self.browser.send(method, params, session=self.session)

    # --- doing ---------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Load a URL (relative to the origin) and wait for its load event."""
        start = len(self.browser.events)
        self.send("Page.navigate", {"url": self.origin + url if url.startswith("/") else url})
        self.browser.wait_event("Page.loadEventFired", self.session, start)

    def click(self, selector: str) -> None:
        """Click the first element matching `selector` (it must be there)."""
        if not self.call("(sel) => { const el = document.querySelector(sel);"
                         " if (!el) return false; el.scrollIntoView({block: 'center'});"
                         " el.click(); return true; }", selector):
            raise AssertionError(f"nothing to click at {selector!r}")

    def follow(self, selector: str) -> str:
        """Click a link (or submit button) and wait for the next page to load; return its URL."""
        start = len(self.browser.events)
        self.click(selector)
        self.browser.wait_event("Page.loadEventFired", self.session, start)
        return str(self.eval("location.href"))

    def type(self, selector: str, text: str) -> None:
        """Focus an element and type `text` into it, one character at a time."""
        self.focus(selector)
        self.keys(text)

    def keys(self, text: str) -> None:
        """Type `text` into the focused element, one character at a time (input events fire)."""
        for char in text:
            self.send("Input.insertText", {"text": char})

    def focus(self, selector: str) -> None:
        """Focus the first element matching `selector`."""
        if not self.call("(sel) => { const el = document.querySelector(sel);"
                         " if (!el) return false; el.focus(); return true; }", selector):
            raise AssertionError(f"nothing to focus at {selector!r}")

    def press(self, key: str, code: str | None = None, key_code: int = 0) -> None:
        """Press and release one key (e.g. "Enter" with key_code 13) in the focused element."""
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {
                "type": kind, "key": key, "code": code or key,
                "windowsVirtualKeyCode": key_code, "nativeVirtualKeyCode": key_code})

    def wheel(self, selector: str, delta_y: float) -> None:
        """Turn the mouse wheel over the middle of an element."""
        box = self.rects(selector)[0]
        x, y = (box["left"] + box["right"]) / 2, max(box["top"], 0) + 40
        self.send("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": x, "y": y,
                                               "deltaX": 0, "deltaY": delta_y})

    # --- seeing --------------------------------------------------------------------------------

    def eval(self, expression: str) -> Any:
        """Evaluate a JavaScript expression (promises awaited) and return its JSON value."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise CDPError(f"JS error in {expression[:200]!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def call(self, function: str, *args: Any) -> Any:
        """Call a JavaScript function with JSON arguments and return its JSON value."""
        return self.eval(f"({function})({', '.join(json.dumps(a) for a in args)})")

    def wait_for(self, expression: str, what: str) -> Any:
        """Wait until a JavaScript expression is truthy; return its value."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def wait_for_selector(self, selector: str) -> int:
        """Wait until some element matching `selector` is shown; return how many are."""
        count: int = self.wait_for(
            f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
            ".filter(e => e.getClientRects().length > 0).length", f"{selector!r} to show")
        return count

    def text(self, selector: str) -> str:
        """Return the text of the first shown element matching `selector` ("" if none)."""
        return str(self.call("(sel) => { const el = Array.from(document.querySelectorAll(sel))"
                             ".find(e => e.getClientRects().length > 0);"
                             " return el ? el.innerText.trim() : ''; }", selector))

    def texts(self, selector: str) -> list[str]:
        """Return the shown text of every element matching `selector` that is on the page."""
        return list(self.call("(sel) => Array.from(document.querySelectorAll(sel))"
                              ".filter(e => e.getClientRects().length > 0)"
                              ".map(e => e.innerText.trim())", selector))

    def table(self, selector: str = "main table") -> Table:
        """Return the first shown table's header cells and body rows (hidden ones left out)."""
        found = self.call(_TABLE, selector)
        if found is None:
            raise AssertionError(f"no table at {selector!r}")
        return Table(found["headers"], found["rows"])

    def rects(self, selector: str) -> list[dict[str, Any]]:
        """Return the on-screen boxes (viewport coordinates) of the matching elements."""
        return list(self.call(_RECT, selector))

    def viewport(self) -> dict[str, float]:
        """Return the layout viewport's width and height in CSS pixels."""
        return dict(self.eval("({width: document.documentElement.clientWidth,"
                              " height: window.innerHeight})"))

    # --- what the page did ---------------------------------------------------------------------

    def events(self, *methods: str) -> list[dict[str, Any]]:
        """Return this tab's recorded events of the given methods."""
        with self.browser.cond:
            return [e for e in self.browser.events
                    if e.get("sessionId") == self.session and e.get("method") in methods]

    def requested_urls(self) -> list[str]:
        """Return every URL this tab has requested."""
        return [e["params"]["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def foreign_requests(self) -> list[str]:
        """Return the requests that went anywhere but 127.0.0.1 (data: and blob: aside)."""
        return [u for u in self.requested_urls()
                if not u.startswith(("data:", "blob:", "about:"))
                and urlsplit(u).hostname not in LOCAL_HOSTS]

    def failed_loads(self) -> list[dict[str, Any]]:
        """Return the loads that failed (cancelled ones aside)."""
        return [e["params"] for e in self.events("Network.loadingFailed")
                if not e["params"].get("canceled")]

    def console_errors(self) -> list[str]:
        """Return logged errors, uncaught exceptions and console.error calls."""
        errors = [e["params"]["entry"]["text"] + " " + e["params"]["entry"].get("url", "")
                  for e in self.events("Log.entryAdded")
                  if e["params"]["entry"]["level"] == "error"]
        errors += [json.dumps(e["params"]["exceptionDetails"])[:500]
                   for e in self.events("Runtime.exceptionThrown")]
        errors += [" ".join(str(a.get("value", a.get("description", "")))
                            for a in e["params"]["args"])
                   for e in self.events("Runtime.consoleAPICalled")
                   if e["params"]["type"] in {"error", "assert"}]
        return errors

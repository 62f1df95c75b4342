"""The SPARQL query page in a real browser: headless Chromium, no network.

The `query_app` fixture is the app under test: today a tiny Flask app
(`make_tiny_app`) that renders templates/query.html and answers every query
with one fixed row. To test the real application instead, replace that fixture
with `def query_app(app: Flask) -> Flask: return app` (conftest's app). The
tests only need `GET /sparql` (no query) to serve the page, and the page's
default query (or `RESULT_QUERY`, when set) to return a row whose IRI is
`EXPECTED_IRI` (or the same path on the server's own origin, for a server
that maps its IRI base onto its host). Assertions about tabs, prefixes and
examples are made against the data the page itself was given (its JSON
config block), so they hold for any server context.

Chromium is driven over the Chrome DevTools Protocol on a pipe
(`--remote-debugging-pipe`: NUL-separated JSON on file descriptors 3 and 4),
so the test needs nothing beyond the standard library, Flask and Chromium
(`.ci/install-browser.sh`). Host resolution is mapped to nothing except
127.0.0.1, and every request the page makes is recorded from the DevTools
`Network` domain and checked to stay on 127.0.0.1.

Set ALSKG_BROWSER_SCREENSHOT=/path/file.png to save a screenshot of the page
showing the result.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, Response, render_template, request, url_for
from werkzeug.serving import make_server

from tests.conftest import serving

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
WEB_DIR = Path(__file__).resolve().parents[1] / "src" / "alskg" / "web"
PAGE_PATH = "/sparql"
EXPECTED_IRI = "https://w3id.org/alskg/id/disease/als"
RESULT_QUERY: str | None = None  # None: run the default tab's query as the page sets it
SPARQL_JSON = "application/sparql-results+json"
LOCAL_HOSTS = {"127.0.0.1"}
TIMEOUT = 15.0  # seconds, for any single wait on the browser

PREFIXES = {
    "alskg": "https://w3id.org/alskg/vocab/",
    "alskgid": "https://w3id.org/alskg/id/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
EXAMPLES = [
    {
        "name": "therapies",
        "title": "Therapies",
        "summary": "Every therapy with its label.",
        "query": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?t ?label WHERE { ?t rdfs:label ?label } LIMIT 20",
    },
    {
        "name": "evidence-by-trial",
        "title": "Evidence by trial",
        "summary": "Trials & the claims they support <with markup-like text>.",
        "query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5",
    },
]
LINKS = [
    {"href": "/downloads", "label": "Downloads"},
    {"href": "/evidence", "label": "Evidence view"},
]


def make_tiny_app() -> Flask:
    """Serve the query page on GET /sparql; answer any query with one fixed row."""
    app = Flask(
        __name__,
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
    )

    @app.route(PAGE_PATH, methods=["GET", "POST"])
    def sparql() -> Any:
        if "query" not in request.values:
            return render_template(
                "query.html",
                endpoint_url=url_for("sparql", _external=True),
                prefixes=PREFIXES,
                examples=EXAMPLES,
                links=LINKS,
                build_version="0.0.0-test",
            )
        body = {
            "head": {"vars": ["s"]},
            "results": {"bindings": [{"s": {"type": "uri", "value": EXPECTED_IRI}}]},
        }
        return Response(json.dumps(body), mimetype=SPARQL_JSON)

    return app


# --------------------------------------------------------------------------
# Chrome DevTools Protocol over --remote-debugging-pipe

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
    pass


class Browser:
    """Headless Chromium with a minimal, synchronous CDP client."""

    def __init__(self, profile_dir: str, log_path: str) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        argv = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--no-proxy-server",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--hide-scrollbars",
            "--window-size=1280,1100",
            f"--user-data-dir={profile_dir}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(cmd_r), str(res_w), *argv],
            pass_fds=(cmd_r, res_w),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._next_id = 0
        self._results: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
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
                with self._cond:
                    if "id" in msg:
                        self._results[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        with self._cond:
            self._next_id += 1
            msg_id = self._next_id
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._cmd_w, data) :]
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while msg_id not in self._results:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CDPError(f"no answer to {method} (browser closed: {self._closed})")
                self._cond.wait(left)
            reply = self._results.pop(msg_id)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, start: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while True:
                for ev in self.events[start:]:
                    if ev.get("method") == method and ev.get("sessionId") == session:
                        return ev
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CDPError(f"no {method} event")
                self._cond.wait(left)

    def close(self) -> None:
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


class Page:
    """One browser tab attached in flat session mode."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.query_ran = False

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def navigate(self, url: str) -> None:
        start = len(self.browser.events)
        self.send("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", self.session, start)

    def eval(self, expression: str) -> Any:
        res = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in res:
            raise CDPError(f"JS error in {expression!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def events(self, *methods: str) -> list[dict[str, Any]]:
        with self.browser._cond:
            return [
                e
                for e in self.browser.events
                if e.get("sessionId") == self.session and e.get("method") in methods
            ]


# --------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def query_app() -> Flask:
    """The app under test (see the module docstring to switch to the real app)."""
    return make_tiny_app()


@pytest.fixture(scope="module")
def base_url(query_app: Flask) -> Iterator[str]:
    with serving(make_server("127.0.0.1", 0, query_app, threaded=True)) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: run .ci/install-browser.sh to install Chromium")
    with tempfile.TemporaryDirectory(prefix="alskg-chromium-") as tmp:
        b = Browser(os.path.join(tmp, "profile"), os.path.join(tmp, "chromium.log"))
        try:
            b.send("Browser.getVersion")
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(browser: Browser, base_url: str) -> Page:
    p = Page(browser)
    p.navigate(base_url + PAGE_PATH)
    p.wait_for(
        "!!(window.alskgYasgui && document.querySelector('#yasgui .yasqe .CodeMirror'))",
        "YASGUI to initialise",
    )
    return p


# --------------------------------------------------------------------------
# Helpers

_VISIBLE_RUN_BUTTON = """
(() => {
  const buttons = Array.from(document.querySelectorAll('#yasgui .yasqe_queryButton'));
  const b = buttons.find(x => x.offsetParent !== null);
  if (!b) return false;
  b.click();
  return true;
})()
"""

_RESULT_ROW_WITH_IRI = """
((iri) => {
  const local = location.origin + new URL(iri).pathname;
  const wanted = [iri, local];
  for (const row of document.querySelectorAll('#yasgui .yasr table tbody tr')) {
    if (row.offsetParent === null) continue;
    const text = row.textContent;
    if (wanted.some(w => text.includes(w))) return text.trim();
    for (const a of row.querySelectorAll('a')) {
      if (wanted.includes(a.getAttribute('href'))) return text.trim();
    }
  }
  return false;
})(%s)
"""


_TAB_NAMES = (
    "Array.from(document.querySelectorAll('#yasgui .tabsList .tab > a > span:first-child'))"
    ".map(s => s.textContent.trim())"
)


def run_default_query(page: Page) -> str:
    """Select the default tab, click its run button, return the matching row's text."""
    page.eval("window.alskgYasgui.selectTabId('alskg-default'), true")
    if RESULT_QUERY is not None:
        page.eval(
            f"window.alskgYasgui.getTab().getYasqe().setValue({json.dumps(RESULT_QUERY)}), true"
        )
    page.wait_for(_VISIBLE_RUN_BUTTON, "a visible run button to click")
    row = page.wait_for(_RESULT_ROW_WITH_IRI % json.dumps(EXPECTED_IRI), "the result row")
    page.query_ran = True
    return row


def sparql_requests(page: Page) -> list[dict[str, Any]]:
    out = []
    for ev in page.events("Network.requestWillBeSent"):
        req = ev["params"]["request"]
        url = urlsplit(req["url"])
        if url.path != PAGE_PATH:
            continue
        args = parse_qs(url.query)
        if req["method"] == "POST":
            args = parse_qs(req.get("postData", ""))
        if "query" in args:
            out.append({"method": req["method"], "headers": req["headers"], "args": args})
    return out


# --------------------------------------------------------------------------
# Tests


def page_config(page: Page) -> dict[str, Any]:
    """The data the server handed the page (its JSON config block)."""
    config: dict[str, Any] = page.eval(
        "JSON.parse(document.getElementById('alskg-query-config').textContent)"
    )
    return config


def example_tab_id(example: dict[str, Any], index: int) -> str:
    """The tab id query.html gives an example (same rule as its script)."""
    return "alskg-ex-" + re.sub(r"[^A-Za-z0-9_-]+", "-", str(example.get("name") or index))


def test_page_renders_layout_editor_tabs_and_links(page: Page) -> None:
    cfg = page_config(page)
    assert page.eval("document.title").startswith("SPARQL query")
    nav = page.eval(
        "Array.from(document.querySelectorAll('.site-nav a'))"
        ".map(a => [new URL(a.href).pathname, a.textContent.trim()])"
    )
    assert nav == [
        ["/", "Home"],
        ["/sparql", "Query"],
        ["/queries", "Named queries"],
        ["/evidence", "Evidence"],
        ["/downloads", "Downloads"],
    ]
    current = page.eval("document.querySelector('.site-nav a[aria-current=page]').textContent")
    assert current == "Query"
    footer = page.eval("document.querySelector('.site-footer').textContent")
    assert "Data: CC BY 4.0" in footer
    assert "Bonafede & Mariotti 2017, Front. Cell. Neurosci. 11:80" in footer
    version = cfg["persistence_id"].removeprefix("alskg_query_")
    if version != "dev":  # the page was given a build_version
        assert version in footer

    links = page.eval(
        "Array.from(document.querySelectorAll('.query-links a'))"
        ".map(a => [a.getAttribute('href'), a.textContent])"
    )
    assert links and all(href and label for href, label in links)

    # One tab for the default query, then one per example, in order.
    tab_names = page.eval(_TAB_NAMES)
    expected_tabs = ["Query"] + [ex["title"] or ex["name"] for ex in cfg["examples"]]
    assert tab_names[: len(expected_tabs)] == expected_tabs

    # The default tab is active, targets this endpoint and pre-declares every prefix.
    assert page.eval("window.alskgYasgui.getTab().getId()") == "alskg-default"
    query = page.eval("window.alskgYasgui.getTab().getYasqe().getValue()")
    assert cfg["prefixes"], "the page was given no prefixes"
    for prefix, iri in cfg["prefixes"].items():
        assert f"PREFIX {prefix}: <{iri}>" in query
    assert query.rstrip().endswith("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10")
    assert page.eval("window.alskgYasgui.getTab().getEndpoint()") == cfg["endpoint_url"]
    assert urlsplit(cfg["endpoint_url"]).path == PAGE_PATH

    # Example text is rendered as text, not markup.
    summaries = page.eval(
        "Array.from(document.querySelectorAll('.example-summary')).map(s => s.textContent)"
    )
    assert summaries == [ex["summary"] for ex in cfg["examples"] if ex["summary"]]


def test_tiny_app_context_reaches_the_page_intact(page: Page, query_app: Flask) -> None:
    if query_app.import_name != __name__:
        pytest.skip("checks the tiny app's fixed context only")
    cfg = page_config(page)
    assert cfg["prefixes"] == PREFIXES
    assert cfg["examples"] == EXAMPLES  # incl. "&" and "<...>" in a summary
    links = page.eval(
        "Array.from(document.querySelectorAll('.query-links a'))"
        ".map(a => [a.getAttribute('href'), a.textContent])"
    )
    assert links == [[link["href"], link["label"]] for link in LINKS]
    assert "0.0.0-test" in page.eval("document.querySelector('.site-footer').textContent")


def test_remote_autocompleters_are_disabled(page: Page) -> None:
    registered = page.eval("Object.keys(Yasgui.Yasqe.Autocompleters).sort()")
    assert registered == ["alskgPrefixes", "variables"]
    enabled = page.eval(
        "Object.keys(window.alskgYasgui.getTab().getYasqe().autocompleters)"
        ".filter(k => window.alskgYasgui.getTab().getYasqe().autocompleters[k]).sort()"
    )
    assert enabled == ["alskgPrefixes", "variables"]


def test_example_button_opens_its_tab(page: Page) -> None:
    cfg = page_config(page)
    if not cfg["examples"]:
        pytest.skip("the page was given no examples")
    index = len(cfg["examples"]) - 1
    example = cfg["examples"][index]
    page.eval(f"document.querySelector('[data-example-index=\"{index}\"]').click(), true")
    page.wait_for(
        f"window.alskgYasgui.getTab().getId() === {json.dumps(example_tab_id(example, index))}",
        "the example tab to become active",
    )
    assert page.eval("window.alskgYasgui.getTab().getYasqe().getValue()") == example["query"]
    assert page.eval("window.alskgYasgui.getTab().getEndpoint()") == cfg["endpoint_url"]


def test_run_button_shows_result_row(page: Page) -> None:
    row = run_default_query(page)
    assert row

    requests = sparql_requests(page)
    assert requests, "no SPARQL request was recorded"
    last = requests[-1]
    assert last["method"] in {"POST", "GET"}
    accept = {k.lower(): v for k, v in last["headers"].items()}.get("accept", "")
    assert SPARQL_JSON in accept
    sent = last["args"]["query"][0]
    assert sent == page.eval("window.alskgYasgui.getTab().getYasqe().getValue()")
    if RESULT_QUERY is None:
        assert sent.rstrip().endswith("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10")

    shot = os.environ.get("ALSKG_BROWSER_SCREENSHOT")
    if shot:
        data = page.send("Page.captureScreenshot", {"format": "png"})["data"]
        Path(shot).write_bytes(base64.b64decode(data))


def test_reload_keeps_tabs_and_restores_own_endpoint(page: Page, base_url: str) -> None:
    before = page.eval(_TAB_NAMES)
    # A stored tab pointing elsewhere (another loopback URL: nothing is sent there).
    page.eval("window.alskgYasgui.getTab().setEndpoint('http://127.0.0.1:9/elsewhere'), true")
    page.navigate(base_url + PAGE_PATH)
    page.wait_for(
        "!!(window.alskgYasgui && document.querySelector('#yasgui .yasqe .CodeMirror'))",
        "YASGUI to initialise again",
    )
    assert page.eval(_TAB_NAMES) == before, "tabs were duplicated or lost on reload"
    endpoint = page.eval(
        "JSON.parse(document.getElementById('alskg-query-config').textContent).endpoint_url"
    )
    assert page.eval(
        "window.alskgYasgui.persistentConfig.getTabs()"
        ".map(id => window.alskgYasgui.getTab(id).getEndpoint())"
    ) == [endpoint] * len(before)


def test_page_contacts_only_loopback(page: Page) -> None:
    if not page.query_ran:
        run_default_query(page)
    urls = [e["params"]["request"]["url"] for e in page.events("Network.requestWillBeSent")]
    assert urls, "no network events were recorded"
    foreign = [
        u
        for u in urls
        if not u.startswith(("data:", "blob:", "about:"))
        and urlsplit(u).hostname not in LOCAL_HOSTS
    ]
    assert foreign == [], f"page contacted other hosts: {foreign}"

    failed = [
        e["params"] for e in page.events("Network.loadingFailed") if not e["params"].get("canceled")
    ]
    assert failed == [], f"failed loads: {failed}"

    errors = [
        e["params"]["entry"]["text"] + " " + e["params"]["entry"].get("url", "")
        for e in page.events("Log.entryAdded")
        if e["params"]["entry"]["level"] == "error"
    ]
    errors += [
        json.dumps(e["params"]["exceptionDetails"])[:500]
        for e in page.events("Runtime.exceptionThrown")
    ]
    errors += [
        " ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
        for e in page.events("Runtime.consoleAPICalled")
        if e["params"]["type"] in {"error", "assert"}
    ]
    errors = [e for e in errors if "favicon.ico" not in e]
    assert errors == [], f"console errors: {errors}"


# --------------------------------------------------------------------------
# The real application: `alskg serve` (granian) over the session build


def test_real_server_page_runs_a_query_and_shows_the_row(browser: Browser,
                                                         live_server: Any) -> None:
    """On the real server: the page loads, a query runs, the ALS row appears, all on loopback."""
    page = Page(browser)
    page.navigate(live_server.url + PAGE_PATH)
    page.wait_for(
        "!!(window.alskgYasgui && document.querySelector('#yasgui .yasqe .CodeMirror'))",
        "YASGUI to initialise on the real server",
    )
    cfg = page_config(page)
    assert cfg["prefixes"]["als"] == "https://w3id.org/alskg/vocab#"
    assert len(cfg["examples"]) >= 15  # the named queries are example tabs
    page.eval("window.alskgYasgui.selectTabId('alskg-default'), true")
    page.eval("window.alskgYasgui.getTab().getYasqe().setValue("
              + json.dumps("SELECT ?s WHERE { ?s a als:Disease }") + "), true")
    page.wait_for(_VISIBLE_RUN_BUTTON, "a visible run button to click")
    row = page.wait_for(_RESULT_ROW_WITH_IRI % json.dumps(EXPECTED_IRI), "the ALS result row")
    assert row

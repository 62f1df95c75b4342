"""Issue 20, item 3: one query cannot grow the service by more than `--max-query-memory`.

A live server with a 200 MiB bound per query runs the 4-way cross product with ORDER BY that
used to grow a query worker by about 4 GB before the time limit stopped it. The resident memory
of the whole server (every process) is sampled every 20 ms while it runs: it never grows by more
than the bound (plus 64 MiB of sampling slack). The query gets 503 naming the limit well before
the time limit, its worker is replaced (counted in /metrics as a `memory` restart), and the next
query is answered right. (The rdflib engine's path, a Python MemoryError, is measured in
docs/reliability.md rather than run here: its server alone takes seconds to load.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import LiveServer, report
from faults import bindings, call, fresh, query, rss_of_tree
from prometheus_client.parser import text_string_to_metric_families

from alskg.assembly.store import BuiltDataset
from alskg.query.engines import DatasetSpec, open_engine

LIMITS_MIB = {"oxigraph": 200, "rdflib": 64}
GREEDY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?d ?g ?j"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def memory_restarts(server: LiveServer) -> float:
    """Return the query workers replaced for memory (from /metrics)."""
    text = call(server.url + "/metrics").text()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "alskg_query_worker_restarts_total"
               and sample.labels.get("reason") == "memory")


def run_greedy(server: LiveServer) -> tuple[int, bytes, float, int]:
    """Run the greedy query; return (status, body, seconds, peak growth of the server's RSS)."""
    before = rss_of_tree(server.process.pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_of_tree(server.process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        answer = query(server.url, fresh(GREEDY), timeout=60)
    finally:
        done.set()
        sampler.join()
    return answer.status, answer.body, answer.seconds, peak[0] - before


@pytest.fixture(scope="module")
def expected_count(built: BuiltDataset) -> str:
    """The triple count of the default graph, from an engine in this process."""
    engine = open_engine("oxigraph", built.dataset_file)
    outcome = engine.run(COUNT, DatasetSpec())
    return str(outcome.rows[0][0])


@pytest.mark.parametrize("engine", ["oxigraph"])  # rdflib: same bound, MemoryError (docs)
def test_a_greedy_query_is_stopped_at_the_memory_bound(build_root: Path, engine: str,
                                                       expected_count: str,
                                                       pytestconfig: pytest.Config) -> None:
    limit = LIMITS_MIB[engine]
    server = LiveServer(build_root, "--engine", engine, "--query-workers", "1", "--timeout",
                        "20", "--max-query-memory", str(limit))
    try:
        before = memory_restarts(server)
        status, body, seconds, growth = run_greedy(server)
        assert status == 503, (status, body[:300])
        assert f"({limit} MiB" in body.decode() and "--max-query-memory" in body.decode()
        assert seconds < 15, f"stopped by the time limit, not the memory bound ({seconds:.1f} s)"
        assert growth < (limit + 64) << 20, f"the server grew by {growth >> 20} MiB"
        assert memory_restarts(server) == before + 1
        report(pytestconfig, f"{engine}, --max-query-memory {limit}: 503 in {seconds:.2f} s, "
               f"the server grew by {growth / (1 << 20):.0f} MiB at most")
        rows = bindings(query(server.url, fresh(COUNT), timeout=30))
        assert rows == [{"n": expected_count}]
    finally:
        server.stop()

"""Validation beside reasoning (assembly/checking.py): the forked validator gives the verdict the
in-process one gives, a killed validator stops the build with one line, and a failing build
publishes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path

import pytest

from alskg.assembly.checking import Validation, ValidationCrashed, can_fork
from alskg.curation import paths as resources
from alskg.curation.sources import Sources, load_sources

BAD_PHENOTYPE = """@prefix als: <https://w3id.org/alskg/vocab#> .
@prefix phenotype: <https://w3id.org/alskg/id/phenotype/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
phenotype:test-phenotype a als:Phenotype ; rdfs:label "test phenotype" ;
    skos:exactMatch obo:HP_12 .
"""

pytestmark = pytest.mark.skipif("fork" not in __import__("multiprocessing")
                                .get_all_start_methods(), reason="no fork on this platform")


@pytest.fixture(scope="module")
def bad_sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    """The project's sources with one malformed identifier added."""
    root = tmp_path_factory.mktemp("sources")
    shutil.copytree(resources.data_dir(), root / "data")
    (root / "data" / "zz-bad.ttl").write_text(BAD_PHENOTYPE)
    return load_sources(resources.ontology_dir(), root / "data")


def test_forked_and_in_process_validation_agree(bad_sources: Sources, tmp_path: Path) -> None:
    forked = Validation(bad_sources, tmp_path, fork=True)
    assert forked._process is not None  # noqa: SLF001 - the fork path was taken
    inline = Validation(bad_sources, tmp_path, fork=False)
    assert inline._process is None  # noqa: SLF001
    assert forked.problems() == inline.problems()
    assert any(p.rule == "curie-pattern" and p.node.endswith("phenotype/test-phenotype")
               for p in inline.problems())


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()  # a thread could hold a lock the child would need
    finally:
        stop.set()
        other.join()


def test_killed_validator_stops_the_build_with_one_line(bad_sources: Sources,
                                                        tmp_path: Path) -> None:
    validation = Validation(bad_sources, tmp_path, fork=True)
    assert validation._process is not None and validation._process.pid  # noqa: SLF001
    os.kill(validation._process.pid, signal.SIGKILL)  # noqa: SLF001
    with pytest.raises(ValidationCrashed) as raised:
        validation.problems()
    message = str(raised.value)
    assert "\n" not in message and "exit code -9" in message and "nothing was built" in message

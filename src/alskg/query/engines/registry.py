"""The engine registry: each engine's name and how to open it over a built dataset.

Each engine's module is imported when it is opened, not before: the server's processes open one
engine, and rdflib's SPARQL machinery alone costs ~80 ms of start-up when nothing uses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...curation.namespaces import DEFAULT_BASE
from .base import Engine

Opener = Callable[[Path, str, dict[str, Any]], Engine]


def _oxigraph(dataset_file: Path, base: str, options: dict[str, Any]) -> Engine:
    from .oxigraph_engine import OxigraphEngine

    return OxigraphEngine(dataset_file, base=base, store_path=options.get("store_path"),
                          read_only=bool(options.get("read_only")))


def _rdflib(dataset_file: Path, base: str, options: dict[str, Any]) -> Engine:
    from .rdflib_engine import RdflibEngine

    return RdflibEngine(dataset_file, base=base)


def _remote(dataset_file: Path, base: str, options: dict[str, Any]) -> Engine:
    from .remote_engine import RemoteEngine

    return RemoteEngine(options["store"], base=base, auth=options.get("auth"))


ENGINES: dict[str, Opener] = {"oxigraph": _oxigraph, "rdflib": _rdflib, "remote": _remote}
ENGINE_NAMES = tuple(ENGINES)


def open_engine(name: str, dataset_file: Path, *, base: str = DEFAULT_BASE,
                options: dict[str, Any] | None = None) -> Engine:
    """Open engine `name` (oxigraph, rdflib or remote) over a built N-Quads dataset."""
    opener = ENGINES.get(name)
    if opener is None:
        raise ValueError(f"unknown engine {name!r}; expected one of {ENGINE_NAMES}")
    return opener(dataset_file, base, options or {})

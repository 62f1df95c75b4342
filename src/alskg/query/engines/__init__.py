"""Query engines behind one small interface: rdflib, Oxigraph (embedded) and a remote store."""

from __future__ import annotations

from .base import DatasetSpec, Engine, QueryOutcome, QueryTimeout, UnsafeQuery
from .registry import ENGINE_NAMES, open_engine

__all__ = ["ENGINE_NAMES", "DatasetSpec", "Engine", "QueryOutcome", "QueryTimeout",
           "UnsafeQuery", "open_engine"]

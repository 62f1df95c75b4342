"""Find the project's resource folders (ontology, data, queries) installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the alskg package folder
_RESOURCE_NAMES = ("ontology", "data", "queries")


def resource_dir(name: str) -> Path:
    """Return the folder `name` (ontology, data or queries), from a checkout or the wheel."""
    if name not in _RESOURCE_NAMES:
        raise ValueError(f"unknown resource folder {name!r}; expected one of {_RESOURCE_NAMES}")
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir() and (_PACKAGE_DIR.parent.parent / "pyproject.toml").is_file():
        return checkout
    installed = _PACKAGE_DIR / "_resources" / name
    if installed.is_dir():
        return installed
    raise FileNotFoundError(f"resource folder {name!r} not found in a checkout or the package")


def ontology_dir() -> Path:
    """Return the folder holding als.ttl, shapes.ttl and imports/."""
    return resource_dir("ontology")


def data_dir() -> Path:
    """Return the folder of curated Turtle data."""
    return resource_dir("data")


def queries_dir() -> Path:
    """Return the folder of named queries (and rules/ beneath it)."""
    return resource_dir("queries")


def static_dir() -> Path:
    """Return the web static folder shipped inside the package."""
    return _PACKAGE_DIR / "web" / "static"

"""Dereferenceable IRIs: resource pages and RDF descriptions by content negotiation (issue 6)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("resources", __name__)

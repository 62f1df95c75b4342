"""Formats: the media-type table, negotiation, result and RDF writers, terms, text tables."""

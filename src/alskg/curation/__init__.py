"""Curation: the curated sources, their validation, the namespaces and resource folders."""

"""Linked data: every IRI under the base dereferences on this server, by content negotiation."""

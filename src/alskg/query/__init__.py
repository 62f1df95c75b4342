"""Querying a build: engines, the killable executor, the query service and named queries."""

"""Search over the graph's resources: a SQLite FTS5 index written with the build, read per request.

Modules: text (folding, tokens, spelling neighbours), identifiers (the keys an NCT number, a CURIE,
a DOI, a PMID or an IRI is found by), kinds (the kinds of resource, their names and order),
documents (what the index holds about each resource, read from the build's graphs), index_file
(writing and opening the index file), searcher (ranked search and typeahead suggestions).
"""

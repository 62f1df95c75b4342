"""Publishing a build: deterministic dumps, KGX, SSSOM, pushing to a SPARQL store, importing RDF."""

"""The SPARQL 1.1 Protocol endpoint: request parsing, the /sparql view, service description."""

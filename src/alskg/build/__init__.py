"""Build: curated sources to an immutable, checksummed dataset (pipeline, store, meta, VoID)."""

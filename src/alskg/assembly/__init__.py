"""Assembly, the `alskg build` stage: curated sources to an immutable, checksummed dataset.

Modules: pipeline (parse, validate, reason, write), store (the build directory and its atomic
`current` link), meta (the meta graph), void (VoID counts).
"""

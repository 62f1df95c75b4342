"""Identifiers as search keys: the forms under which an NCT number, a CURIE, a DOI, a PMID or a
full IRI finds its resource.

Every identifier is stored under a few lower-cased keys (the IRI, its CURIE, the bare local part
of a registry's id: `10.1056/nejm199403033300901`, `15204012`, `nct01281189`); a query is turned
into the keys it could mean (`doi:…`, `https://dx.doi.org/…`, `pubmed:…`, `obo:CHEBI_8863`,
`CHEBI_8863`, `<iri>`, a CURIE with one of the graph's prefixes) and found by exact lookups.
External IRIs are read by the CURIE rules the SSSOM export and the resource pages share
(publishing.sssom.external_id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..publishing.sssom import OBO_NAMES, REGISTRIES, external_id

NCT = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)
DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\S+)$", re.IGNORECASE)
BARE_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PUBMED_URL = re.compile(r"^https?://(?:pubmed\.ncbi\.nlm\.nih\.gov|www\.ncbi\.nlm\.nih\.gov/pubmed)"
                        r"/(\d+)/?$", re.IGNORECASE)
OBO_LOCAL = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_(\w+)$")
CURIE = re.compile(r"^([A-Za-z][\w.-]*):(\S+)$")
REGISTRY_ALIASES = {"pubmed": "pmid", "nct": "clinicaltrials"}
OTHER_PREFIXES = frozenset({"doi", "pmid", "pubmed", "nct", "clinicaltrials", "alskg", "obo",
                            "http", "https", "urn", "mailto", "file", "ftp"})


def keys_of_identifier(identifier: str) -> set[str]:
    """Return the keys an external identifier (an IRI, or a registry id as text) is found by."""
    text = identifier.strip()
    keys = {text.lower()}
    nct = NCT.search(text)
    if nct:
        keys.add(nct.group(0).lower())
    found = external_id(text)
    if found is not None:
        keys.add(found.curie.lower())
        local = found.curie.split(":", 1)[1]
        if found.prefix in OBO_NAMES or found.namespace.startswith("http://purl.obolibrary.org/"):
            keys.add(f"{found.prefix}_{local}".lower())
        else:
            keys.add(local.lower())
    elif " " in text:  # "EudraCT 2010-022818-19": the number alone finds it too
        keys.add(text.rsplit(" ", 1)[1].lower())
    return keys


def shown_identifier(identifier: str) -> str:
    """Return how an identifier is shown: `CHEBI:8863`, `NCT01281189`, `doi:10.…`, or as given."""
    nct = NCT.search(identifier)
    if nct and (identifier.startswith("http") or identifier.upper() == nct.group(0).upper()):
        return nct.group(0).upper()
    found = external_id(identifier)
    return found.curie if found is not None else identifier


def keys_of_resource(iri: str, curie: str) -> set[str]:
    """Return the keys a resource of ours is found by: its IRI and its CURIEs."""
    keys = {iri.lower(), curie.lower()}
    kind, _, slug = curie.partition(":")
    if kind != "als":
        keys.add(f"alskg:{kind}/{slug}".lower())
    return keys


def query_keys(query: str, prefixes: Mapping[str, str]) -> list[str]:
    """Return the keys a query could mean as an identifier, most literal first (no duplicates)."""
    text = query.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    keys = [text.lower()]
    doi, pubmed = DOI_URL.match(text), PUBMED_URL.match(text)
    if doi:
        keys.append(doi.group(1).lower())
    if pubmed:
        keys.append("pmid:" + pubmed.group(1))
    nct = NCT.search(text)
    if nct:
        keys.append(nct.group(0).lower())
    obo = OBO_LOCAL.match(text)
    if obo:
        keys.append(f"{obo.group(1)}:{obo.group(2)}".lower())
    curie = CURIE.match(text)
    if curie and not curie.group(2).startswith("//"):
        prefix, local = curie.group(1), curie.group(2)
        alias = REGISTRY_ALIASES.get(prefix.lower(), prefix.lower())
        keys.append(f"{alias}:{local}".lower())
        if alias == "doi":
            keys.append(local.lower())
        namespace = _namespace(prefix, prefixes)
        if namespace is not None:
            iri = namespace + local
            keys.append(iri.lower())
            found = external_id(iri)
            if found is not None:
                keys.append(found.curie.lower())
    elif curie is None or curie.group(2).startswith("//"):
        found = external_id(text)
        if found is not None:
            keys.append(found.curie.lower())
    return list(dict.fromkeys(keys))


def unknown_prefix(query: str, prefixes: Mapping[str, str]) -> str | None:
    """Return the prefix of a CURIE-shaped query when no prefix of ours or of a registry has its
    name (`foo:bar` → `foo`), else None."""
    match = CURIE.match(query.strip())
    if match is None or match.group(2).startswith("//"):
        return None
    prefix = match.group(1)
    known = {p.lower() for p in prefixes} | OTHER_PREFIXES | {
        r.prefix.lower() for r in REGISTRIES} | {p.lower() for p in OBO_NAMES}
    return None if prefix.lower() in known else prefix


def _namespace(prefix: str, prefixes: Mapping[str, str]) -> str | None:
    if prefix in prefixes:
        return prefixes[prefix]
    lowered = {p.lower(): ns for p, ns in sorted(prefixes.items())}
    return lowered.get(prefix.lower())

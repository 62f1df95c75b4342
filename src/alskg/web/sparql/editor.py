"""What the query page's editor is given: one short starting query, and the named queries as
examples grouped by topic (the first of their `#+ tags:`) for the page's searchable picker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...query.catalog import NamedQuery
from ...query.examples import body_text

# Runs as it stands: the server pre-declares every prefix, so the editor needs no PREFIX lines.
STARTING_QUERY = """\
# The interventions in the graph, by name. Prefixes such as als:, rdfs: and
# intervention: are pre-declared. Run with Ctrl+Enter; pick an example below.
SELECT ?intervention ?name WHERE {
  ?intervention a als:Intervention ;
                rdfs:label ?name .
}
ORDER BY LCASE(?name)
LIMIT 100
"""

UNTAGGED = "other"


def topic_of(query: NamedQuery) -> str:
    """Return the topic a named query is filed under: its first tag, else "other"."""
    return query.tags[0] if query.tags else UNTAGGED


def editor_text(query: NamedQuery) -> str:
    """Return the text an example opens with: a comment naming it, then its SPARQL (no headers)."""
    return f"# {query.title or query.name}\n{body_text(query)}"


def example_groups(catalog: Sequence[NamedQuery],
                   page_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """Return the examples grouped by topic, topics in the order they first appear in the
    catalog ("other" last), each example once:
    {topic, examples: [{name, title, description, tags, query, href}]}."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for query in catalog:
        groups.setdefault(topic_of(query), []).append({
            "name": query.name, "title": query.title or query.name,
            "description": query.description, "tags": list(query.tags),
            "query": editor_text(query), "href": page_url(query.name)})
    order = sorted(groups, key=lambda topic: topic == UNTAGGED)  # stable: "other" goes last
    return [{"topic": topic, "examples": groups[topic]} for topic in order]

"""Parse a curation YAML file so that every mapping remembers the line it starts on.

PyYAML's safe loader (libyaml's, where present) gives each node a start mark; this loader keeps it
on the mappings it builds (`Block.line`), so validation can name the line of a record or of a
checked page. Dates are read as
text (YYYY, YYYY-MM or YYYY-MM-DD), never converted, so the source's precision survives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ...errors import SourceSyntaxError


class Block(dict[str, Any]):
    """A YAML mapping with the (1-based) line it starts on."""

    line: int = 0


# libyaml's parser when PyYAML was built with it (the wheels are), else the pure-Python one.
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BASE_LOADER):
    """Safe loader whose mappings are Blocks carrying their line, and whose timestamps stay text."""


def _construct_block(loader: _LineLoader, node: yaml.MappingNode) -> Block:
    block = Block()
    block.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        block[str(key)] = loader.construct_object(value_node, deep=True)
    return block


def _construct_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


# YAML 1.2 booleans: only true/false (YAML 1.1 also reads yes/no/on/off, so `yes: 9` in a vote
# would become `True: 9`).
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_BOOLEAN = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_LineLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOLEAN, list("tTfF"))
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_block)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def read_yaml(path: Path, shown_as: str) -> Any:
    """Parse one YAML file; a syntax error names the file (as `shown_as`) and the line."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SourceSyntaxError(shown_as, line, str(exc.problem or exc)) from None
    except UnicodeDecodeError as exc:
        raise SourceSyntaxError(shown_as, None, f"not UTF-8 text ({exc.reason})") from None

"""The deterministic RDF writers: Turtle, TriG, N-Triples, RDF/XML and JSON-LD, sorted and stable.

Turtle and N-Triples are Oxigraph's writers over sorted triples (formats.graph_writer). TriG,
RDF/XML and JSON-LD are hand-written because rdflib's output order depends on the hash seed
(and Oxigraph's RDF/XML needs a QName for every predicate): subjects, predicates and objects are
sorted and prefixes are declared only when used, so the same triples always give the same bytes.
`write_rdf` is the one choice of writer per syntax, used by the dumps, the dereferenced IRIs and
/sparql alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..curation.namespaces import DEFAULT_BASE, SD, prefixes
from ..errors import NotRepresentable
from .graph_writer import ox_triple, write_graph
from .nquads import nquad_lines

Triple = tuple[Node, Node, Node]

_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_PREFIX_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


# -- prefixes -------------------------------------------------------------------------------------


def serialization_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Return the prefixes written into Turtle, TriG, RDF/XML and the JSON-LD context."""
    table = prefixes(base)
    table.update({
        "alskg": base,
        "sd": str(SD),
        "spdx": "http://spdx.org/rdf/terms#",
        "formats": "http://www.w3.org/ns/formats/",
    })
    return dict(sorted(table.items()))


def answer_prefixes(own: dict[str, str]) -> dict[str, str]:
    """Return the prefixes a graph answer is written with: the documents' table under `own`."""
    return {**serialization_prefixes(), **own}


def jsonld_context(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Return the JSON-LD @context: the prefixes whose namespace ends in '/' or '#'.

    JSON-LD 1.1 only uses a term as a prefix when its IRI ends with a general delimiter, so the
    OBO prefixes ending in '_' (MONDO, HP, ...) are left out; `obo:` covers them.
    """
    return {name: iri for name, iri in serialization_prefixes(base).items()
            if iri.endswith(("/", "#"))}


def context_document(base: str = DEFAULT_BASE) -> bytes:
    """Return the published context document (`context.jsonld`) as bytes."""
    return (json.dumps({"@context": jsonld_context(base)}, indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


class Names:
    """Abbreviates IRIs with a prefix table (longest namespace first) for one serialization."""

    def __init__(self, table: dict[str, str], local: re.Pattern[str] = _PN_LOCAL) -> None:
        """Index the prefix table; `local` is the pattern a local part must match."""
        self.table = table
        self.local = local
        self.ordered = sorted(((iri, name) for name, iri in table.items()),
                              key=lambda item: (-len(item[0]), item[1]))
        self.used: set[str] = set()

    def compact(self, iri: str) -> str | None:
        """Return `prefix:local` for an IRI, or None when no prefix gives a valid local part."""
        for namespace, name in self.ordered:
            if iri.startswith(namespace):
                local = iri[len(namespace):]
                if local and self.local.match(local) and not local.startswith("//"):
                    self.used.add(name)
                    return f"{name}:{local}"
        return None

    def declarations(self) -> list[tuple[str, str]]:
        """Return the (prefix, namespace) pairs used so far, sorted by prefix."""
        return sorted((name, self.table[name]) for name in self.used)


# -- terms ----------------------------------------------------------------------------------------


def term_key(term: Node) -> tuple[int, str]:
    """Return a total sort key for terms: IRIs, then blank nodes, then literals."""
    if isinstance(term, URIRef):
        return (0, str(term))
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, Literal):
        return (2, f"{term}\x00{term.language or ''}\x00{term.datatype or ''}")
    return (3, str(term))


def _escape_string(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _is_plain(literal: Literal) -> bool:
    return literal.language is None and literal.datatype in (None, XSD.string)


def turtle_term(term: Node, names: Names) -> str:
    """Return a term in Turtle syntax, abbreviating IRIs and datatypes with `names`."""
    if isinstance(term, URIRef):
        return names.compact(str(term)) or f"<{_iri_escape(str(term))}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        if _is_plain(term):
            return text
        return f"{text}^^{turtle_term(URIRef(str(term.datatype)), names)}"
    raise TypeError(f"not an RDF term: {term!r}")


def _iri_escape(iri: str) -> str:
    return "".join(f"\\u{ord(c):04X}" if c in '<>"{}|^`\\' or ord(c) <= 0x20 else c for c in iri)


# -- serializers ----------------------------------------------------------------------------------


def _grouped(triples: Iterable[Triple]) -> list[tuple[Node, list[tuple[Node, list[Node]]]]]:
    subjects: dict[Node, dict[Node, set[Node]]] = {}
    for s, p, o in triples:
        subjects.setdefault(s, {}).setdefault(p, set()).add(o)
    out = []
    for s in sorted(subjects, key=term_key):
        preds = sorted(subjects[s], key=lambda p: (p != RDF.type, term_key(p)))
        out.append((s, [(p, sorted(subjects[s][p], key=term_key)) for p in preds]))
    return out


def _turtle_block(triples: Iterable[Triple], names: Names, indent: str = "") -> list[str]:
    lines: list[str] = []
    for s, preds in _grouped(triples):
        lines.append(indent + turtle_term(s, names))
        for index, (p, objects) in enumerate(preds):
            verb = "a" if p == RDF.type else turtle_term(p, names)
            end = " ." if index == len(preds) - 1 else " ;"
            values = " , ".join(turtle_term(o, names) for o in objects)
            lines.append(f"{indent}    {verb} {values}{end}")
        lines.append("")
    return lines


def _prefix_lines(names: Names) -> list[str]:
    return [f"@prefix {name}: <{iri}> ." for name, iri in names.declarations()]


def to_turtle(triples: Iterable[Triple], table: dict[str, str] | None = None,
              deadline: float | None = None) -> bytes:
    """Serialize triples as Turtle (formats.graph_writer: Oxigraph's writer, sorted)."""
    return write_graph((ox_triple(t) for t in triples), "turtle",
                       table or serialization_prefixes(), deadline)


def to_trig(graphs: Sequence[tuple[str | None, Iterable[Triple]]],
            table: dict[str, str] | None = None) -> bytes:
    """Serialize graphs as TriG, one `<graph> { ... }` block per named graph in the given order
    (the default graph, named None, as plain triples)."""
    names = Names(table or serialization_prefixes())
    body: list[str] = []
    for name, triples in graphs:
        block = _turtle_block(triples, names, indent="" if name is None else "    ")
        if not block:
            continue
        if name is None:
            body.extend(block)
            continue
        body.append(f"{turtle_term(URIRef(name), names)} {{")
        body.extend(block[:-1])
        body.append("}")
        body.append("")
    head = _prefix_lines(names)
    return ("\n".join(head + [""] + body)).encode("utf-8")


def to_ntriples(triples: Iterable[Triple], deadline: float | None = None) -> bytes:
    """Serialize triples as N-Triples (formats.graph_writer: Oxigraph's writer, sorted)."""
    return write_graph((ox_triple(t) for t in triples), "nt", {}, deadline)


def to_rdfxml(triples: Iterable[Triple], table: dict[str, str] | None = None) -> bytes:
    """Serialize triples as flat RDF/XML: one rdf:Description per subject, sorted."""
    table = dict(table or serialization_prefixes())
    table.setdefault("rdf", str(RDF))  # rdf:RDF and rdf:Description need it, whatever the table
    grouped = _grouped(triples)
    names = Names(table, local=_NCNAME)
    qnames: dict[Node, str] = {}
    extra: dict[str, str] = {}
    for _, preds in grouped:
        for p, _ in preds:
            if p in qnames:
                continue
            qname = names.compact(str(p))
            if qname is None or not _PREFIX_NAME.match(qname.split(":", 1)[0]):
                qname = _split_qname(str(p), table, extra)
            qnames[p] = qname
    names.used.add("rdf")
    declarations = dict(names.declarations())
    declarations.update(extra)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    lines.extend(f"   xmlns:{name}={quoteattr(iri)}" for name, iri in sorted(declarations.items()))
    lines[-1] += ">"
    for s, preds in grouped:
        if isinstance(s, BNode):
            lines.append(f"  <rdf:Description rdf:nodeID={quoteattr(str(s))}>")
        else:
            lines.append(f"  <rdf:Description rdf:about={quoteattr(str(s))}>")
        for p, objects in preds:
            qname = qnames[p]
            for o in objects:
                lines.append("    " + _xml_property(qname, o))
        lines.append("  </rdf:Description>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _split_qname(iri: str, table: dict[str, str], extra: dict[str, str]) -> str:
    for index in range(len(iri) - 1, 0, -1):
        if iri[index] in "#/" and _NCNAME.match(iri[index + 1:]):
            namespace, local = iri[:index + 1], iri[index + 1:]
            for name, known in list(table.items()) + list(extra.items()):
                if known == namespace and _PREFIX_NAME.match(name):
                    extra[name] = namespace
                    return f"{name}:{local}"
            name = f"ns{len(extra) + 1}"
            extra[name] = namespace
            return f"{name}:{local}"
    raise NotRepresentable(f"RDF/XML cannot carry the predicate <{iri}>: its IRI does not end "
                           "in an XML name (Turtle, N-Triples, N-Quads, TriG and JSON-LD can)")


def _xml_text(text: str) -> str:
    return xml_escape(text).replace("\r", "&#13;")


def _xml_property(qname: str, term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{qname} rdf:resource={quoteattr(str(term))}/>"
    if isinstance(term, BNode):
        return f"<{qname} rdf:nodeID={quoteattr(str(term))}/>"
    assert isinstance(term, Literal)
    attributes = ""
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
    elif not _is_plain(term):
        attributes = f" rdf:datatype={quoteattr(str(term.datatype))}"
    return f"<{qname}{attributes}>{_xml_text(str(term))}</{qname}>"


def jsonld_nodes(triples: Iterable[Triple], names: Names) -> list[dict[str, object]]:
    """Return flattened JSON-LD node objects for triples, compacted with `names`, sorted."""
    def ref(term: Node) -> str:
        if isinstance(term, BNode):
            return f"_:{term}"
        return names.compact(str(term)) or str(term)

    nodes: list[dict[str, object]] = []
    for s, preds in _grouped(triples):
        node: dict[str, object] = {"@id": ref(s)}
        for p, objects in preds:
            if p == RDF.type and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [ref(o) for o in objects]
                continue
            values: list[dict[str, str]] = []
            for o in objects:
                if isinstance(o, Literal):
                    value = {"@value": str(o)}
                    if o.language:
                        value["@language"] = o.language
                    elif not _is_plain(o):
                        value["@type"] = ref(URIRef(str(o.datatype)))
                    values.append(value)
                else:
                    values.append({"@id": ref(o)})
            node[ref(p)] = values
        nodes.append(node)
    return nodes


def to_jsonld(graphs: Sequence[tuple[str | None, Iterable[Triple]]],
              base: str = DEFAULT_BASE) -> bytes:
    """Serialize graphs as JSON-LD with the context inline (None names the default graph)."""
    context = jsonld_context(base)
    names = Names(context)
    top: list[dict[str, object]] = []
    for name, triples in graphs:
        nodes = jsonld_nodes(triples, names)
        if name is None:
            top.extend(nodes)
        elif nodes:
            top.append({"@id": names.compact(name) or name, "@graph": nodes})
    document = {"@context": context, "@graph": top}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


RDF_KEYS = ("turtle", "nt", "nquads", "trig", "jsonld", "rdfxml")


def write_rdf(graphs: Sequence[tuple[str | None, Iterable[Triple]]], key: str,
              table: dict[str, str], base: str = DEFAULT_BASE,
              deadline: float | None = None) -> bytes:
    """Serialize graphs in the syntax `key`: the one writer per syntax for the whole program.

    Triple syntaxes (Turtle, N-Triples, JSON-LD, RDF/XML) merge the graphs; TriG and N-Quads
    keep each graph (None is the default graph). Past the deadline (a `time.monotonic()`
    value) the writers that canonicalize blank nodes stop with QueryTimeout."""
    if key in ("trig", "nquads"):
        merged: dict[str | None, set[Triple]] = {}
        for name, triples in graphs:
            merged.setdefault(name, set()).update(triples)
        ordered = sorted(merged.items(), key=lambda item: (item[0] is not None, item[0] or ""))
        if key == "trig":
            return to_trig(ordered, table)
        lines: list[str] = []
        for name, members in ordered:
            if name is None:  # default-graph quads are N-Triples lines: the one N-Triples writer
                lines.extend(to_ntriples(members, deadline).decode("utf-8")
                             .splitlines(keepends=True))
                continue
            graph = Graph()
            for triple in members:
                graph.add(triple)
            lines.extend(nquad_lines([(name, graph)], deadline=deadline))
        return "".join(sorted(lines)).encode("utf-8")
    triples = {triple for _, members in graphs for triple in members}
    if key == "turtle":
        return to_turtle(triples, table, deadline)
    if key == "nt":
        return to_ntriples(triples, deadline)
    if key == "jsonld":
        return to_jsonld([(None, triples)], base)
    if key == "rdfxml":
        return to_rdfxml(triples, table)
    raise ValueError(f"unknown RDF syntax {key!r}; expected one of {RDF_KEYS}")

"""The data-model picture: an SVG class diagram drawn from the ontology, so it cannot drift.

Boxes are the named classes of the vocabulary (datatype properties listed inside, UML style),
arrows are object properties from their rdfs:domain to their rdfs:range (an inverse pair is drawn
once, parallel properties share one arrow), hollow-headed arrows are rdfs:subClassOf. The layout is
a small layered (Sugiyama-style) drawing computed here: cycles broken, longest-path layers, dummy
points for long edges, barycentre ordering. No JavaScript and no network: the SVG is inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..curation.namespaces import ALS

CHAR_WIDTH = 7.0
LINE_HEIGHT = 15
BOX_PAD = 10
LAYER_GAP = 72
NODE_GAP = 26
DUMMY_WIDTH = 14
MARGIN = 16


@dataclass
class ClassBox:
    """A class to draw: its IRI, name, attribute lines, tooltip and whether it is a SKOS concept."""

    iri: str
    name: str
    attributes: list[str] = field(default_factory=list)
    tooltip: str = ""
    concept: bool = False


@dataclass(frozen=True)
class Link:
    """An arrow between two classes: a property (with its label) or a subclass relation."""

    source: str
    target: str
    label: str
    subclass: bool = False


@dataclass
class Model:
    """What the diagram shows, read from the ontology."""

    boxes: dict[str, ClassBox]
    links: list[Link]
    loose: list[str]
    defined: list[str]


def _local(iri: Node | str) -> str:
    text = str(iri)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[-1]
    return text


def _named(graph: Graph, node: Node, predicate: URIRef) -> list[URIRef]:
    return sorted((v for v in graph.objects(node, predicate)
                   if isinstance(v, URIRef)), key=str)


def read_model(ontology: Graph, namespace: str = str(ALS)) -> Model:
    """Extract classes, property arrows, subclass arrows and unplaced properties from a graph."""
    classes = sorted(c for c in ontology.subjects(RDF.type, OWL.Class)
                     if isinstance(c, URIRef) and str(c).startswith(namespace))
    defined = sorted(_local(c) for c in classes if (c, OWL.equivalentClass, None) in ontology)
    boxes: dict[str, ClassBox] = {}
    for cls in classes:
        if _local(cls) in defined:
            continue
        tip = next((str(v) for v in ontology.objects(cls, SKOS.definition)
                    if isinstance(v, Literal)), "")
        concept = (cls, RDFS.subClassOf, SKOS.Concept) in ontology
        boxes[str(cls)] = ClassBox(str(cls), _local(cls), [], " ".join(tip.split()), concept)
    links: dict[tuple[str, str, bool], list[str]] = {}
    loose: list[str] = []
    skip: set[URIRef] = set()
    properties = sorted(p for p in ontology.subjects(RDF.type, OWL.ObjectProperty)
                        if isinstance(p, URIRef) and str(p).startswith(namespace))
    # Of an inverse pair, draw the active one (`investigates`, not `investigatedIn`).
    properties.sort(key=lambda p: (_local(p).endswith(("In", "By")), str(p)))
    for prop in properties:
        if prop in skip:
            continue
        domains = [str(d) for d in _named(ontology, prop, RDFS.domain) if str(d) in boxes]
        ranges = [str(r) for r in _named(ontology, prop, RDFS.range) if str(r) in boxes]
        label = _local(prop)
        for inverse in _named(ontology, prop, OWL.inverseOf) + \
                sorted(ontology.subjects(OWL.inverseOf, prop), key=str):
            if isinstance(inverse, URIRef) and inverse != prop:
                skip.add(inverse)
                label = f"{label} / {_local(inverse)}"
                break
        if not domains or not ranges:
            target = f" → {_local(ranges[0])}" if ranges else ""
            loose.append(f"{label}{target}")
            continue
        for d in domains:
            for r in ranges:
                links.setdefault((d, r, False), []).append(label)
    for prop in sorted(p for p in ontology.subjects(RDF.type, OWL.DatatypeProperty)
                       if isinstance(p, URIRef) and str(p).startswith(namespace)):
        kinds = [_local(r) for r in _named(ontology, prop, RDFS.range)]
        text = f"{_local(prop)}: {kinds[0]}" if kinds else _local(prop)
        owners = [str(d) for d in _named(ontology, prop, RDFS.domain) if str(d) in boxes]
        if not owners:
            loose.append(text)
        for owner in owners:
            boxes[owner].attributes.append(text)
    for key in boxes:
        for parent in _named(ontology, URIRef(key), RDFS.subClassOf):
            if str(parent) in boxes:
                links.setdefault((key, str(parent), True), [])
    arrows = [Link(s, t, ", ".join(labels), sub) for (s, t, sub), labels in sorted(links.items())]
    return Model(boxes, arrows, sorted(loose), defined)


# -- layout ---------------------------------------------------------------------------------------


@dataclass
class _Node:
    key: str
    width: float
    height: float
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0
    dummy: bool = False
    loop: float = 0.0  # room kept to the right for a self-loop


def _reaches(succ: dict[str, set[str]], start: str, goal: str) -> bool:
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in succ[node] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return False


def _layers(keys: list[str], edges: list[tuple[str, str]],
            weak: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layers of `edges` made acyclic (DFS back edges reversed), then `weak`
    edges added in whichever direction keeps the graph acyclic; nodes then balanced."""
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for s, t in edges:
        succ[s].append(t)
    state: dict[str, int] = {}
    acyclic: list[tuple[str, str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in sorted(succ[node]):
            if state.get(nxt) == 1:
                acyclic.append((nxt, node))
                continue
            acyclic.append((node, nxt))
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    indegree = {k: 0 for k in keys}
    for _, t in edges:
        indegree[t] += 1
    for key in sorted(keys, key=lambda k: (indegree[k], k)):
        if key not in state:
            visit(key)
    reach: dict[str, set[str]] = {k: set() for k in keys}
    for s, t in acyclic:
        reach[s].add(t)
    for s, t in sorted(weak):
        if _reaches(reach, t, s):
            s, t = t, s
        acyclic.append((s, t))
        reach[s].add(t)
    layer = {k: 0 for k in keys}
    for _ in range(len(keys)):
        changed = False
        for s, t in acyclic:
            if s != t and layer[t] < layer[s] + 1:
                layer[t] = layer[s] + 1
                changed = True
        if not changed:
            break
    _balance(layer, acyclic)
    return layer


def _balance(layer: dict[str, int], edges: list[tuple[str, str]]) -> None:
    """Move nodes between their predecessors and successors to shorten edges."""
    preds: dict[str, list[str]] = {k: [] for k in layer}
    succs: dict[str, list[str]] = {k: [] for k in layer}
    for s, t in edges:
        if s != t:
            preds[t].append(s)
            succs[s].append(t)
    deepest = max(layer.values(), default=0)
    for _ in range(4):
        for key in sorted(layer):
            lo = max((layer[p] + 1 for p in preds[key]), default=0)
            hi = min((layer[s] - 1 for s in succs[key]), default=deepest)
            if len(preds[key]) > len(succs[key]):
                layer[key] = lo
            elif len(succs[key]) > len(preds[key]) or not preds[key]:
                layer[key] = max(lo, hi) if succs[key] else lo


def _box_size(box: ClassBox) -> tuple[float, float]:
    title = len(box.name) * CHAR_WIDTH * 1.12 + (len(" «concept»") * CHAR_WIDTH
                                                 if box.concept else 0)
    width = max([title] + [len(a) * CHAR_WIDTH for a in box.attributes]) + 2 * BOX_PAD
    lines = [box.name] + box.attributes
    height = LINE_HEIGHT * (len(lines)) + BOX_PAD + (6 if box.attributes else 0)
    return max(width, 80.0), float(height)


def _layout(model: Model) -> tuple[dict[str, _Node], list[tuple[Link, list[str]]]]:
    nodes = {k: _Node(k, *_box_size(b)) for k, b in sorted(model.boxes.items())}
    # Layering edges: properties point down (domain above range), subclasses below parents.
    layering = [(lk.source, lk.target) for lk in model.links
                if lk.source != lk.target and not lk.subclass]
    weak = [(lk.target, lk.source) for lk in model.links if lk.subclass]
    layer = _layers(list(nodes), layering, weak)
    for key, value in layer.items():
        nodes[key].layer = value
    routes: list[tuple[Link, list[str]]] = []
    for index, lk in enumerate(model.links):
        if lk.source == lk.target:
            routes.append((lk, [lk.source]))
            node = nodes[lk.source]
            node.loop = 44 + len(lk.label) * 6.2
            node.width += node.loop
            continue
        top, bottom = (lk.target, lk.source) if lk.subclass else (lk.source, lk.target)
        if layer[top] > layer[bottom]:
            top, bottom = bottom, top
        chain = [top]
        for step in range(layer[top] + 1, layer[bottom]):
            dummy = f"#{index}-{step}"
            nodes[dummy] = _Node(dummy, DUMMY_WIDTH, 1.0, step, dummy=True)
            chain.append(dummy)
        chain.append(bottom)
        if chain[0] != lk.source:
            chain.reverse()
        routes.append((lk, chain))
    _order(nodes, routes)
    _place(nodes, routes)
    return nodes, routes


def _neighbours(nodes: dict[str, _Node], routes: list[tuple[Link, list[str]]]
                ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    up: dict[str, list[str]] = {k: [] for k in nodes}
    down: dict[str, list[str]] = {k: [] for k in nodes}
    for _, chain in routes:
        for a, b in zip(chain, chain[1:], strict=False):
            first, second = (a, b) if nodes[a].layer < nodes[b].layer else (b, a)
            down[first].append(second)
            up[second].append(first)
    return up, down


def _crossings(by_layer: dict[int, list[_Node]], down: dict[str, list[str]],
               nodes: dict[str, _Node]) -> int:
    total = 0
    for index in sorted(by_layer):
        pairs = [(n.order, nodes[m].order) for n in by_layer[index] for m in down[n.key]]
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _order(nodes: dict[str, _Node], routes: list[tuple[Link, list[str]]]) -> None:
    by_layer: dict[int, list[_Node]] = {}
    for node in sorted(nodes.values(), key=lambda n: (n.dummy, n.key)):
        by_layer.setdefault(node.layer, []).append(node)
    for members in by_layer.values():
        for i, node in enumerate(members):
            node.order = float(i)
    up, down = _neighbours(nodes, routes)
    layers = sorted(by_layer)
    best = (_crossings(by_layer, down, nodes), {k: n.order for k, n in nodes.items()})
    for sweep in range(24):
        sequence = layers[1:] if sweep % 2 == 0 else list(reversed(layers[:-1]))
        neighbours = up if sweep % 2 == 0 else down
        for index in sequence:
            members = by_layer[index]
            for node in members:
                near = neighbours[node.key]
                if near:
                    node.order = sum(nodes[k].order for k in near) / len(near)
            members.sort(key=lambda n: (n.order, n.key))
            for i, node in enumerate(members):
                node.order = float(i)
        count = _crossings(by_layer, down, nodes)
        if count < best[0]:
            best = (count, {k: n.order for k, n in nodes.items()})
    for key, order in best[1].items():
        nodes[key].order = order


def _isotonic(values: list[float]) -> list[float]:
    """Return the non-decreasing sequence closest to `values` (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight]
    for value in values:
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean2, weight2 = blocks.pop()
            mean1, weight1 = blocks.pop()
            weight = weight1 + weight2
            blocks.append([(mean1 * weight1 + mean2 * weight2) / weight, weight])
    out: list[float] = []
    for mean, weight in blocks:
        out.extend([mean] * int(weight))
    return out


def _place(nodes: dict[str, _Node], routes: list[tuple[Link, list[str]]]) -> None:
    by_layer: dict[int, list[_Node]] = {}
    for node in nodes.values():
        by_layer.setdefault(node.layer, []).append(node)
    for members in by_layer.values():
        members.sort(key=lambda n: n.order)
    up, down = _neighbours(nodes, routes)
    centre: dict[str, float] = {}
    for members in by_layer.values():
        x = 0.0
        for node in members:
            centre[node.key] = x + node.width / 2
            x += node.width + NODE_GAP
    layers = sorted(by_layer)
    for sweep in range(12):
        sequence = layers if sweep % 2 == 0 else list(reversed(layers))
        for index in sequence:
            members = by_layer[index]
            wanted = []
            for node in members:
                near = up[node.key] + down[node.key] if sweep >= 8 else \
                    (up[node.key] if sweep % 2 == 0 else down[node.key])
                weight = 2.0 if node.dummy else 1.0
                if near:
                    target = sum(centre[k] for k in near) / len(near)
                    wanted.append((centre[node.key] + weight * target) / (1 + weight))
                else:
                    wanted.append(centre[node.key])
            offsets = [0.0]
            for a, b in zip(members, members[1:], strict=False):
                offsets.append(offsets[-1] + (a.width + b.width) / 2 + NODE_GAP)
            fitted = _isotonic([w - o for w, o in zip(wanted, offsets, strict=True)])
            for node, value, offset in zip(members, fitted, offsets, strict=True):
                centre[node.key] = value + offset
    left = min(centre[k] - n.width / 2 for k, n in nodes.items())
    y = float(MARGIN)
    for index in layers:
        members = by_layer[index]
        tallest = max(n.height for n in members)
        for node in members:
            node.x = centre[node.key] - node.width / 2 - left + MARGIN
            node.y = y + (tallest - node.height) / 2 if not node.dummy else y + tallest / 2
        y += tallest + LAYER_GAP


# -- drawing --------------------------------------------------------------------------------------


def _anchor(node: _Node, toward_below: bool) -> tuple[float, float]:
    cx = node.x + (node.width - node.loop) / 2
    if node.dummy:
        return cx, node.y
    return cx, node.y + (node.height if toward_below else 0.0)


def _path(points: list[tuple[float, float]]) -> str:
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        mid = (y0 + y1) / 2
        d += f" C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}"
    return d


def render_svg(model: Model, href: Callable[[str], str] | None = None,
               title: str = "alskg data model") -> str:
    """Return the class diagram as an SVG document fragment (inline in HTML)."""
    nodes, routes = _layout(model)
    real = [n for n in nodes.values() if not n.dummy]
    width = max((n.x + n.width for n in nodes.values()), default=0.0) + MARGIN + 90
    height = max((n.y + n.height for n in real), default=0.0) + MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="model-diagram" role="img" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
           f'height="{height:.0f}" style="max-width:100%;height:auto" '
           'font-family="system-ui, sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>",
           "<defs>",
           '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" '
           'fill="none" stroke="#445"/></marker>',
           '<marker id="triangle" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="11" '
           'markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L12,6 L0,12 z" '
           'fill="#fff" stroke="#445"/></marker>',
           "</defs>"]
    labels: list[str] = []
    obstacles = [(n.x, n.y, n.x + n.width - n.loop, n.y + n.height) for n in real]
    placed: list[tuple[float, float, float, float]] = []
    for link, chain in routes:
        if len(chain) == 1:
            node = nodes[chain[0]]
            x, y = node.x + node.width - node.loop, node.y + node.height / 2
            out.append(f'<path d="M{x:.1f},{y - 6:.1f} C{x + 34:.1f},{y - 26:.1f} '
                       f'{x + 34:.1f},{y + 26:.1f} {x:.1f},{y + 6:.1f}" fill="none" '
                       f'stroke="#445" marker-end="url(#arrow)"/>')
            labels.append(_label(x + 38, y + 4, link.label, "start"))
            continue
        points = []
        for i, key in enumerate(chain):
            node = nodes[key]
            if i == 0:
                below = nodes[chain[1]].layer > node.layer
                points.append(_anchor(node, below))
            elif i == len(chain) - 1:
                below = nodes[chain[-2]].layer > node.layer
                points.append(_anchor(node, below))
            else:
                points.append(_anchor(node, True))
        marker = "triangle" if link.subclass else "arrow"
        dash = ' stroke-dasharray="4 3"' if link.subclass else ""
        out.append(f'<path d="{_path(points)}" fill="none" stroke="#445"{dash} '
                   f'marker-end="url(#{marker})"><title>{escape(link.label or "subClassOf")}'
                   f"</title></path>")
        if link.label:
            x, y = _place_label(points, link.label, placed, obstacles)
            labels.append(_label(x, y + 4, link.label, "middle"))
    for node in sorted(real, key=lambda n: n.key):
        box = model.boxes[node.key]
        fill = "#eef6ee" if box.concept else "#eef2fb"
        inner = [f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.width - node.loop:.1f}" '
                 f'height="{node.height:.1f}" rx="4" fill="{fill}" stroke="#334"/>',
                 f'<text x="{node.x + (node.width - node.loop) / 2:.1f}" '
                 f'y="{node.y + LINE_HEIGHT:.1f}" '
                 f'text-anchor="middle" font-weight="bold">{escape(box.name)}'
                 + ('<tspan font-weight="normal" font-style="italic"> «concept»</tspan>'
                    if box.concept else "") + "</text>"]
        if box.attributes:
            line_y = node.y + LINE_HEIGHT + 5
            inner.append(f'<line x1="{node.x:.1f}" y1="{line_y:.1f}" '
                         f'x2="{node.x + node.width - node.loop:.1f}" y2="{line_y:.1f}" '
                         'stroke="#334"/>')
            for i, attribute in enumerate(box.attributes):
                inner.append(f'<text x="{node.x + BOX_PAD:.1f}" '
                             f'y="{line_y + LINE_HEIGHT * (i + 1) - 2:.1f}">'
                             f"{escape(attribute)}</text>")
        tip = f"<title>{escape(box.name + (': ' + box.tooltip if box.tooltip else ''))}</title>"
        group = f'<g class="class-box">{tip}{"".join(inner)}</g>'
        if href:
            group = f"<a href={quoteattr(href(box.iri))}>{group}</a>"
        out.append(group)
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out)


Box = tuple[float, float, float, float]
LABEL_STEPS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85)


def _point(points: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """Return the point at `fraction` of a chain of the vertical cubic segments `_path` draws."""
    segments = len(points) - 1
    index = min(int(fraction * segments), segments - 1)
    t = fraction * segments - index
    (x0, y0), (x1, y1) = points[index], points[index + 1]
    mid = (y0 + y1) / 2
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
    return a * x0 + b * x0 + c * x1 + d * x1, a * y0 + b * mid + c * mid + d * y1


def _overlap(one: Box, two: Box) -> float:
    width = min(one[2], two[2]) - max(one[0], two[0])
    height = min(one[3], two[3]) - max(one[1], two[1])
    return width * height if width > 0 and height > 0 else 0.0


def _place_label(points: list[tuple[float, float]], text: str, placed: list[Box],
                 obstacles: list[Box]) -> tuple[float, float]:
    """Pick a point along the edge where the label overlaps least with boxes and labels."""
    half = len(text) * 3.2 + 2
    best: tuple[float, float, float] | None = None
    for fraction in LABEL_STEPS:
        x, y = _point(points, fraction)
        box = (x - half, y - 7, x + half, y + 7)
        cost = sum(_overlap(box, other) for other in placed + obstacles)
        if best is None or cost < best[0]:
            best = (cost, x, y)
        if cost == 0:
            break
    assert best is not None
    _, x, y = best
    placed.append((x - half, y - 7, x + half, y + 7))
    return x, y


def _label(x: float, y: float, text: str, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" fill="#223" '
            f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(text)}</text>')


def model_svg(ontology: Graph, href: Callable[[str], str] | None = None) -> str:
    """Return the SVG class diagram of an ontology graph."""
    return render_svg(read_model(ontology), href)

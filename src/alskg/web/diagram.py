"""The data-model picture: an SVG class diagram drawn from the ontology, so it cannot drift.

Boxes are the named classes of the vocabulary (datatype properties listed inside, UML style),
arrows are object properties from their rdfs:domain to their rdfs:range (an inverse pair is drawn
once, parallel properties share one arrow), hollow-headed arrows are rdfs:subClassOf; they are read
in ``diagram_model``. The layout, in ``diagram_layout``, is a small layered (Sugiyama-style)
drawing: cycles broken, longest-path layers, dummy points for long edges, barycentre ordering. No
JavaScript and no network: the SVG is inline.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from rdflib import Graph

from .diagram_layout import BOX_PAD, LINE_HEIGHT, MARGIN, LayoutNode, layout
from .diagram_model import Model, read_model


def _anchor(node: LayoutNode, toward_below: bool) -> tuple[float, float]:
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
    nodes, routes = layout(model)
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

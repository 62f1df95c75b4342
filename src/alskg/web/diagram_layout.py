"""The data-model picture's layered layout: acyclic layers, dummy points, ordering, placement."""

from __future__ import annotations

from dataclasses import dataclass

from .diagram_model import ClassBox, Link, Model

CHAR_WIDTH = 7.0
LINE_HEIGHT = 15
BOX_PAD = 10
LAYER_GAP = 72
NODE_GAP = 26
DUMMY_WIDTH = 14
MARGIN = 16


@dataclass
class LayoutNode:
    """A class box or a dummy point of a long edge: its size, layer, order and position."""

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


def layout(model: Model) -> tuple[dict[str, LayoutNode], list[tuple[Link, list[str]]]]:
    """Place the boxes; return them (dummies included) and each link's chain of node keys."""
    nodes = {k: LayoutNode(k, *_box_size(b)) for k, b in sorted(model.boxes.items())}
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
            nodes[dummy] = LayoutNode(dummy, DUMMY_WIDTH, 1.0, step, dummy=True)
            chain.append(dummy)
        chain.append(bottom)
        if chain[0] != lk.source:
            chain.reverse()
        routes.append((lk, chain))
    _order(nodes, routes)
    _place(nodes, routes)
    return nodes, routes


def _neighbours(nodes: dict[str, LayoutNode], routes: list[tuple[Link, list[str]]]
                ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    up: dict[str, list[str]] = {k: [] for k in nodes}
    down: dict[str, list[str]] = {k: [] for k in nodes}
    for _, chain in routes:
        for a, b in zip(chain, chain[1:], strict=False):
            first, second = (a, b) if nodes[a].layer < nodes[b].layer else (b, a)
            down[first].append(second)
            up[second].append(first)
    return up, down


def _crossings(by_layer: dict[int, list[LayoutNode]], down: dict[str, list[str]],
               nodes: dict[str, LayoutNode]) -> int:
    total = 0
    for index in sorted(by_layer):
        pairs = [(n.order, nodes[m].order) for n in by_layer[index] for m in down[n.key]]
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _order(nodes: dict[str, LayoutNode], routes: list[tuple[Link, list[str]]]) -> None:
    by_layer: dict[int, list[LayoutNode]] = {}
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


def _place(nodes: dict[str, LayoutNode], routes: list[tuple[Link, list[str]]]) -> None:
    by_layer: dict[int, list[LayoutNode]] = {}
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

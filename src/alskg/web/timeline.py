"""The evidence timeline: approvals, withdrawals, trial readouts and reviews per intervention.

The named query `evidence-timeline` (queries/49-evidence-timeline.rq) returns one row per mark:
intervention, date (ISO YYYY-MM-DD), kind, item and labels. A review whose dcterms:issued is only
a year or a month is dated on the last day of that period (as als:validFrom is), so that an
as-of picture never shows it before it certainly existed; `date_text` keeps the stated precision.

`timeline_from_rows` is a pure function from those rows to a `Timeline` (one lane per
intervention, optionally cut at an as-of date); `compute_timeline` runs the query through the
web Service (any engine); `render_svg` draws the picture.

The SVG is written by hand rather than with a plotting library: it is a few dozen elements
(lanes, ticks, marks, a legend), the output must be byte-for-byte deterministic (ETags, tests),
each mark must be a real link with a tooltip, and it must work inline without JavaScript or
fonts; a library would bring timestamps, generated ids and scripts for no gain. Each kind of
mark has its own shape as well as its own fill, so the picture reads in greyscale.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from ..curation.namespaces import DEFAULT_BASE
from ..query.evidence import Link, QueryService, make_link, named_rows
from ..query.evidence_asof import evidence_current_to, parse_as_of

TIMELINE_QUERY = "evidence-timeline"
Row = Mapping[str, str]

# Layout, in SVG user units (px).
MARGIN = 12
LANE_HEIGHT = 30
YEAR_WIDTH = 26
CHAR_WIDTH = 6.8
MAX_LABEL_CHARS = 44
MARK_SIZE = 6.0
MIN_GAP = 11.0
AXIS_HEIGHT = 28
LEGEND_ROW = 20


@dataclass(frozen=True)
class MarkKind:
    """A kind of mark: key (as the query returns it), legend label, shape and colours."""

    key: str
    label: str
    shape: str  # triangle, circle, cross, boxed-cross, diamond, square, dot, bar
    fill: str
    stroke: str


KINDS = (
    MarkKind("approval", "approval", "triangle", "#1b5e20", "#1b5e20"),
    MarkKind("conditional-approval", "conditional approval", "triangle", "#ffffff", "#1b5e20"),
    MarkKind("withdrawal", "approval withdrawn or product off the market", "cross", "none",
             "#b71c1c"),
    MarkKind("application-withdrawn", "licence application withdrawn", "boxed-cross", "#ffffff",
             "#b71c1c"),
    MarkKind("readout-met", "trial readout: primary endpoint met", "circle", "#0d47a1",
             "#0d47a1"),
    MarkKind("readout-not-met", "trial readout: primary endpoint not met", "circle", "#ffffff",
             "#0d47a1"),
    MarkKind("readout-contested", "trial readout: whether the endpoint was met is contested",
             "circle", "#90caf9", "#0d47a1"),
    MarkKind("readout-terminated", "trial stopped before its primary analysis", "circle",
             "#e0e0e0", "#424242"),
    MarkKind("readout", "study result (no outcome recorded)", "dot", "#757575", "#424242"),
    MarkKind("negative-decision", "negative opinion, refusal or deficiency", "bar", "#e65100",
             "#bf360c"),
    MarkKind("review", "review", "diamond", "#4a148c", "#4a148c"),
    MarkKind("advisory-vote", "advisory committee vote", "square", "#424242", "#212121"),
    MarkKind("protocol-agreement", "protocol agreement", "square", "#ffffff", "#212121"),
)
OTHER = MarkKind("other", "other regulatory event", "square", "#bdbdbd", "#212121")


def mark_kind(key: str) -> MarkKind:
    """Return the MarkKind of a kind key (unknown keys get the small grey square)."""
    return next((kind for kind in KINDS if kind.key == key), OTHER)


@dataclass(frozen=True)
class Mark:
    """One mark: what it stands for (item), its kind and date, and the intervention's lane."""

    item: Link
    kind: MarkKind
    date: str
    date_text: str
    detail: str = ""

    @property
    def tooltip(self) -> str:
        """Return the mark's tooltip: label, stated date, kind and detail (agency, phase)."""
        detail = f"; {self.detail}" if self.detail else ""
        return f"{self.item.label} — {self.date_text} ({self.kind.label}{detail})"


@dataclass(frozen=True)
class Lane:
    """One intervention's row of marks, in date order."""

    intervention: Link
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Timeline:
    """The lanes (ordered by their first mark), the as-of date and the evidence date."""

    lanes: tuple[Lane, ...]
    as_of: str | None = None
    evidence_current_to: str | None = None

    def marks(self) -> Iterator[tuple[Lane, Mark]]:
        """Yield every mark with its lane, lane by lane."""
        for lane in self.lanes:
            for mark in lane.marks:
                yield lane, mark

    def only(self, interventions: Collection[str]) -> Timeline:
        """Return the timeline with only the lanes of the given intervention IRIs."""
        return replace(self, lanes=tuple(lane for lane in self.lanes
                                         if lane.intervention.iri in interventions))

    def kinds(self) -> tuple[MarkKind, ...]:
        """Return the kinds of mark present, in legend order."""
        present = {mark.kind.key for _, mark in self.marks()}
        return tuple(kind for kind in (*KINDS, OTHER) if kind.key in present)


def _valid_day(text: str) -> str | None:
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def timeline_from_rows(rows: Sequence[Row], base: str = DEFAULT_BASE,
                       as_of: str | None = None) -> Timeline:
    """Build the timeline from the query's rows (variable → lexical value).

    Rows without an intervention, item, kind or a valid date are skipped, duplicates (the same
    intervention, item, kind and date) are kept once with the first labels, and with `as_of`
    (an ISO date) marks dated after it are left out, as are lanes left empty.
    """
    lanes: dict[str, dict[tuple[str, str, str], Mark]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        intervention, item, kind = row.get("intervention"), row.get("item"), row.get("kind")
        day = _valid_day(row.get("date") or "")
        if not intervention or not item or not kind or day is None:
            continue
        if as_of is not None and day > as_of:
            continue
        labels.setdefault(intervention, row.get("interventionLabel") or "")
        key = (day, kind, item)
        lanes.setdefault(intervention, {}).setdefault(key, Mark(
            make_link(item, row.get("itemLabel"), base), mark_kind(kind), day,
            row.get("dateText") or day, row.get("detail") or ""))
    built = []
    for intervention, found in lanes.items():
        marks = tuple(found[key] for key in sorted(found))
        built.append(Lane(make_link(intervention, labels[intervention], base), marks))
    built.sort(key=lambda lane: (lane.marks[0].date, lane.intervention.label.lower(),
                                 lane.intervention.iri))
    return Timeline(tuple(built), as_of, evidence_current_to(rows))


def compute_timeline(service: QueryService, as_of: str | None = None,
                     inference: bool = True) -> Timeline:
    """Run the timeline query through the Service (any engine) and build the timeline.

    `as_of` is the raw date text of the request; a malformed one or one after the date the
    evidence was last checked raises AsOfError (naming `as_of`); a failed or missing query
    raises EvidenceError.
    """
    rows = named_rows(service, TIMELINE_QUERY, inference)
    day = parse_as_of(as_of, evidence_current_to(rows))
    return timeline_from_rows(rows, service.base, day)


# --- drawing ----------------------------------------------------------------------------------

def _year_fraction(day: str) -> float:
    """Return the date as a fractional year (2000-07-02 → about 2000.5)."""
    when = date.fromisoformat(day)
    start = date(when.year, 1, 1)
    length = (date(when.year + 1, 1, 1) - start).days
    return when.year + (when - start).days / length


def shape_svg(kind: MarkKind, x: float, y: float, size: float = MARK_SIZE) -> str:
    """Return the SVG element of one mark of `kind` centred on (x, y)."""
    s = size
    paint = f'fill="{kind.fill}" stroke="{kind.stroke}"'
    if kind.shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - s:.1f} {x + s:.1f},{y + s * 0.8:.1f} '
                f'{x - s:.1f},{y + s * 0.8:.1f}" {paint} stroke-width="1.5"/>')
    if kind.shape in ("circle", "dot"):
        radius, width = (0.85, "1.5") if kind.shape == "circle" else (0.5, "1")
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s * radius:.1f}" {paint} '
                f'stroke-width="{width}"/>')
    if kind.shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - s:.1f} {x + s * 0.8:.1f},{y:.1f} '
                f'{x:.1f},{y + s:.1f} {x - s * 0.8:.1f},{y:.1f}" {paint} stroke-width="1"/>')
    c = s * 0.75
    cross = (f"M{x - c:.1f},{y - c:.1f} L{x + c:.1f},{y + c:.1f} "
             f"M{x - c:.1f},{y + c:.1f} L{x + c:.1f},{y - c:.1f}")
    if kind.shape == "cross":
        return f'<path d="{cross}" {paint} stroke-width="2.5" stroke-linecap="round"/>'
    if kind.shape == "boxed-cross":
        return (f'<path d="M{x - s:.1f},{y - s:.1f} h{2 * s:.1f} v{2 * s:.1f} h{-2 * s:.1f} z '
                f'{cross}" {paint} stroke-width="1.3"/>')
    if kind.shape == "bar":   # a flat bar, like a no-entry sign's
        return (f'<rect x="{x - s:.1f}" y="{y - s * 0.3:.1f}" width="{2 * s:.1f}" '
                f'height="{s * 0.6:.1f}" {paint} stroke-width="1"/>')
    h = s * 0.65
    return (f'<rect x="{x - h:.1f}" y="{y - h:.1f}" width="{2 * h:.1f}" height="{2 * h:.1f}" '
            f'{paint} stroke-width="1.3"/>')


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _offsets(xs: Sequence[float]) -> list[float]:
    """Return a vertical offset per mark so that marks closer than MIN_GAP do not overlap."""
    slots = (0.0, -8.0, 8.0)
    last = [float("-inf")] * len(slots)
    chosen = []
    for x in xs:
        index = next((i for i, end in enumerate(last) if x - end >= MIN_GAP), 0)
        last[index] = x
        chosen.append(slots[index])
    return chosen


def describe(timeline: Timeline) -> str:
    """Return a one-paragraph text description of the timeline (the SVG's <desc>)."""
    marks = [mark for _, mark in timeline.marks()]
    if not marks:
        return "No dated approvals, withdrawals, trial readouts or reviews."
    first = min(mark.date for mark in marks)
    last = max(mark.date for mark in marks)
    counts = ", ".join(f"{sum(1 for m in marks if m.kind.key == kind.key)} {kind.label}"
                       for kind in timeline.kinds())
    cut = f" as of {timeline.as_of}" if timeline.as_of else ""
    return (f"{len(marks)} dated marks on {len(timeline.lanes)} interventions{cut}, "
            f"from {first} to {last}: {counts}. The table below the picture lists every mark.")


def render_svg(timeline: Timeline, href: Callable[[str], str] | None = None,
               title: str = "Evidence timeline of ALS interventions") -> str:
    """Return the timeline as an SVG document (also valid inline in HTML).

    `href` turns a site path (`/id/…`) into a URL under the app's mount point; external IRIs
    are passed to it unchanged. The output depends only on the arguments (same input, same
    bytes).
    """
    to_url = href or (lambda path: path)
    marks = [mark for _, mark in timeline.marks()]
    line_day = timeline.as_of or timeline.evidence_current_to
    days = [m.date for m in marks] + ([line_day] if line_day else [])
    first_year = min((int(d[:4]) for d in days), default=2000)
    last_year = max((int(d[:4]) for d in days), default=first_year) + 1
    longest = max((len(_short(lane.intervention.label)) for lane in timeline.lanes), default=10)
    left = MARGIN + longest * CHAR_WIDTH + 14
    plot_width = (last_year - first_year) * YEAR_WIDTH
    width = left + plot_width + MARGIN + 16  # room for the last year label
    top = MARGIN + 4
    lanes_height = len(timeline.lanes) * LANE_HEIGHT
    axis_y = top + lanes_height
    kinds = timeline.kinds() or KINDS
    line_words = (f"as of {line_day}" if timeline.as_of else f"evidence checked {line_day}") \
        if line_day else ""
    entries = [kind.label for kind in kinds] + ([line_words] if line_words else [])
    column_width = max(len(text) for text in entries) * CHAR_WIDTH + 36
    width = max(width, MARGIN * 2 + 2 * column_width)
    columns = max(1, int((width - 2 * MARGIN) // column_width))
    legend_top = axis_y + AXIS_HEIGHT + 8
    legend_rows = -(-len(entries) // columns)
    height = legend_top + legend_rows * LEGEND_ROW + MARGIN

    def x_of(day: str) -> float:
        return left + (_year_fraction(day) - first_year) * YEAR_WIDTH

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-timeline" role="img" '
           f'aria-labelledby="timeline-title timeline-desc" viewBox="0 0 {width:.0f} '
           f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" '
           'style="max-width:100%;height:auto" font-family="system-ui, sans-serif" '
           'font-size="12">',
           f'<title id="timeline-title">{escape(title)}'
           + (f" as of {escape(timeline.as_of)}" if timeline.as_of else "") + "</title>",
           f'<desc id="timeline-desc">{escape(describe(timeline))}</desc>',
           '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>']
    for index, _lane in enumerate(timeline.lanes):
        if index % 2 == 0:
            out.append(f'<rect x="{MARGIN}" y="{top + index * LANE_HEIGHT}" '
                       f'width="{width - 2 * MARGIN:.0f}" height="{LANE_HEIGHT}" '
                       'fill="#f3f3f3"/>')
    out.append('<g class="ticks" stroke="#c8c8c8" stroke-width="1">')
    for year in range(first_year, last_year + 1):
        x = left + (year - first_year) * YEAR_WIDTH
        major = year % 5 == 0
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y + (6 if major else 3)}"'
                   + (' stroke="#9e9e9e"' if major else "") + "/>")
    out.append("</g>")
    out.append(f'<line x1="{left:.1f}" y1="{axis_y}" x2="{left + plot_width:.1f}" y2="{axis_y}" '
               'stroke="#424242"/>')
    out.append('<g class="years" font-size="11" text-anchor="middle" fill="#212121">')
    for year in range(first_year, last_year + 1):
        if year % 5 == 0 or (year == first_year and -year % 5 >= 3):
            x = left + (year - first_year) * YEAR_WIDTH
            out.append(f'<text x="{x:.1f}" y="{axis_y + 18}">{year}</text>')
    out.append("</g>")
    if line_day:
        x = x_of(line_day)
        out.append(f'<g class="cut"><line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                   f'y2="{axis_y}" stroke="#424242" stroke-dasharray="4 3"/>'
                   f"<title>{escape(line_words)}</title></g>")
    for index, lane in enumerate(timeline.lanes):
        y = top + index * LANE_HEIGHT + LANE_HEIGHT / 2
        label = lane.intervention.label
        out.append(f'<g class="lane" data-intervention={quoteattr(lane.intervention.iri)}>')
        out.append(f'<a href={quoteattr(to_url(lane.intervention.href))} class="lane-label">'
                   f"<title>{escape(label)}</title>"
                   f'<text x="{left - 10:.1f}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="#0b3d91">{escape(_short(label))}</text></a>')
        xs = [x_of(mark.date) for mark in lane.marks]
        for mark, x, dy in zip(lane.marks, xs, _offsets(xs), strict=True):
            out.append(f'<a href={quoteattr(to_url(mark.item.href))} class="mark" '
                       f'data-kind="{mark.kind.key}" data-date="{mark.date}" '
                       f"data-item={quoteattr(mark.item.iri)}>"
                       f"<title>{escape(mark.tooltip)}</title>"
                       f"{shape_svg(mark.kind, x, y + dy)}</a>")
        out.append("</g>")
    out.append('<g class="legend">')
    for index, text in enumerate(entries):
        column, row = index % columns, index // columns
        x = MARGIN + 8 + column * column_width
        y = legend_top + row * LEGEND_ROW + LEGEND_ROW / 2
        if index < len(kinds):
            symbol = shape_svg(kinds[index], x, y, 5.0)
            out.append(f'<g class="legend-item" data-kind="{kinds[index].key}">{symbol}')
        else:
            out.append(f'<g class="legend-item" data-kind="cut"><line x1="{x:.1f}" '
                       f'y1="{y - 7:.1f}" x2="{x:.1f}" y2="{y + 7:.1f}" stroke="#424242" '
                       'stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x + 12:.1f}" y="{y + 4:.1f}" fill="#212121">'
                   f"{escape(text)}</text></g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"

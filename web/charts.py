"""Small inline-SVG charts for the pages: no script, no CDN, readable on a 360-px phone.

Each function takes plain values and returns the chart as `Markup` to put straight into a
template (`{{ chart }}`). Every chart is one `<svg>` with `width="100%"` and a `viewBox` 360 units
wide, so it scales to its column; text is Chinese as given, at a size still legible once scaled
to a phone. The chart's `title` is the svg's accessible name (`aria-label` and `<title>`). Every
bar, segment or point carries an accessible `<title>` (its label and value) and, when given an
`href`, is a link — the filtered list behind the figure. Colours are fill attributes, never
`style` (the pages' CSP allows no inline style).

- `bar_chart(title, [Bar(label, value, href)], unit="项")`: one horizontal bar per row, each
  scaled to the largest, its value at its end.
- `stacked_bar_chart(title, [Row(label, [Segment(label, value, href), ...], href)])`: one
  horizontal bar per row made of segments (e.g. assets per village by status); rows are scaled
  to the largest total, the segments' labels make the legend (by first appearance, colours from
  `PALETTE` in that order unless a segment names its own `colour`).
- `ratio_chart(title, [Ratio(label, part, whole, href, whole_href)])`: one percentage bar per
  row (e.g. 有管护责任人 17 / 20), "85%（17/20）" beside it; a whole of 0 shows "暂无".
- `line_chart(title, [Point(label, value, href)], unit="件")`: a trend over time, labels along
  the bottom (thinned when many), a dot per point carrying its link.

An empty list gives a chart that says 暂无数据.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
FONT = 13
LABEL_WIDTH = 96  # the left column of row labels: 7 Chinese characters at FONT
VALUE_WIDTH = 70  # the right column of values ("85%（17/20）" at a smaller size)
ROW_HEIGHT = 26
BAR_HEIGHT = 16
LABEL_CHARS = 7
INK = "#1d2329"
MUTED = "#5b6670"
TRACK = "#e3e8eb"
ACCENT = "#0b6e4f"
# Distinguishable on white and to most colour-blind readers (Okabe–Ito, darkened for contrast).
PALETTE = ("#0b6e4f", "#d08c00", "#b3261e", "#5b6670", "#0072b2", "#8e4585", "#56b4e9", "#a3a3a3")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None


@dataclass(frozen=True)
class Segment:
    label: str
    value: float
    href: str | None = None
    colour: str | None = None


@dataclass(frozen=True)
class Row:
    label: str
    segments: Sequence[Segment]
    href: str | None = None

    @property
    def total(self) -> float:
        return sum(segment.value for segment in self.segments)


@dataclass(frozen=True)
class Ratio:
    label: str
    part: float
    whole: float
    href: str | None = None
    whole_href: str | None = None

    @property
    def percent(self) -> int | None:
        return None if not self.whole else round(100 * self.part / self.whole)


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    href: str | None = None


def number(value: float) -> str:
    """12 → "12", 12.5 → "12.5": counts stay whole, anything else keeps one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(title: str, bars: Sequence[Bar], unit: str = "") -> Markup:
    if not bars:
        return _empty(title)
    scale = _scale(max(bar.value for bar in bars))
    body = _Body()
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT
        body.row_label(y, bar.label)
        width = bar.value * scale
        body.link(bar.href, f"{bar.label}：{number(bar.value)}{unit}", _rect(LABEL_WIDTH, y + 4, width, ACCENT))
        body.text(LABEL_WIDTH + width + 4, y + 17, f"{number(bar.value)}{unit}", size=FONT - 1)
    return _svg(title, len(bars) * ROW_HEIGHT, body)


def stacked_bar_chart(title: str, rows: Sequence[Row], unit: str = "") -> Markup:
    if not rows:
        return _empty(title)
    colours = _legend_colours(rows)
    scale = _scale(max(row.total for row in rows))
    body = _Body()
    for index, row in enumerate(rows):
        y = index * ROW_HEIGHT
        body.link(row.href, f"{row.label}：共{number(row.total)}{unit}", _text(0, y + 17, _short(row.label), FONT, INK))
        x = float(LABEL_WIDTH)
        for segment in row.segments:
            if segment.value <= 0:
                continue
            width = segment.value * scale
            what = f"{row.label} · {segment.label}：{number(segment.value)}{unit}"
            body.link(segment.href, what, _rect(x, y + 4, width, colours[segment.label]))
            x += width
        body.text(x + 4, y + 17, f"{number(row.total)}{unit}", size=FONT - 1)
    height = len(rows) * ROW_HEIGHT
    legend_height = body.legend(height + 6, colours)
    return _svg(title, height + 6 + legend_height, body)


def ratio_chart(title: str, ratios: Sequence[Ratio]) -> Markup:
    if not ratios:
        return _empty(title)
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = _Body()
    for index, ratio in enumerate(ratios):
        y = index * ROW_HEIGHT
        body.row_label(y, ratio.label)
        whole = _rect(LABEL_WIDTH, y + 4, track, TRACK)
        body.link(ratio.whole_href, f"{ratio.label}：共{number(ratio.whole)}", whole)
        if ratio.percent is None:
            body.text(LABEL_WIDTH + track + 4, y + 17, "暂无", size=FONT - 2, colour=MUTED)
            continue
        filled = _rect(LABEL_WIDTH, y + 4, track * ratio.part / ratio.whole, ACCENT)
        shown = f"{ratio.percent}%（{number(ratio.part)}/{number(ratio.whole)}）"
        body.link(ratio.href, f"{ratio.label}：{shown}", filled)
        body.text(LABEL_WIDTH + track + 4, y + 17, shown, size=FONT - 3)
    return _svg(title, len(ratios) * ROW_HEIGHT, body)


def line_chart(title: str, points: Sequence[Point], unit: str = "") -> Markup:
    if not points:
        return _empty(title)
    left, right, top, plot_height = 30, 12, 10, 120
    top_value = max(max(point.value for point in points), 1)
    step = (WIDTH - left - right) / max(len(points) - 1, 1)
    every = -(-len(points) // 8)  # at most eight labels along the bottom

    def place(index: int, value: float) -> tuple[float, float]:
        return left + index * step, top + plot_height * (1 - value / top_value)

    body = _Body()
    body.text(0, top + 4, number(top_value), size=FONT - 2, colour=MUTED)
    body.text(0, top + plot_height, "0", size=FONT - 2, colour=MUTED)
    body.add(
        f'<line x1="{left}" y1="{top + plot_height}" x2="{WIDTH - right}" y2="{top + plot_height}" stroke="{TRACK}"/>'
    )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (place(i, p.value) for i, p in enumerate(points)))
    body.add(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for index, point in enumerate(points):
        x, y = place(index, point.value)
        dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{ACCENT}"/>'
        body.link(point.href, f"{point.label}：{number(point.value)}{unit}", dot)
        if index % every == 0:
            body.text(x, top + plot_height + 18, point.label, size=FONT - 2, colour=MUTED, anchor="middle")
    return _svg(title, top + plot_height + 24, body)


class _Body:
    """The svg's elements, in drawing order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, words: str, size: int = FONT, colour: str = INK, anchor: str = "start") -> None:
        self.add(_text(x, y, words, size, colour, anchor))

    def row_label(self, y: float, label: str) -> None:
        shown = _short(label)
        self.add(
            _text(0, y + 17, shown, FONT, INK) if shown == label else _titled(label, _text(0, y + 17, shown, FONT, INK))
        )

    def link(self, href: str | None, what: str, shape: str) -> None:
        """The shape with its accessible title, inside a link to `href` when there is one."""
        if href is None:
            self.add(_titled(what, shape))
        else:
            self.add(f'<a href="{escape(href)}" aria-label="{escape(what)}">{_titled(what, shape)}</a>')

    def legend(self, y: float, colours: dict[str, str]) -> float:
        """Swatches with their labels, three to a line; returns the height they take."""
        per_line, slot = 3, WIDTH // 3
        for index, (label, colour) in enumerate(colours.items()):
            x, line_y = (index % per_line) * slot, y + (index // per_line) * 20
            self.add(f'<rect x="{x}" y="{line_y + 3}" width="12" height="12" fill="{colour}"/>')
            self.add(_text(x + 16, line_y + 14, label, FONT - 2, INK))
        return -(-len(colours) // per_line) * 20


def _svg(title: str, height: float, body: _Body) -> Markup:
    height = int(height) + 2
    # Every word and href in the parts went through escape() on its way in.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="group" aria-label="{escape(title)}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(body.parts)}</svg>"
    )


def _empty(title: str) -> Markup:
    body = _Body()
    body.text(0, 18, "暂无数据", colour=MUTED)
    return _svg(title, ROW_HEIGHT, body)


def _scale(largest: float) -> float:
    """Units per value so the largest bar leaves room for its value at its end."""
    return (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest if largest > 0 else 0.0


def _legend_colours(rows: Sequence[Row]) -> dict[str, str]:
    colours: dict[str, str] = {}
    for row in rows:
        for segment in row.segments:
            if segment.label not in colours:
                colours[segment.label] = segment.colour or PALETTE[len(colours) % len(PALETTE)]
    return colours


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _rect(x: float, y: float, width: float, colour: str) -> str:
    return f'<rect x="{x:.1f}" y="{y}" width="{max(width, 0):.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'


def _text(x: float, y: float, words: str, size: int, colour: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y}" font-size="{size}" fill="{colour}" text-anchor="{anchor}">{escape(words)}</text>'


def _titled(what: str, shape: str) -> str:
    """Wrap the shape in a group whose <title> names it (the shape may be self-closing)."""
    return f"<g><title>{escape(what)}</title>{shape}</g>"

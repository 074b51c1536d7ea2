"""Charts drawn on the server as SVG: bars for counts, a line for a timeline.

Pure: from rows to SVG markup, escaped, with a title and a text alternative; no script and
nothing fetched, so a chart shows with no network and no JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COUNT_COLUMNS = ("patients", "cases", "articles", "assertions", "count")
LABEL_COLUMNS = ("label", "value", "concept", "misdiagnosis", "condition", "finding")
MAX_BARS = 25


def bar_chart(items: Sequence[tuple[str, int]], title: str, unit: str) -> str:
    """Horizontal bars, one per (label, count), longest first as given.

    >>> svg = bar_chart([("disc extrusion", 3), ("abscess", 1)], "Mistaken for", "patients")
    >>> svg.count("<rect"), "disc extrusion" in svg, 'role="img"' in svg
    (2, True, True)
    """
    row, left, width = 24, 260, 720
    height = row * len(items) + 30
    top = max((n for _, n in items), default=0) or 1
    scale = (width - left - 60) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}: bar chart of {escape(unit)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, n) in enumerate(items):
        y = 10 + i * row
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{max(n * scale, 1):.1f}" height="{row - 8}" '
            f'class="bar"/><text x="{left + n * scale + 6:.1f}" y="{y + 15}" class="value">'
            f"{n}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: Sequence[tuple[int, int]], title: str, unit: str) -> str:
    """A line through (x, y) points, x a year: axes marked at the ends.

    >>> svg = line_chart([(2001, 1), (2003, 4)], "Timeline", "articles")
    >>> "<polyline" in svg and "2001" in svg and "2003" in svg
    True
    """
    width, height, pad = 720, 260, 40
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    y1 = max(ys) or 1
    span = (x1 - x0) or 1

    def at(x: int, y: int) -> str:
        px = pad + (x - x0) / span * (width - 2 * pad)
        py = height - pad - y / y1 * (height - 2 * pad)
        return f"{px:.1f},{py:.1f}"

    line = " ".join(at(x, y) for x, y in points)
    dots = "".join(
        f'<circle cx="{at(x, y).split(",")[0]}" cy="{at(x, y).split(",")[1]}" r="3" '
        f'class="dot"><title>{x}: {y} {escape(unit)}</title></circle>'
        for x, y in points
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}: {escape(unit)} per year, {x0} to {x1}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'class="axis"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" class="axis"/>'
        f'<polyline points="{line}" class="line" fill="none"/>{dots}'
        f'<text x="{pad}" y="{height - 12}" class="label">{x0}</text>'
        f'<text x="{width - pad}" y="{height - 12}" text-anchor="end" class="label">{x1}</text>'
        f'<text x="{pad - 6}" y="{pad + 4}" text-anchor="end" class="label">{y1}</text>'
        f'<text x="{pad - 6}" y="{height - pad}" text-anchor="end" class="label">0</text></svg>'
    )


def chart_for(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], title: str) -> str | None:
    """A chart of a named query's answer when it is counts, else None.

    A ``year`` column with a count makes a line; a label column with a count makes bars,
    the counts of one label summed (a query may split a label by region or polarity).
    """
    count = next((c for c in COUNT_COLUMNS if c in columns), None)
    if count is None or not rows:
        return None
    if "year" in columns:
        by_year: dict[int, int] = {}
        for r in rows:
            if isinstance(r.get("year"), int) and isinstance(r.get(count), int):
                by_year[r["year"]] = by_year.get(r["year"], 0) + r[count]
        points = sorted(by_year.items())
        return line_chart(points, title, count) if len(points) > 1 else None
    label = next((c for c in LABEL_COLUMNS if c in columns), None)
    if label is None:
        return None
    totals: dict[str, int] = {}
    for r in rows:
        name = r.get(label)
        if "polarity" in columns and r.get("polarity") == "absent":
            name = f"{name} (absent)"
        if name is not None and isinstance(r.get(count), int):
            totals[str(name)] = totals.get(str(name), 0) + r[count]
    if not totals:
        return None
    items = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_BARS]
    return bar_chart(items, title, count)

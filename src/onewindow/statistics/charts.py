"""Charts drawn on the server as inline SVG: no script, no network, readable without colour.

Each chart has a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``), scales to the width
of its container (a ``viewBox``, no fixed width), and the page shows the same figures in a table
beside it. Withheld (confidential) values are drawn as no bar, labelled ``c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import count

from markupsafe import Markup, escape

_ids = count(1)


def number(value: Decimal | float | int | None, digits: int = 0) -> str:
    """A figure with thousands separators (``c`` when withheld)."""
    if value is None:
        return "c"
    return f"{float(value):,.{digits}f}"


def _frame(title: str, description: str, width: int, height: int, body: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(description)}</desc>{body}</svg>'
    )


def bars(
    title: str,
    rows: Sequence[tuple[str, Decimal | float | None]],
    *,
    unit: str = "",
    digits: int = 0,
) -> Markup:
    """Horizontal bars, one per row (label, value), longest first as given."""
    width, left, row_height = 640, 150, 26
    height = max(1, len(rows)) * row_height + 10
    known = [float(v) for _, v in rows if v is not None]
    top = max(known) if known and max(known) > 0 else 1.0
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 5 + i * row_height
        text = number(value, digits) + (f" {unit}" if unit and value is not None else "")
        length = 0.0 if value is None else max(0.0, float(value)) / top * (width - left - 110)
        parts.append(
            f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" class="chart-label">'
            f"{escape(label[:22])}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}" '
            'class="chart-bar"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 17}" class="chart-value">'
            f"{escape(text)}</text>"
        )
    description = "; ".join(
        f"{label}: {number(value, digits)}{(' ' + unit) if unit and value is not None else ''}"
        for label, value in rows
    )
    return _frame(title, description or "no data", width, height, "".join(parts))


def columns(
    title: str,
    points: Sequence[tuple[str, Decimal | float | None]],
    *,
    unit: str = "",
) -> Markup:
    """Vertical columns over time (label under each, value on top)."""
    width, height, bottom, top_pad = 640, 240, 40, 24
    n = max(1, len(points))
    slot = (width - 20) / n
    known = [float(v) for _, v in points if v is not None]
    top = max(known) if known and max(known) > 0 else 1.0
    parts = [
        f'<line x1="10" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'class="chart-axis"/>'
    ]
    for i, (label, value) in enumerate(points):
        x = 10 + i * slot
        h = 0.0 if value is None else float(value) / top * (height - bottom - top_pad)
        y = height - bottom - h
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" class="chart-bar"/>'
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'class="chart-label">{escape(label[-5:])}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{max(12.0, y - 4):.1f}" text-anchor="middle" '
            f'class="chart-value small">{escape(_short(value))}</text>'
        )
    description = "; ".join(f"{label}: {number(value)} {unit}".strip() for label, value in points)
    return _frame(title, description or "no data", width, height, "".join(parts))


def _short(value: Decimal | float | None) -> str:
    if value is None:
        return "c"
    v = float(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(v) >= limit:
            return f"{v / limit:.1f}{suffix}"
    return f"{v:.0f}"

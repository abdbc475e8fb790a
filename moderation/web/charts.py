"""Charts for the stats page, drawn on the server as SVG (issue 10).

No script and no outside asset: each chart is a small ``<svg>`` written into the
page, every label escaped, with a ``<title>`` for screen readers (the page also
shows the numbers as tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

#: One colour per series, readable on white and in the dark scheme's card colour.
PALETTE = {
    "approved": "#2e7d32",
    "held": "#b26a00",
    "received": "#607d8b",
    "spam": "#c62828",
    "promo": "#6a1b9a",
    "rejected": "#455a64",
}
BAR = "#1565c0"
TEXT = "currentColor"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def stacked_bars(
    title: str,
    days: Sequence[str],
    series: Sequence[str],
    values: Mapping[str, Mapping[str, int]],
    *,
    width: int = 760,
    height: int = 260,
) -> Markup:
    """One bar per day, stacked by series (comment states), with a legend."""
    left, right, top, bottom = 40, 10, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values.get(day, {}).get(name, 0) for name in series) for day in days]
    peak = max([*totals, 1])
    step = plot_w / max(len(days), 1)
    bar_w = max(step * 0.7, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" '
        f'fill="{TEXT}">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" '
        f'fill="{TEXT}">0</text>',
    ]
    for index, day in enumerate(days):
        x = left + index * step + (step - bar_w) / 2
        y = top + plot_h
        for name in series:
            count = values.get(day, {}).get(name, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(bar_w)}" '
                f'height="{_number(h)}" fill="{PALETTE.get(name, BAR)}">'
                f"<title>{escape(day)}: {count} {escape(name)}</title></rect>"
            )
        if index % 5 == 0 or index == len(days) - 1:
            parts.append(
                f'<text x="{_number(x + bar_w / 2)}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" font-size="10" fill="{TEXT}">{escape(day[5:])}</text>'
            )
    legend_x = left
    for name in series:
        parts.append(
            f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{PALETTE.get(name, BAR)}"/>'
            f'<text x="{legend_x + 14}" y="17" font-size="11" fill="{TEXT}">{escape(name)}</text>'
        )
        legend_x += 16 + 8 * len(name) + 14
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    title: str, items: Sequence[tuple[str, int]], *, width: int = 760, row: int = 22
) -> Markup:
    """One labelled bar per item, longest first as given."""
    label_w, right = 180, 50
    height = max(len(items), 1) * row + 10
    peak = max([value for _label, value in items] + [1])
    plot_w = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        w = plot_w * value / peak
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{_number(max(w, 1))}" height="{row - 8}" '
            f'fill="{BAR}"/>'
            f'<text x="{_number(label_w + w + 6)}" y="{y + row * 0.65:.1f}" font-size="12" '
            f'fill="{TEXT}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

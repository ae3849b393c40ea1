"""Small inline SVG charts for the HTML report: no scripts, fonts or images, so the file opens offline.

Each function returns one ``<svg>`` element as a string, with a ``<title>`` for accessibility and a ``data-chart``
attribute naming its kind (tests look for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

__all__ = ["bar_chart", "histogram_chart", "interval_chart"]

_BLUE: Final = "#3b6fb6"
_GREY: Final = "#b8c2cc"
_RED: Final = "#c0392b"
_GREEN: Final = "#2e8b57"
_FONT: Final = "font-family:system-ui,sans-serif;font-size:11px"


def _open(width: int, height: int, kind: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" data-chart="{kind}" style="{_FONT}"><title>{escape(title)}</title>'
    )


def histogram_chart(counts: Sequence[int], edges: Sequence[float], title: str, *, width: int = 360) -> str:
    """A histogram: one bar per bin, counts above the bars, bin edges below."""
    height, left, bottom, top = 170, 30, 30, 22
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(counts, default=0) or 1
    bar_w = plot_w / max(1, len(counts))
    parts = [_open(width, height, "histogram", title)]
    parts.append(f'<text x="{left}" y="14" font-weight="600">{escape(title)}</text>')
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bar_w
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{_BLUE}">'
            f"<title>[{edges[i]:g}, {edges[i + 1]:g}{']' if i == len(counts) - 1 else ')'}: {count}</title></rect>"
        )
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{count}</text>')
    axis_y = top + plot_h
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#333"/>')
    for i in (0, len(counts) // 2, len(counts)):
        parts.append(f'<text x="{left + i * bar_w:.1f}" y="{axis_y + 14}" text-anchor="middle">{edges[i]:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">reward</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    *,
    baseline: Sequence[float | None] | None = None,
    maximum: float = 1.0,
    width: int = 460,
) -> str:
    """Horizontal bars in [0, maximum], one per label; a grey bar under each for the baseline when given."""
    row = 30 if baseline is not None else 20
    left, top = 110, 22
    height = top + row * len(labels) + 12
    plot_w = width - left - 50
    parts = [_open(width, height, "bars", title), f'<text x="0" y="14" font-weight="600">{escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(label[:18])}</text>')
        shown = 0.0 if value is None else max(0.0, min(1.0, value / maximum))
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{plot_w * shown:.1f}" height="12" fill="{_BLUE}"/>')
        text = "n/a" if value is None else f"{value:.3f}"
        parts.append(f'<text x="{left + plot_w * shown + 4:.1f}" y="{y + 13}">{text}</text>')
        if baseline is not None:
            before = baseline[i]
            b = 0.0 if before is None else max(0.0, min(1.0, before / maximum))
            parts.append(f'<rect x="{left}" y="{y + 16}" width="{plot_w * b:.1f}" height="8" fill="{_GREY}"/>')
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(
    labels: Sequence[str], intervals: Sequence[tuple[float, float, float]], title: str, *, width: int = 520
) -> str:
    """A forest plot: for each label a point (the mean delta) with its interval, around a zero line.

    Intervals that exclude zero are coloured: green above zero, red below.
    """
    row, left, top = 24, 150, 24
    height = top + row * len(labels) + 26
    plot_w = width - left - 20
    extent = max([abs(v) for triple in intervals for v in triple] + [0.05])
    extent *= 1.1

    def x_of(value: float) -> float:
        return left + plot_w * (value + extent) / (2 * extent)

    parts = [_open(width, height, "intervals", title), f'<text x="0" y="14" font-weight="600">{escape(title)}</text>']
    zero = x_of(0.0)
    bottom = top + row * len(labels)
    parts.append(
        f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{bottom}" stroke="#666" stroke-dasharray="3,3"/>'
    )
    for i, (label, (mean, low, high)) in enumerate(zip(labels, intervals, strict=True)):
        y = top + i * row + row / 2
        colour = _GREEN if low > 0 else _RED if high < 0 else "#555"
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(label[:24])}</text>')
        parts.append(
            f'<line x1="{x_of(low):.1f}" y1="{y:.1f}" x2="{x_of(high):.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{x_of(mean):.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{escape(label)}: {mean:+.4f} [{low:+.4f}, {high:+.4f}]</title></circle>"
        )
    for value in (-extent / 1.1, 0.0, extent / 1.1):
        parts.append(f'<text x="{x_of(value):.1f}" y="{bottom + 16}" text-anchor="middle">{value:+.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)

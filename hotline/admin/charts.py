"""Charts as inline SVG drawn on the server: no script library to vendor, they print and work
without JavaScript, and tests can read them. Every text is escaped; every bar and point carries a
<title> so hovering shows its value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 44
MAX_X_LABELS = 12
LEGEND_CHAR_WIDTH = 6.2  # px per character of the 11 px legend font, to space the keys


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str


def nice_top(value: float, *, whole: bool = False) -> float:
    """The top of an axis with four equal steps of 1, 2, 2.5 or 5 × 10ⁿ that reaches `value`.

    For counts (`whole`) a step is at least 1, so no tick reads 0.25 conversations.
    """
    if value <= 0:
        return 4.0 if whole else 1.0
    power = 10.0 ** math.floor(math.log10(value / 4))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in steps if 4 * m * power >= value)
    return 4 * max(step, 1.0) if whole else 4 * step


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _frame(title: str, body: list[str], legend: Sequence[Series]) -> Markup:
    keys, x = [], float(LEFT)
    for s in legend:
        keys.append(f'<rect x="{x:.0f}" y="6" width="10" height="10" fill="{s.colour}"/>')
        keys.append(f'<text x="{x + 14:.0f}" y="15" class="legend">{escape(s.name)}</text>')
        x += 30 + LEGEND_CHAR_WIDTH * len(s.name)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(keys)}{''.join(body)}</svg>"
    )


def _axes(labels: Sequence[str], top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        tick = f"{_number(value)}{unit}"
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick}</text>')
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i in range(0, len(labels), step):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" text-anchor="middle">{escape(labels[i])}</text>'
        )
    return parts


def bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    stacked: bool = True,
    whole: bool = True,
) -> Markup:
    """Bars per label: the series stacked (parts of a whole) or side by side (to compare)."""
    values = [[v or 0.0 for v in s.values] for s in series]
    highest = max((sum(col) if stacked else max(col) for col in zip(*values, strict=True)), default=0.0)
    top = nice_top(highest, whole=whole)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    width = slot * 0.7 / (1 if stacked else max(1, len(series)))
    body = _axes(labels, top, unit)
    for i, label in enumerate(labels):
        base = 0.0
        for k, s in enumerate(series):
            value = values[k][i]
            h = plot_h * value / top
            x = LEFT + slot * i + slot * 0.15 + (0 if stacked else width * k)
            y = TOP + plot_h - h - (plot_h * base / top if stacked else 0)
            tip = f"{label} · {s.name}: {_number(value)}{unit}"
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{s.colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            base += value if stacked else 0
    return _frame(title, body, series)


def lines(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "%", top: float = 100) -> Markup:
    """A line per series; a missing value (None) breaks the line instead of drawing it at zero."""
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    body = _axes(labels, top, unit)
    for s in series:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * min(value, top) / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            tip = f"{labels[i]} · {s.name}: {_number(value)}{unit}"
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.colour}"><title>{escape(tip)}</title></circle>'
            )
        stroke = f'fill="none" stroke="{s.colour}" stroke-width="2"'
        body.extend(f'<polyline points="{" ".join(run)}" {stroke}/>' for run in runs if run)
    return _frame(title, body, series)


def hbars(items: Sequence[tuple[str, float]], *, title: str, colour: str, hover: Sequence[str] = ()) -> Markup:
    """Horizontal bars, one per item, longest first as given (top intents); `hover`: what each label's
    tooltip adds (an intent's slug)."""
    row = 22
    height = TOP + row * max(1, len(items)) + 8
    top = nice_top(max((v for _, v in items), default=0.0), whole=True)
    label_w = 220
    scale = (WIDTH - label_w - RIGHT - 40) / top
    body = []
    for i, (label, value) in enumerate(items):
        y = TOP + row * i
        tip = f"<title>{escape(hover[i])}</title>" if i < len(hover) else ""
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" class="tick" text-anchor="end">{tip}{escape(label)}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{value * scale:.1f}" height="{row - 6}" fill="{colour}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        body.append(f'<text x="{label_w + value * scale + 4:.1f}" y="{y + 14}" class="tick">{_number(value)}</text>')
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )

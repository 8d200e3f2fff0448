"""The meter chart: a committee's meters over the rounds, as an SVG line chart."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django.utils.translation import gettext

# Each meter has its own dash pattern and marker as well as a colour, so the
# chart reads on a black-and-white print, a washed-out projector and for
# colour-blind eyes; the colours are Okabe–Ito, darkened to hold on white.
LINE_STYLES = (
    ("none", "circle", "#0072B2"),
    ("14 6", "square", "#C24E00"),
    ("2 5", "triangle", "#007A5A"),
    ("14 5 3 5", "diamond", "#B0508C"),
    ("7 4", "down", "#7A5C00"),
    ("3 3 10 3", "cross", "#222222"),
)
# A committee's chart is about 420 px wide on a projector with four committees
# side by side, and 330 px on a phone: a small viewBox keeps its text near the
# size it is drawn at. The right part holds the end labels ("Problemforståelse 74").
CHART_W, CHART_H = 500, 310
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 36, 250, 12, 266
LABEL_GAP = 21  # the least vertical distance between two end labels
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


def _marker(shape: str, x: float, y: float, colour: str, size: float = 5.5) -> str:
    s = size
    common = f'fill="{colour}" stroke="#fff" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s:.1f}" {common}/>'
    if shape == "square":
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" {common}/>'
    if shape in ("triangle", "down"):
        k = 1 if shape == "triangle" else -1
        pts = f"{x:.1f},{y - k * s * 1.2:.1f} {x - s * 1.1:.1f},{y + k * s * 0.9:.1f} {x + s * 1.1:.1f},{y + k * s * 0.9:.1f}"
        return f'<polygon points="{pts}" {common}/>'
    if shape == "diamond":
        d = s * 1.3
        pts = f"{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} {x:.1f},{y + d:.1f} {x - d:.1f},{y:.1f}"
        return f'<polygon points="{pts}" {common}/>'
    return (  # cross
        f'<path d="M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}M{x - s:.1f},{y + s:.1f}L{x + s:.1f},{y - s:.1f}" '
        f'stroke="{colour}" stroke-width="3" stroke-linecap="round" fill="none"/>'
    )


def _spread(wanted: list[float], low: float, high: float, gap: float) -> list[float]:
    """Label positions near ``wanted``, at least ``gap`` apart, within [low, high] if they fit."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = list(wanted)
    previous = low - gap
    for i in order:  # downwards: push each label below the one above it
        placed[i] = max(placed[i], previous + gap)
        previous = placed[i]
    following = high + gap
    for i in reversed(order):  # upwards: pull the stack back above the bottom
        placed[i] = min(placed[i], following - gap)
        following = placed[i]
    return placed


def meter_chart_svg(
    history: Sequence[tuple[Any, dict[str, int]]] | dict[str, dict[str, int]],
    meters: Sequence[Any],
    *,
    title: str = "",
) -> str:
    """A line chart of the meters (0–100) over the rounds, as an SVG string.

    ``history`` is a list of (round label, {meter id: value}) in order, or a
    committee's ``history`` dict {round index: values}; ``meters`` the case's
    meters (objects with ``id`` and ``label``). Every text is escaped.
    """
    if isinstance(history, dict):
        history = [(int(r), v) for r, v in sorted(history.items(), key=lambda p: int(p[0]))]
    points = list(history)
    n = len(points)
    width = PLOT_RIGHT - PLOT_LEFT
    height = PLOT_BOTTOM - PLOT_TOP

    def x_at(i: int) -> float:
        return PLOT_LEFT + (width / 2 if n == 1 else width * i / (n - 1))

    def y_at(v: float) -> float:
        return PLOT_BOTTOM - height * max(0, min(100, v)) / 100

    axis_title = gettext("Round")  # outside the f-string, where makemessages finds it
    final = points[-1][1] if points else {}
    summary = ", ".join(f"{m.label} {final[m.id]}" for m in meters if m.id in final)
    label = (title + ": " if title else "") + (
        gettext("final meters: %(values)s") % {"values": summary}
        if summary
        else gettext("no meters recorded yet")
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        f'class="meter-chart" role="img" aria-label="{escape(label)}" {FONT}>',
        f"<title>{escape(label)}</title>",
    ]
    # Gridlines and the 0–100 axis.
    for v in range(0, 101, 25):
        y = y_at(v)
        out.append(
            f'<line x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{PLOT_RIGHT}" y2="{y:.1f}" '
            f'stroke="{"#555" if v == 0 else "#ccc"}" stroke-width="1"/>'
            f'<text x="{PLOT_LEFT - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="15" fill="#333">{v}</text>'
        )
    for i, (r, _values) in enumerate(points):
        x = x_at(i)
        out.append(
            f'<line x1="{x:.1f}" y1="{PLOT_TOP}" x2="{x:.1f}" y2="{PLOT_BOTTOM}" stroke="#eee" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{PLOT_BOTTOM + 20}" text-anchor="middle" font-size="15" fill="#333">{escape(str(r))}</text>'
        )
    out.append(
        f'<text x="{(PLOT_LEFT + PLOT_RIGHT) / 2:.0f}" y="{CHART_H - 6}" text-anchor="middle" '
        f'font-size="13" fill="#555">{escape(axis_title)}</text>'
    )
    # One line per meter, with its end label.
    ends = []
    for k, m in enumerate(meters):
        dash, shape, colour = LINE_STYLES[k % len(LINE_STYLES)]
        pts = [(x_at(i), y_at(v[m.id])) for i, (_r, v) in enumerate(points) if m.id in v]
        if not pts:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(
            f'<g class="meter" data-meter="{escape(m.id)}">'
            f'<polyline class="line" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="3" stroke-dasharray="{dash}" stroke-linejoin="round" '
            f'stroke-linecap="{"round" if dash == "2 5" else "butt"}"/>'
            + "".join(_marker(shape, x, y, colour) for x, y in pts)
            + "</g>"
        )
        ends.append((m, pts[-1], shape, colour, final.get(m.id)))
    ys = _spread([p[1] for _m, p, *_rest in ends], PLOT_TOP + 6, PLOT_BOTTOM, LABEL_GAP)
    label_x = PLOT_RIGHT + 24
    for (m, (x, y), shape, colour, value), ly in zip(ends, ys, strict=True):
        text = m.label if value is None else f"{m.label} {value}"
        out.append(
            f'<g class="end-label" data-meter="{escape(m.id)}">'
            f'<line x1="{x + 7:.1f}" y1="{y:.1f}" x2="{label_x - 8:.1f}" y2="{ly:.1f}" stroke="#999" stroke-width="1"/>'
            + _marker(shape, label_x, ly, colour, size=5)
            + f'<text x="{label_x + 9}" y="{ly + 5:.1f}" font-size="17" fill="#111">{escape(text)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)

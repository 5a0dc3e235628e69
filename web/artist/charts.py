"""Geometry for the analytics pages' SVG charts: scales, nice ticks, bar sizes.

Only numbers and label text come out; the Jinja macros in
web/templates/artist/charts/_macros.html draw them. Every size is in the chart's own
viewBox units, so the SVG scales with the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 480  # a chart's viewBox width unless it asks for another
ROW = 46  # a horizontal bar's row: its label line above the bar
BAR = 18  # a horizontal bar's thickness
TEXT_ROW = 26  # a row of label only
COLUMN_HEIGHT = 180  # the plot area of a column chart
AXIS_GUTTER = 48  # room left of a column chart's plot for the y labels
RIGHT_GUTTER = 32  # room right of it, for half of the last x label
LABEL_BAND = 34  # room under a column chart's plot for the x labels
MAX_X_LABELS = 5


@dataclass(frozen=True)
class HBar:
    """One labelled horizontal bar: its text line at `text_y`, the bar at `y`."""

    label: str
    value: int | None  # None: a label line with no bar (unknown, or a group's heading)
    text_y: int
    y: int
    width: float


@dataclass(frozen=True)
class HBarChart:
    """Horizontal bars, one row each, widths on one scale (the largest value is full)."""

    width: int
    height: int
    bar_height: int
    bars: tuple[HBar, ...]


@dataclass(frozen=True)
class Column:
    """One bucket of a column chart."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis (`at`: x for the x axis, y for the y axis)."""

    at: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    """Columns over time, with y ticks (counts) and a few x labels (bucket starts)."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    columns: tuple[Column, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round tick values from 0 to at least `top` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def share(value: int | float | None, top: int | float | None, full: float = 100.0) -> float:
    """`value` as a length on a scale where `top` is `full` (0 when either is unknown)."""
    if not value or not top or value <= 0 or top <= 0:
        return 0.0
    return round(min(value / top, 1.0) * full, 2)


def hbars(rows: Sequence[tuple[str, int | None]], width: int = WIDTH) -> HBarChart:
    """A bar per (label, value) row, each under its label; a row with no value (unknown, or
    a group's heading) is its label line only."""
    top = max((value or 0 for _, value in rows), default=0)
    bars, y = [], 0
    for label, value in rows:
        bars.append(HBar(label, value, y + 16, y + 22, share(value, top, width)))
        y += ROW if value is not None else TEXT_ROW
    return HBarChart(width, max(y, ROW), BAR, tuple(bars))


def columns(values: Sequence[int], labels: Sequence[str], width: int = WIDTH) -> ColumnChart:
    """Columns for consecutive buckets on a y scale of nice ticks; at most MAX_X_LABELS
    bucket labels, evenly spaced, the first always among them."""
    ticks = nice_ticks(max(values, default=0))
    scale_top = ticks[-1]
    plot_width = width - AXIS_GUTTER - RIGHT_GUTTER
    slot = plot_width / max(len(values), 1)
    gap = slot * 0.15 if slot >= 3 else 0.0
    bottom = COLUMN_HEIGHT + 8

    def y_of(value: int) -> float:
        return round(bottom - value / scale_top * COLUMN_HEIGHT, 2)

    bars = tuple(
        Column(round(AXIS_GUTTER + n * slot + gap / 2, 2), y_of(value), round(slot - gap, 2),
               round(bottom - y_of(value), 2))
        for n, value in enumerate(values)
    )  # fmt: skip
    every = max(math.ceil(len(labels) / MAX_X_LABELS), 1)
    x_ticks = tuple(
        Tick(round(AXIS_GUTTER + n * slot + slot / 2, 2), label)
        for n, label in enumerate(labels)
        if n % every == 0
    )
    y_ticks = tuple(Tick(y_of(value), f"{value:,}") for value in ticks)
    right = width - RIGHT_GUTTER
    return ColumnChart(width, bottom + LABEL_BAND, AXIS_GUTTER, right, bottom, bars, y_ticks,
                       x_ticks)  # fmt: skip


def percent(rate: float | None) -> str:
    """A rate as a whole percent (one decimal under 10 %), or an em dash when unknown."""
    if rate is None:
        return "—"
    value = rate * 100
    return f"{value:.1f}%" if 0 < value < 10 else f"{value:.0f}%"

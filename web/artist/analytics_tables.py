"""The analytics page's tables: the breakdowns' rows and their server-side sort (`?sort=`),
the funnel's rows, and time series as rows; plain presentation of the stats services'
objects, no query here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.services import stats
from core.services.stats_series import Series
from core.validation import ValidationError
from web.artist import charts

STEP_WORDS = {
    "page_view": "Page views",
    "optin": "Opted in",
    "link_click": "Opened their link",
    "spotify_authorized": "Authorized Spotify",
    "saved": "Saved",
    "drop_delivered": "Got drop message",
    "release_click": "Clicked release link",
}
DIMENSION_WORDS = {"source": "source", "channel": "channel", "country": "country",
                   "region": "US state"}  # fmt: skip
CHANNEL_WORDS = {"sms": "SMS", "discord": "Discord"}
# A breakdown table's columns: key, heading; views only where they are known (by source).
COLUMNS = (
    ("value", "Value"),
    ("views", "Page views"),
    ("optins", "Opted in"),
    ("authorized", "Authorized"),
    ("saved", "Saved"),
    ("conversion", "Conversion"),
)
SORT_ACCEPTED = (
    "table.column.direction, e.g. source.conversion.desc: table one of "
    f"{', '.join(stats.DIMENSIONS)}; column one of {', '.join(k for k, _ in COLUMNS)}; "
    "direction asc or desc"
)
# How a bucket's start reads: in the table, and shorter under the chart's columns.
MAX_ROWS = 50  # a table shows this many values, in its order; the rest are counted
UNIT_FORMATS = {"day": "%a %d %b", "hour": "%a %d %b %H:00", "minute": "%H:%M"}
CHART_FORMATS = {"day": "%d %b", "hour": "%d %b %Hh", "minute": "%H:%M"}


@dataclass(frozen=True)
class Sort:
    """Which breakdown table is sorted, by which column, which way."""

    table: str
    key: str
    descending: bool


def parse_sort(text: str | None) -> Sort | None:
    """`?sort=` as typed (empty: each table in the service's order); ValidationError
    names `sort` when it is not table.column.direction."""
    if text is None or not text.strip():
        return None
    parts = text.strip().lower().split(".")
    keys = {key for key, _ in COLUMNS}
    if len(parts) != 3 or parts[0] not in stats.DIMENSIONS or parts[1] not in keys:
        raise ValidationError("sort", SORT_ACCEPTED)
    if parts[2] not in ("asc", "desc"):
        raise ValidationError("sort", SORT_ACCEPTED)
    return Sort(parts[0], parts[1], parts[2] == "desc")


def sort_text(sort: Sort) -> str:
    """The `?sort=` value naming `sort`."""
    return f"{sort.table}.{sort.key}.{'desc' if sort.descending else 'asc'}"


@dataclass(frozen=True)
class Header:
    """A column heading: its aria-sort (None when the table is not sorted by it) and the
    `?sort=` its link asks for."""

    key: str
    label: str
    aria_sort: str | None
    link_sort: str


@dataclass(frozen=True)
class Row:
    """One value of a dimension: fans at the main steps and its conversion."""

    value: str
    views: int | None
    optins: int
    authorized: int
    saved: int
    conversion: float | None  # authorized per opted-in fan
    bar: float  # the conversion as a width out of 100


@dataclass(frozen=True)
class Table:
    """A breakdown as a sortable table."""

    dimension: str
    title: str
    headers: tuple[Header, ...]
    rows: tuple[Row, ...]
    more: int  # values left out after the first MAX_ROWS (in the events CSV)


def value_words(dimension: str, value: str | None) -> str:
    """How a dimension's value reads on the page."""
    if value is None:
        return "Not known"
    return CHANNEL_WORDS.get(value, value) if dimension == "channel" else value


def _row(dimension: str, found: stats.BreakdownRow) -> Row:
    counts = [step.count for step in found.steps]
    optins, authorized, saved = counts[1] or 0, counts[3] or 0, counts[4] or 0
    conversion = authorized / optins if optins else None
    return Row(value_words(dimension, found.value), counts[0], optins, authorized, saved,
               conversion, charts.share(conversion, 1.0))  # fmt: skip


def _sort_key(key: str) -> object:
    def by(row: Row) -> tuple[int, object]:
        value = getattr(row, key)
        if value is None:
            return (0, 0)  # unknown sorts below every number (above in ascending order)
        return (1, value.lower() if isinstance(value, str) else value)

    return by


def _headers(dimension: str, sort: Sort | None) -> tuple[Header, ...]:
    out = []
    for key, label in COLUMNS:
        if key == "views" and dimension != "source":
            continue
        label = DIMENSION_WORDS[dimension].capitalize() if key == "value" else label
        mine = sort is not None and sort.table == dimension and sort.key == key
        by_default = sort is None or sort.table != dimension
        aria = None
        if mine and sort is not None:
            aria = "descending" if sort.descending else "ascending"
        elif by_default and key == "optins":
            aria = "descending"  # the service's order: most opt-ins first
        descending = aria != "descending" if aria else key != "value"
        out.append(Header(key, label, aria, sort_text(Sort(dimension, key, descending))))
    return tuple(out)


def table(found: stats.Breakdown, sort: Sort | None) -> Table:
    """The breakdown's rows, sorted as asked when `sort` names this table."""
    rows = [_row(found.dimension, r) for r in found.rows]
    if sort is not None and sort.table == found.dimension:
        rows.sort(key=_sort_key(sort.key), reverse=sort.descending)  # type: ignore[arg-type]
    title = f"Conversion by {DIMENSION_WORDS[found.dimension]}"
    headers = _headers(found.dimension, sort)
    return Table(found.dimension, title, headers, tuple(rows[:MAX_ROWS]), len(rows[MAX_ROWS:]))


@dataclass(frozen=True)
class FunnelLine:
    """One funnel step as the chart labels it and the table lists it."""

    name: str
    words: str
    count: int | None
    rate: str
    label: str


def funnel_lines(funnel: stats.Funnel) -> list[FunnelLine]:
    """Each step's words, count and rate of the step before, and its chart label."""
    lines = []
    for n, step in enumerate(funnel.steps):
        words = STEP_WORDS.get(step.name, step.name)
        count = "not known with these filters" if step.count is None else f"{step.count:,}"
        rate = charts.percent(step.rate)
        label = f"{words}: {count}" + (f" ({rate} of step before)" if n else "")
        lines.append(FunnelLine(step.name, words, step.count, rate, label))
    return lines


@dataclass(frozen=True)
class SeriesView:
    """A time series as rows (bucket start, its label, count) and its column chart."""

    series: Series
    rows: tuple[tuple[datetime, str, int], ...]
    chart: charts.ColumnChart
    total: int
    peak: int


def series_view(series: Series, unit: str) -> SeriesView:
    """Rows labelled in UTC at the bucket's precision, and the chart over them."""
    fmt = UNIT_FORMATS[unit]
    rows = tuple((p.start, p.start.strftime(fmt), p.count) for p in series.points)
    counts = [count for _, _, count in rows]
    chart = charts.columns(counts, [p.start.strftime(CHART_FORMATS[unit]) for p in series.points])
    return SeriesView(series, rows, chart, sum(counts), max(counts, default=0))

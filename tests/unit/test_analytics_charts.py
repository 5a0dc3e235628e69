"""The analytics charts' geometry and the breakdown tables' sort, on plain values."""

from __future__ import annotations

import pytest

from core.services import stats
from core.services.stats_filters import Filters
from core.validation import ValidationError
from web.artist import analytics_tables, charts


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (100, [0, 50, 100]),
        (1234, [0, 500, 1000, 1500]),
        (99_999, [0, 50_000, 100_000]),
    ],
)
def test_ticks_are_round_and_reach_the_top(top: int, ticks: list[int]) -> None:
    assert charts.nice_ticks(top) == ticks
    assert ticks[-1] >= top


def test_share_scales_and_clamps() -> None:
    assert charts.share(25, 100) == 25.0
    assert charts.share(1, 3, 480) == 160.0
    assert charts.share(150, 100) == 100.0
    assert charts.share(None, 100) == charts.share(5, 0) == charts.share(-1, 10) == 0.0


def test_horizontal_bars_share_one_scale_and_keep_their_labels() -> None:
    chart = charts.hbars([("Page views: 200", 200), ("Opted in: 50", 50), ("Unknown", None)], 400)
    assert [bar.width for bar in chart.bars] == [400.0, 100.0, 0.0]
    assert [bar.label for bar in chart.bars] == ["Page views: 200", "Opted in: 50", "Unknown"]
    assert chart.bars[2].value is None
    assert chart.height == 2 * charts.ROW + charts.TEXT_ROW  # the unknown: its label only
    tops = [bar.y for bar in chart.bars]
    assert tops == sorted(tops) and all(b.text_y < b.y for b in chart.bars)  # label above bar
    drawn = [bar for bar in chart.bars if bar.value is not None]
    assert all(bar.y + chart.bar_height <= chart.height for bar in drawn)
    assert all(bar.text_y < chart.height for bar in chart.bars)


def test_horizontal_bars_of_nothing_draw_no_bar() -> None:
    chart = charts.hbars([("Opted in: 0", 0)])
    assert chart.bars[0].width == 0.0 and chart.width == charts.WIDTH


def test_columns_fit_the_plot_on_the_ticks_scale() -> None:
    values = [0, 5, 10, 3]
    chart = charts.columns(values, ["a", "b", "c", "d"])
    scale_top = int(chart.y_ticks[-1].label)
    assert scale_top == 10
    bottom = chart.plot_bottom
    heights = [c.height for c in chart.columns]
    assert heights[0] == 0 and heights[2] == charts.COLUMN_HEIGHT  # the tallest reaches 10
    assert heights[1] == pytest.approx(charts.COLUMN_HEIGHT / 2)
    for column in chart.columns:
        assert column.y + column.height == pytest.approx(bottom)
        assert chart.plot_left <= column.x and column.x + column.width <= chart.plot_right + 0.01
    xs = [c.x for c in chart.columns]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert chart.y_ticks[0].at == bottom and chart.y_ticks[-1].at == bottom - charts.COLUMN_HEIGHT


def test_a_long_series_labels_a_few_evenly_spaced_buckets() -> None:
    labels = [f"{h:02d}:00" for h in range(96)]
    chart = charts.columns([1] * 96, labels)
    assert len(chart.x_ticks) <= charts.MAX_X_LABELS
    assert chart.x_ticks[0].label == "00:00"
    assert [t.label for t in chart.x_ticks] == labels[::20]
    assert charts.columns([], []).columns == ()


def test_percent_reads_without_the_chart() -> None:
    assert charts.percent(None) == "—"
    assert charts.percent(0) == "0%"
    assert charts.percent(0.05) == "5.0%"
    assert charts.percent(2 / 3) == "67%"
    assert charts.percent(1.0) == "100%"


def step_counts(*counts: int | None) -> tuple[stats.Step, ...]:
    return tuple(stats.Step(name, n, None) for name, n in zip(stats.STEPS, counts, strict=False))


def breakdown(dimension: str) -> stats.Breakdown:
    rows = (
        stats.BreakdownRow("tiktok", step_counts(10, 8, 6, 2, 1, 0, 0)),
        stats.BreakdownRow("ig", step_counts(4, 4, 4, 3, 0, 0, 0)),
        stats.BreakdownRow(None, step_counts(None, 1, 0, 0, 0, 0, 0)),
    )
    return stats.Breakdown(1, dimension, Filters(), rows)


def values(table: analytics_tables.Table) -> list[str]:
    return [row.value for row in table.rows]


def test_tables_keep_the_services_order_unless_sorted() -> None:
    table = analytics_tables.table(breakdown("source"), None)
    assert values(table) == ["tiktok", "ig", "Not known"]
    assert [h.key for h in table.headers] == [k for k, _ in analytics_tables.COLUMNS]
    assert {h.key: h.aria_sort for h in table.headers if h.aria_sort} == {"optins": "descending"}
    assert {h.key: h.link_sort for h in table.headers}["optins"] == "source.optins.asc"
    assert {h.key: h.link_sort for h in table.headers}["value"] == "source.value.asc"
    assert {h.key: h.link_sort for h in table.headers}["saved"] == "source.saved.desc"
    tiktok = table.rows[0]
    assert (tiktok.optins, tiktok.authorized, tiktok.saved) == (8, 2, 1)
    assert tiktok.conversion == 0.25 and tiktok.bar == 25.0


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("source.conversion.desc", ["ig", "tiktok", "Not known"]),
        ("source.conversion.asc", ["Not known", "tiktok", "ig"]),
        ("source.value.asc", ["ig", "Not known", "tiktok"]),
        ("source.views.desc", ["tiktok", "ig", "Not known"]),
        ("source.views.asc", ["Not known", "ig", "tiktok"]),
        ("country.saved.desc", ["tiktok", "ig", "Not known"]),  # another table: unchanged
    ],
)
def test_a_sort_orders_its_table_only(sort: str, order: list[str]) -> None:
    parsed = analytics_tables.parse_sort(sort)
    table = analytics_tables.table(breakdown("source"), parsed)
    assert values(table) == order
    marked = [(h.key, h.aria_sort) for h in table.headers if h.aria_sort]
    if sort.startswith("source."):
        _, key, way = sort.split(".")
        assert marked == [(key, "descending" if way == "desc" else "ascending")]
        flipped = next(h.link_sort for h in table.headers if h.key == key)
        assert flipped == f"source.{key}.{'asc' if way == 'desc' else 'desc'}"
    else:
        assert marked == [("optins", "descending")]


def test_only_the_source_table_has_page_views() -> None:
    table = analytics_tables.table(breakdown("channel"), None)
    assert "views" not in [h.key for h in table.headers]
    assert table.headers[0].label == "Channel" and table.title == "Conversion by channel"
    assert analytics_tables.value_words("channel", "sms") == "SMS"


@pytest.mark.parametrize(
    "text", ["source", "source.value", "planet.value.asc", "source.colour.asc", "source.value.up",
             "a.b.c.d"],
)  # fmt: skip
def test_a_bad_sort_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        analytics_tables.parse_sort(text)
    assert refused.value.field == "sort"


def test_no_sort_is_the_default() -> None:
    assert analytics_tables.parse_sort(None) is None and analytics_tables.parse_sort(" ") is None
    assert analytics_tables.parse_sort("Country.Saved.DESC") == analytics_tables.Sort(
        "country", "saved", True
    )


def test_a_long_table_shows_its_first_rows_in_its_order_and_counts_the_rest() -> None:
    many = tuple(
        stats.BreakdownRow(f"src{n:03d}", step_counts(None, n + 1, 0, n % 7, 0, 0, 0))
        for n in range(analytics_tables.MAX_ROWS + 12)
    )
    found = stats.Breakdown(1, "source", Filters(), many)
    table = analytics_tables.table(found, analytics_tables.parse_sort("source.value.asc"))
    assert len(table.rows) == analytics_tables.MAX_ROWS and table.more == 12
    assert values(table) == [f"src{n:03d}" for n in range(analytics_tables.MAX_ROWS)]
    top = analytics_tables.table(found, analytics_tables.parse_sort("source.optins.desc"))
    assert values(top)[0] == f"src{analytics_tables.MAX_ROWS + 11:03d}"  # sorted, then cut
    assert analytics_tables.table(breakdown("source"), None).more == 0

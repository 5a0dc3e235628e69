"""What the analytics pages show, gathered from the stats services (which read the
rollups) and shaped for the templates: a fixed number of queries per page, whatever the
campaign's size, and nothing left for a template to query. The campaign's analytics are
three pages (conversion, over time, messages) so each stays within its time budget."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.services import stats, stats_series
from core.services.stats_filters import Filters
from web.artist import charts
from web.artist.analytics_tables import (
    FunnelLine,
    SeriesView,
    Sort,
    Table,
    funnel_lines,
    series_view,
    table,
)

FUNNEL_WIDTH = 400  # narrower than the column charts: its labels stay legible on a phone


@dataclass(frozen=True)
class ConversionReport:
    """The analytics page: the funnel and what converts."""

    funnel: list[FunnelLine]
    funnel_chart: charts.HBarChart
    tables: list[Table]


def conversion_report(
    db: Session, campaign_id: int, filters: Filters, sort: Sort | None
) -> ConversionReport:
    """The funnel and the four breakdowns (stats.overview: one read of the rollups)."""
    funnel, breakdowns = stats.overview(db, campaign_id, filters)
    lines = funnel_lines(funnel)
    chart = charts.hbars([(line.label, line.count) for line in lines], FUNNEL_WIDTH)
    return ConversionReport(lines, chart, [table(b, sort) for b in breakdowns.values()])


@dataclass(frozen=True)
class TimeReport:
    """The over-time page: opt-ins daily and hourly, saves in the drop hour."""

    daily: SeriesView
    hourly: SeriesView
    drop_minutes: SeriesView


def time_report(db: Session, campaign_id: int, filters: Filters) -> TimeReport:
    """The three series of stats_series under the filters."""
    return TimeReport(
        daily=series_view(stats_series.optins_daily(db, campaign_id, filters), "day"),
        hourly=series_view(stats_series.optins_hourly(db, campaign_id, filters), "hour"),
        drop_minutes=series_view(stats_series.saves_by_minute(db, campaign_id, filters), "minute"),
    )


@dataclass(frozen=True)
class TeamReport:
    """The team's last releases side by side, and their grouped bar chart."""

    releases: list[stats.Release]
    chart: charts.HBarChart
    groups: list[int]  # the chart rows that head a release's group


def team_report(db: Session, team_id: int) -> TeamReport:
    """stats.team_comparison as a table and bars: per release a heading row, then its
    opt-ins, authorized fans (with the rate) and saves on one scale."""
    releases = stats.team_comparison(db, team_id)
    rows: list[tuple[str, int | None]] = []
    groups = []
    for release in releases:
        groups.append(len(rows))
        rate = charts.percent(release.authorization_rate)
        rows += [
            (f"{release.title} ({release.artist})", None),
            (f"Opted in: {release.optins:,}", release.optins),
            (f"Authorized: {release.authorized:,} ({rate} of opt-ins)", release.authorized),
            (f"Saved: {release.saves:,}", release.saves),
        ]
    return TeamReport(releases, charts.hbars(rows, FUNNEL_WIDTH), groups)

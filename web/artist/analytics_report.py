"""What the analytics pages show, gathered from the stats services (which read the
rollups) and shaped for the templates: a fixed number of queries per page, whatever the
campaign's size, and nothing left for a template to query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.services import message_stats, stats, stats_series
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
class CampaignReport:
    """Everything on a campaign's analytics page."""

    funnel: list[FunnelLine]
    funnel_chart: charts.HBarChart
    tables: list[Table]
    daily: SeriesView
    hourly: SeriesView
    drop_minutes: SeriesView
    messages: list[message_stats.MessageStats]


def campaign_report(
    db: Session, campaign_id: int, filters: Filters, sort: Sort | None
) -> CampaignReport:
    """The funnel, the four breakdowns, the three series and the countdown messages."""
    lines = funnel_lines(stats.funnel(db, campaign_id, filters))
    chart = charts.hbars([(line.label, line.count) for line in lines], FUNNEL_WIDTH)
    tables = [
        table(stats.breakdown(db, campaign_id, dimension, filters), sort)
        for dimension in stats.DIMENSIONS
    ]
    return CampaignReport(
        funnel=lines,
        funnel_chart=chart,
        tables=tables,
        daily=series_view(stats_series.optins_daily(db, campaign_id, filters), "day"),
        hourly=series_view(stats_series.optins_hourly(db, campaign_id, filters), "hour"),
        drop_minutes=series_view(stats_series.saves_by_minute(db, campaign_id, filters), "minute"),
        messages=message_stats.for_campaign(db, campaign_id),
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

"""A campaign's analytics from the funnel rollups: the funnel, breakdowns, team comparison.

Plain dataclasses out, so the web pages and the JSON API serialize the same objects. Fans
are counted once per step (their first event of it); page views are counted as views, and
only by source and time (a view has no fan, so no channel, country or region). Time series
are in core/services/stats_series.py; filters in core/services/stats_filters.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, case, func, select
from sqlalchemy.orm import Session

from core.models import Artist, Campaign
from core.services.funnel_rollups import FACTS, STEP_COLUMNS, VIEWS, hour_of
from core.services.stats_filters import Filters, attribute_conditions, in_window
from core.validation import ValidationError

__all__ = [
    "DIMENSIONS", "STEPS", "Breakdown", "Filters", "Funnel", "Step", "breakdown", "funnel",
    "overview",
]  # fmt: skip

# The funnel's steps in order: the page view first, then the fan steps (events.FUNNEL).
STEPS = ("page_view", *STEP_COLUMNS)
DIMENSIONS = ("source", "channel", "country", "region")
TEAM_RELEASES = 5


@dataclass(frozen=True)
class Step:
    """One funnel step: unique fans (views for the page) and its rate of the step before."""

    name: str
    count: int | None  # None: not known under these filters (page views by country, ...)
    rate: float | None  # count / the step before's count; None for the first or unknown


@dataclass(frozen=True)
class Funnel:
    """A campaign's funnel under some filters."""

    campaign_id: int
    filters: Filters
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class BreakdownRow:
    """The funnel of the fans with one value of the dimension (None: not known)."""

    value: str | None
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Breakdown:
    """A campaign's funnel split by source, channel, country or region, biggest first."""

    campaign_id: int
    dimension: str
    filters: Filters
    rows: tuple[BreakdownRow, ...]


@dataclass(frozen=True)
class Release:
    """One campaign of a team, in the side-by-side comparison."""

    campaign_id: int
    slug: str
    title: str
    artist: str
    release_at: datetime
    optins: int
    authorized: int
    authorization_rate: float | None
    saves: int


def _steps(views: int | None, counts: list[int]) -> tuple[Step, ...]:
    out: list[Step] = []
    previous: int | None = None
    for n, (name, count) in enumerate(zip(STEPS, [views, *counts], strict=True)):
        rate = None
        if n and count is not None and previous:
            rate = count / previous
        out.append(Step(name, count, rate))
        previous = count
    return tuple(out)


def _step_counts(facts: Table, filters: Filters) -> list[Any]:
    """COUNT of the fans at each step (in the window, when there is one)."""
    if filters.since is None and filters.until is None:
        return [func.count(facts.c[column]).label(column) for column in STEP_COLUMNS.values()]
    return [
        func.count(case((in_window(facts.c[column], filters), 1))).label(column)
        for column in STEP_COLUMNS.values()
    ]


def _views(session: Session, campaign_id: int, filters: Filters, by_source: bool) -> Any:
    """Page views under the filters (per source when asked), or None when not known."""
    if filters.by_attribute:
        return None
    where = [VIEWS.c.campaign_id == campaign_id]
    if filters.source is not None:
        where.append(VIEWS.c.source == filters.source)
    if filters.since is not None:
        where.append(VIEWS.c.hour >= hour_of(filters.since))
    if filters.until is not None:
        where.append(VIEWS.c.hour < filters.until)
    total = func.coalesce(func.sum(VIEWS.c.views), 0)
    if not by_source:
        return int(session.execute(select(total).where(*where)).scalar_one())
    rows = session.execute(select(VIEWS.c.source, total).where(*where).group_by(VIEWS.c.source))
    return {source or None: int(views) for source, views in rows}


def funnel(session: Session, campaign_id: int, filters: Filters | None = None) -> Funnel:
    """Each step's unique fans (page views as views) and rate of the step before."""
    filters = filters or Filters()
    row = session.execute(
        select(*_step_counts(FACTS, filters)).where(
            FACTS.c.campaign_id == campaign_id, *attribute_conditions(FACTS, filters)
        )
    ).one()
    views = _views(session, campaign_id, filters, by_source=False)
    return Funnel(campaign_id, filters, _steps(views, [int(n) for n in row]))


def _assemble(
    campaign_id: int,
    dimension: str,
    filters: Filters,
    counted: list[tuple[str | None, list[int]]],
    views: dict[str | None, int] | None,
) -> Breakdown:
    """A breakdown from each value's step counts (and page views by source, when known)."""
    views = None if views is None else dict(views)
    rows = []
    for value, counts in counted:
        row_views = None if views is None else views.pop(value, 0)
        if any(counts) or row_views:
            rows.append(BreakdownRow(value, _steps(row_views, counts)))
    zeros = [0] * len(STEP_COLUMNS)  # sources with views and no fan
    rows += [BreakdownRow(value, _steps(n, zeros)) for value, n in (views or {}).items()]
    rows.sort(key=lambda r: (-(r.steps[1].count or 0), -(r.steps[0].count or 0), r.value or ""))
    return Breakdown(campaign_id, dimension, filters, tuple(rows))


def breakdown(
    session: Session, campaign_id: int, dimension: str, filters: Filters | None = None
) -> Breakdown:
    """The funnel per value of `dimension` (source, channel, country or region), the
    values with the most opt-ins first; values no counted fan has are left out."""
    if dimension not in DIMENSIONS:
        raise ValidationError("dimension", f"one of {', '.join(DIMENSIONS)}")
    filters = filters or Filters()
    column = FACTS.c[dimension]
    result: list[Row[Any]] = list(
        session.execute(
            select(column, *_step_counts(FACTS, filters))
            .where(FACTS.c.campaign_id == campaign_id, *attribute_conditions(FACTS, filters))
            .group_by(column)
        )
    )
    views = _views(session, campaign_id, filters, by_source=True) if dimension == "source" else None
    counted = [(row[0], [int(row[i]) for i in range(1, len(row))]) for row in result]
    return _assemble(campaign_id, dimension, filters, counted, views)


def overview(
    session: Session, campaign_id: int, filters: Filters | None = None
) -> tuple[Funnel, dict[str, Breakdown]]:
    """The funnel and every breakdown at once, equal to `funnel` and `breakdown` for each
    dimension, from one grouped read of the campaign's rollup rows (a page showing them all
    reads its fans once, not five times) and one of its page views."""
    filters = filters or Filters()
    columns = [FACTS.c[dimension] for dimension in DIMENSIONS]
    groups = [
        (tuple(row[: len(DIMENSIONS)]), [int(n) for n in row[len(DIMENSIONS) :]])
        for row in session.execute(
            select(*columns, *_step_counts(FACTS, filters))
            .where(FACTS.c.campaign_id == campaign_id, *attribute_conditions(FACTS, filters))
            .group_by(*columns)
        )
    ]
    views = _views(session, campaign_id, filters, by_source=True)
    totals = [sum(counts[i] for _, counts in groups) for i in range(len(STEP_COLUMNS))]
    total_views = None if views is None else sum(views.values())
    breakdowns = {}
    for n, dimension in enumerate(DIMENSIONS):
        per_value: dict[str | None, list[int]] = {}
        for values, counts in groups:
            into = per_value.setdefault(values[n], [0] * len(STEP_COLUMNS))
            for i, count in enumerate(counts):
                into[i] += count
        breakdowns[dimension] = _assemble(campaign_id, dimension, filters,
                                          list(per_value.items()),
                                          views if dimension == "source" else None)  # fmt: skip
    return Funnel(campaign_id, filters, _steps(total_views, totals)), breakdowns


def team_comparison(session: Session, team_id: int, limit: int = TEAM_RELEASES) -> list[Release]:
    """The team's latest `limit` releases side by side (latest release first): opt-ins,
    authorization rate (authorized fans per opted-in fan) and saves."""
    campaigns = session.execute(
        select(Campaign.id, Campaign.slug, Campaign.title, Artist.name, Campaign.release_at)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Artist.team_id == team_id)
        .order_by(Campaign.release_at.desc(), Campaign.id.desc())
        .limit(limit)
    ).all()
    ids = [c.id for c in campaigns]
    counts = {
        campaign_id: (int(optins), int(authorized), int(saves))
        for campaign_id, optins, authorized, saves in session.execute(
            select(
                FACTS.c.campaign_id,
                func.count(FACTS.c.opted_in_at),
                func.count(FACTS.c.authorized_at),
                func.count(FACTS.c.saved_at),
            )
            .where(FACTS.c.campaign_id.in_(ids))
            .group_by(FACTS.c.campaign_id)
        )
    }
    out = []
    for c in campaigns:
        optins, authorized, saves = counts.get(c.id, (0, 0, 0))
        rate = authorized / optins if optins else None
        out.append(
            Release(c.id, c.slug, c.title, c.name, c.release_at, optins, authorized, rate, saves)
        )
    return out

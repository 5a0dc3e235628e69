"""A campaign's funnel over time, from the rollups: opt-ins daily before the release and
hourly around it, saves minute by minute in the drop hour. Unique fans, bucketed by the
time of their first event of the step; every bucket present, empty ones as 0."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services.funnel_rollups import FACTS
from core.services.stats_filters import Filters, attribute_conditions, in_window
from core.validation import ValidationError

AROUND = timedelta(hours=48)  # hourly from 48 h before the release to 48 h after
MAX_DAYS = 366  # the daily series goes back at most this far


@dataclass(frozen=True)
class Point:
    """One bucket: its start and the fans counted in it."""

    start: datetime
    count: int


@dataclass(frozen=True)
class Series:
    """Counts of one step in buckets of `step` from `start` (`points` are consecutive)."""

    campaign_id: int
    name: str
    step: timedelta
    points: tuple[Point, ...]


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ValidationError("campaign", f"no campaign {campaign_id}")
    return campaign


def _epoch(dialect: str, column: Any) -> Any:
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return func.extract("epoch", column)


def _bucket(dialect: str, column: Any, start: datetime, width: timedelta) -> Any:
    """The bucket number of `column` (>= start): whole widths since start."""
    seconds = _epoch(dialect, column) - int(start.timestamp())
    if dialect == "sqlite":
        return seconds / int(width.total_seconds())  # integers: SQLite divides whole
    return cast(func.floor(seconds / int(width.total_seconds())), Integer)


def _series(
    session: Session,
    campaign_id: int,
    filters: Filters,
    name: str,
    column_name: str,
    start: datetime,
    width: timedelta,
    buckets: int,
) -> Series:
    column = FACTS.c[column_name]
    start = start.replace(microsecond=0)  # the databases count whole seconds since start
    end = start + width * buckets
    dialect = session.get_bind().dialect.name
    bucket = _bucket(dialect, column, start, width).label("bucket")
    counts = {
        int(n): int(count)
        for n, count in session.execute(
            select(bucket, func.count())
            .where(
                FACTS.c.campaign_id == campaign_id,
                *attribute_conditions(FACTS, filters),
                in_window(column, filters),
                column >= start,
                column < end,
            )
            .group_by(bucket)
        )
    }
    points = tuple(Point(start + width * n, counts.get(n, 0)) for n in range(buckets))
    return Series(campaign_id, name, width, points)


def optins_hourly(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Opt-ins per hour from 48 h before the release to 48 h after it."""
    release = _campaign(session, campaign_id).release_at
    hours = int(2 * AROUND / timedelta(hours=1))
    return _series(session, campaign_id, filters or Filters(), "optins_hourly", "opted_in_at",
                   release - AROUND, timedelta(hours=1), hours)  # fmt: skip


def optins_daily(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Opt-ins per day (24 h ending at the hourly series' start), from the first opt-in."""
    filters = filters or Filters()
    end = _campaign(session, campaign_id).release_at - AROUND
    first = session.execute(
        select(func.min(FACTS.c.opted_in_at)).where(
            FACTS.c.campaign_id == campaign_id,
            *attribute_conditions(FACTS, filters),
            in_window(FACTS.c.opted_in_at, filters),
        )
    ).scalar_one()
    day = timedelta(days=1)
    days = 0 if first is None or first >= end else min(math.ceil((end - first) / day), MAX_DAYS)
    return _series(session, campaign_id, filters, "optins_daily", "opted_in_at",
                   end - day * days, day, days)  # fmt: skip


def saves_by_minute(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Saves per minute in the drop hour: from when the release was found live (else its
    announced time) to an hour later."""
    campaign = _campaign(session, campaign_id)
    start = campaign.detected_at or campaign.release_at
    return _series(session, campaign_id, filters or Filters(), "saves_by_minute", "saved_at",
                   start, timedelta(minutes=1), 60)  # fmt: skip

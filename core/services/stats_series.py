"""A campaign's funnel over time, from the rollups: opt-ins daily before the release and
hourly around it, saves minute by minute in the drop hour. Unique fans, bucketed by the
time of their first event of the step; every bucket present, empty ones as 0."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
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


# Bucket widths, and how many leading characters of SQLite's stored text name the bucket.
UNITS = {"minute": (timedelta(minutes=1), 16), "hour": (timedelta(hours=1), 13),
         "day": (timedelta(days=1), 10)}  # fmt: skip


def floor_to(unit: str, at: datetime) -> datetime:
    """The start of the UTC minute, hour or day `at` falls in."""
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    if unit == "minute":
        return at
    at = at.replace(minute=0)
    return at if unit == "hour" else at.replace(hour=0)


def _truncated(dialect: str, unit: str, column: Any) -> Any:
    """The column cut to its bucket in SQL, cheaply: SQLite keeps times as ISO text, so a
    prefix of it is the bucket (no date parsing per row); PostgreSQL truncates in UTC."""
    if dialect == "sqlite":
        return func.substr(column, 1, UNITS[unit][1])
    return func.date_trunc(unit, func.timezone("UTC", column))


def _bucket_start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    text = str(value)
    return datetime.fromisoformat(text + ":00" if len(text) == 13 else text).replace(tzinfo=UTC)


def _series(
    session: Session,
    campaign_id: int,
    filters: Filters,
    name: str,
    column_name: str,
    unit: str,
    start: datetime,
    end: datetime,
) -> Series:
    """Fans whose step time is in [start, end), per UTC `unit` from the one holding start."""
    column = FACTS.c[column_name]
    width = UNITS[unit][0]
    first = floor_to(unit, start)
    buckets = math.ceil((end - first) / width) if start < end else 0
    dialect = session.get_bind().dialect.name
    bucket = _truncated(dialect, unit, column).label("bucket")
    counts = {
        _bucket_start(value): int(count)
        for value, count in session.execute(
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
    points = tuple(
        Point(first + width * n, counts.get(first + width * n, 0)) for n in range(buckets)
    )
    return Series(campaign_id, name, width, points)


def optins_hourly(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Opt-ins per UTC hour from 48 h before the release to 48 h after it."""
    release = _campaign(session, campaign_id).release_at
    return _series(session, campaign_id, filters or Filters(), "optins_hourly", "opted_in_at",
                   "hour", release - AROUND, release + AROUND)  # fmt: skip


def optins_daily(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Opt-ins per UTC day from the first opt-in to the hourly series' start (the last day
    counts up to that start only)."""
    filters = filters or Filters()
    end = _campaign(session, campaign_id).release_at - AROUND
    first = session.execute(
        select(func.min(FACTS.c.opted_in_at)).where(
            FACTS.c.campaign_id == campaign_id,
            *attribute_conditions(FACTS, filters),
            in_window(FACTS.c.opted_in_at, filters),
        )
    ).scalar_one()
    start = end if first is None or first >= end else max(first, end - MAX_DAYS * UNITS["day"][0])
    return _series(session, campaign_id, filters, "optins_daily", "opted_in_at", "day",
                   start, end)  # fmt: skip


def saves_by_minute(session: Session, campaign_id: int, filters: Filters | None = None) -> Series:
    """Saves per minute in the drop hour: from the minute the release was found live (else
    its announced time) for 60 minutes."""
    campaign = _campaign(session, campaign_id)
    start = floor_to("minute", campaign.detected_at or campaign.release_at)
    return _series(session, campaign_id, filters or Filters(), "saves_by_minute", "saved_at",
                   "minute", start, start + timedelta(hours=1))  # fmt: skip

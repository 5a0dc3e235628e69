"""Timezone-aware UTC time helpers."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, timedelta

SHIFT_VARIABLE = "PRESAVE_CLOCK_SHIFT_SECONDS"


@functools.cache
def clock_shift() -> timedelta:
    """How far a benchmark moved every process's clock (PRESAVE_CLOCK_SHIFT_SECONDS, read
    once), so that it runs at a chosen hour of the fans' day; only with PRESAVE_ENV=test."""
    raw = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not raw:
        return timedelta(0)
    if os.environ.get("PRESAVE_ENV") != "test":
        raise RuntimeError(f"{SHIFT_VARIABLE} is for benchmarks: only with PRESAVE_ENV=test")
    try:
        return timedelta(seconds=float(raw))
    except (ValueError, OverflowError):
        raise RuntimeError(f"{SHIFT_VARIABLE}: expected seconds, got {raw!r}") from None


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (moved by clock_shift in benchmarks)."""
    return datetime.now(UTC) + clock_shift()


def as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: an explicit UTC offset is required")
    return value.astimezone(UTC)

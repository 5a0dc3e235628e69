"""Timezone-aware UTC time helpers."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: an explicit UTC offset is required")
    return value.astimezone(UTC)

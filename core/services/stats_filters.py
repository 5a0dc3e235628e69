"""The filters every stats query takes, checked: each optional, all combinable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from core.models.audience import Channel
from core.timeutil import as_utc
from core.validation import ValidationError, text

COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
CHANNELS = tuple(channel.value for channel in Channel)
# Longest accepted text: the rollups' column widths.
SOURCE_MAX, REGION_MAX = 32, 64


@dataclass(frozen=True)
class Filters:
    """Which fans count: attribution values and a time window [since, until) on each step."""

    source: str | None = None
    channel: str | None = None
    country: str | None = None
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def by_attribute(self) -> bool:
        """Some filter other than source and time (page views know only those two)."""
        return any(v is not None for v in (self.channel, self.country, self.region))


def _time(field: str, value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    accepted = "ISO 8601 date and time with an explicit offset, e.g. 2026-12-04T00:00:00Z"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError:
            raise ValidationError(field, accepted) from None
    try:
        return as_utc(value)
    except (ValueError, OverflowError):  # naive, or out of range once moved to UTC
        raise ValidationError(field, accepted) from None


def _optional_text(field: str, value: str | None, max_len: int) -> str | None:
    return None if value is None or not value.strip() else text(field, value, max_len=max_len)


def parse_filters(
    *,
    source: str | None = None,
    channel: str | None = None,
    country: str | None = None,
    region: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> Filters:
    """Filters from what a page, the API or the CLI was given; ValidationError names the
    field refused. Empty values mean no filter."""
    if channel is not None and channel.strip():
        channel = channel.strip().lower()
        if channel not in CHANNELS:
            raise ValidationError("channel", f"one of {', '.join(CHANNELS)}")
    else:
        channel = None
    if country is not None and country.strip():
        country = country.strip()
        if not COUNTRY_RE.fullmatch(country):
            raise ValidationError("country", "a two-letter country code, e.g. US")
        country = country.upper()
    else:
        country = None
    start, end = _time("since", since), _time("until", until)
    if start is not None and end is not None and start >= end:
        raise ValidationError("until", "a time after since")
    return Filters(
        source=_optional_text("source", source, SOURCE_MAX),
        channel=channel,
        country=country,
        region=_optional_text("region", region, REGION_MAX),
        since=start,
        until=end,
    )


def attribute_conditions(facts: Table, filters: Filters) -> list[Any]:
    """WHERE conditions on the rollups for the attribution filters."""
    return [
        facts.c[name] == value
        for name in ("source", "channel", "country", "region")
        if (value := getattr(filters, name)) is not None
    ]


def in_window(column: Any, filters: Filters) -> Any:
    """The step's time lies in the window (true when the step happened, with no window)."""
    condition = column.is_not(None)
    if filters.since is not None:
        condition = condition & (column >= filters.since)
    if filters.until is not None:
        condition = condition & (column < filters.until)
    return condition

"""Quiet hours for marketing SMS in the recipient's local time (TCPA; Florida is stricter)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezones

from core.timeutil import as_utc, utcnow

START = time(8, 0)
END = time(21, 0)
END_FLORIDA = time(20, 0)
UNKNOWN_ZONE = "Etc/Unknown"


def _number_zones(phone_e164: str | None) -> list[str]:
    if not phone_e164:
        return []
    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(phone_e164))
    except phonenumbers.NumberParseException:
        return []
    # A number may map to several zones (an area code across a zone line): all must allow it.
    return [z for z in zones if z != UNKNOWN_ZONE]


def number_zone(phone_e164: str | None, now: datetime | None = None) -> str | None:
    """The time zone of a phone number: its only one, or one of several that keep the same
    clock for the year from `now` (the UK's +44: London, Jersey, Guernsey, Isle of Man)."""
    zones = _number_zones(phone_e164)
    if len(zones) == 1:
        return zones[0]
    if zones and _one_clock(tuple(zones), as_utc(now or utcnow()).date()):
        return "Europe/London" if "Europe/London" in zones else zones[0]
    return None


@functools.lru_cache(maxsize=256)
def _one_clock(zones: tuple[str, ...], start: date) -> bool:
    """Whether the zones show the same offset and abbreviation every 12 hours for a year
    from `start` (a release is at most that far; daylight saving changes are caught)."""
    first = datetime.combine(start, time(0), tzinfo=UTC)
    try:
        tzs = [ZoneInfo(name) for name in zones]
    except (ZoneInfoNotFoundError, ValueError):
        return False
    for half_days in range(2 * 366):
        moment = first + timedelta(hours=12 * half_days)
        shown = {(moment.astimezone(tz).utcoffset(), moment.astimezone(tz).tzname()) for tz in tzs}
        if len(shown) > 1:
            return False
    return True


def _window(region: str | None, country: str | None) -> tuple[time, time]:
    florida = (country in (None, "US")) and (region or "").upper() in ("FL", "FLORIDA")
    return START, END_FLORIDA if florida else END


def hold_until(
    now: datetime,
    phone_e164: str | None,
    stored_zone: str | None,
    region: str | None,
    country: str | None,
) -> datetime | None:
    """None when an SMS may go now; else the next allowed time (UTC), 08:00 local."""
    now = as_utc(now)
    zones = [stored_zone] if stored_zone else _number_zones(phone_e164)
    start, end = _window(region, country)
    latest: datetime | None = None
    for name in zones or ["UTC"]:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        local = now.astimezone(zone)
        if start <= local.time() < end:
            continue
        day = local.date() if local.time() < start else local.date() + timedelta(days=1)
        allowed = datetime.combine(day, start, tzinfo=zone)
        latest = allowed if latest is None or allowed > latest else latest
    return as_utc(latest) if latest is not None else None

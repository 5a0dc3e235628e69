"""Quiet hours for marketing SMS in the recipient's local time: the TCPA's 08:00-21:00, and
the stricter state windows (one table, `STATE_WINDOWS`), by the recipient's state.

The state is the fan's ZIP code's when known, else the one their carrier named (Twilio's
FromState), else their number's area code. A US fan whose state is unknown gets the
strictest window of any state that day; fans outside the US get the TCPA's window.
Sources: ../shared/PROVIDERS.md ("US messaging rules"); not legal advice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezones

from core.services.us_states import state_for, state_named, state_of_zip
from core.timeutil import as_utc, utcnow

UNKNOWN_ZONE = "Etc/Unknown"
HORIZON_DAYS = 8  # every weekday has an open window, so the next one is within a week


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


@dataclass(frozen=True)
class Window:
    """The local hours a text may arrive on one day: from `start` until before `end`."""

    start: time
    end: time


Week = tuple[Window, Window, Window, Window, Window, Window, Window]  # Monday first


def _week(weekdays: Window, saturday: Window | None = None, sunday: Window | None = None) -> Week:
    sat = saturday or weekdays
    return (weekdays, weekdays, weekdays, weekdays, weekdays, sat, sunday or sat)


def _hours(start: int, end: int) -> Window:
    return Window(time(start), time(end))


DEFAULT: Week = _week(_hours(8, 21))  # the TCPA, every state without a row below
STATE_WINDOWS: dict[str, Week] = {
    "FL": _week(_hours(8, 20)),
    "OK": _week(_hours(8, 20)),
    "MD": _week(_hours(8, 20)),
    "TX": _week(_hours(9, 21), sunday=_hours(12, 21)),
    "CT": _week(_hours(9, 20)),
    "NJ": _week(_hours(8, 20)),
    "MS": _week(_hours(8, 20)),
    "RI": _week(_hours(9, 18), saturday=_hours(10, 17)),
}


def strictest(weekday: int) -> Window:
    """The window every state's rules allow on that weekday (0 is Monday)."""
    days = [DEFAULT[weekday], *(week[weekday] for week in STATE_WINDOWS.values())]
    return Window(max(w.start for w in days), min(w.end for w in days))


def recipient_state(
    phone_e164: str | None,
    region: str | None,
    country: str | None,
    zip_code: str | None = None,
) -> tuple[bool, str | None]:
    """(whether the fan is in the US, their state or None): the ZIP code's state first, then
    the carrier's (`region`), then the number's area code."""
    us = country == "US" if country is not None else _us_number(phone_e164 or "")
    if not us:
        return False, None
    return True, state_of_zip(zip_code) or state_named(region) or state_for(phone_e164 or "")


def _us_number(phone_e164: str) -> bool:
    try:
        parsed = phonenumbers.parse(phone_e164)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(parsed) == "US"


def window_on(day: date, us: bool, state: str | None) -> Window:
    """The recipient's window on a local `day`: their state's row, the TCPA's, or, for a
    US recipient whose state is unknown, the strictest of all."""
    if us and state is None:
        return strictest(day.weekday())
    return STATE_WINDOWS.get(state or "", DEFAULT)[day.weekday()]


def next_open(now: datetime, zone: ZoneInfo, us: bool, state: str | None) -> datetime:
    """The first moment at or after `now` (UTC) inside the recipient's window in `zone`."""
    local = now.astimezone(zone)
    for ahead in range(HORIZON_DAYS):
        day = local.date() + timedelta(days=ahead)
        hours = window_on(day, us, state)
        opens = datetime.combine(day, hours.start, tzinfo=zone)
        closes = datetime.combine(day, hours.end, tzinfo=zone)
        if local < closes:
            return as_utc(max(opens, local))
    raise AssertionError("every day of the week has a window")


def closes_at(moment: datetime, zone: ZoneInfo, us: bool, state: str | None) -> datetime:
    """When the window holding `moment` (UTC) closes that local day."""
    local = moment.astimezone(zone)
    hours = window_on(local.date(), us, state)
    return as_utc(datetime.combine(local.date(), hours.end, tzinfo=zone))


def zones_of(phone_e164: str | None, stored_zone: str | None) -> list[ZoneInfo]:
    """The zones whose clocks must all allow a text: the fan's kept zone, else every zone of
    their number (UTC when none is known)."""
    found = []
    for name in [stored_zone] if stored_zone else _number_zones(phone_e164) or ["UTC"]:
        try:
            found.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return found or [ZoneInfo("UTC")]


def hold_until(
    now: datetime,
    phone_e164: str | None,
    stored_zone: str | None,
    region: str | None,
    country: str | None,
    zip_code: str | None = None,
) -> datetime | None:
    """None when an SMS may go now; else the next time (UTC) every zone of the fan allows,
    by the window of their state."""
    now = as_utc(now)
    us, state = recipient_state(phone_e164, region, country, zip_code)
    zones = zones_of(phone_e164, stored_zone)
    moment = now
    for _ in range(2 * HORIZON_DAYS):  # a moment all zones allow: the latest opening, again
        later = max(next_open(moment, zone, us, state) for zone in zones)
        if later == moment:
            return None if moment == now else moment
        moment = later
    return moment

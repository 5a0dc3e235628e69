"""Quiet hours by the recipient's state: one test per row of the table, at chosen moments,
the state from the ZIP code / the carrier / the area code, and the strictest window for a
US number whose state is unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.quiet_hours import STATE_WINDOWS, hold_until, recipient_state, strictest
from core.services.us_states import state_named, state_of_zip

# December 2026 (standard time everywhere): Mon 7th ... Sat 12th, Sun 13th.
MONDAY, SATURDAY, SUNDAY = 7, 12, 13
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December `day` at `hour`:`minute` UTC (hours past 23 run into the next day)."""
    return datetime(2026, 12, day, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)


# (state, a number there, UTC offset in December, weekday row: (day, opens, closes))
ROWS = [
    ("FL", "+13055550101", -5, [(MONDAY, 8, 20), (SATURDAY, 8, 20), (SUNDAY, 8, 20)]),
    ("OK", "+14055550101", -6, [(MONDAY, 8, 20), (SATURDAY, 8, 20), (SUNDAY, 8, 20)]),
    ("MD", "+14105550101", -5, [(MONDAY, 8, 20), (SATURDAY, 8, 20), (SUNDAY, 8, 20)]),
    ("TX", "+15125550101", -6, [(MONDAY, 9, 21), (SATURDAY, 9, 21), (SUNDAY, 12, 21)]),
    ("CT", "+12035550101", -5, [(MONDAY, 9, 20), (SATURDAY, 9, 20), (SUNDAY, 9, 20)]),
    ("NJ", "+12015550101", -5, [(MONDAY, 8, 20), (SATURDAY, 8, 20), (SUNDAY, 8, 20)]),
    ("MS", "+16015550101", -6, [(MONDAY, 8, 20), (SATURDAY, 8, 20), (SUNDAY, 8, 20)]),
    ("RI", "+14015550101", -5, [(MONDAY, 9, 18), (SATURDAY, 10, 17), (SUNDAY, 10, 17)]),
    ("CA", "+14155550101", -8, [(MONDAY, 8, 21), (SATURDAY, 8, 21), (SUNDAY, 8, 21)]),
    ("NY", "+12125550101", -5, [(MONDAY, 8, 21), (SATURDAY, 8, 21), (SUNDAY, 8, 21)]),
]


@pytest.mark.parametrize(("state", "number", "offset", "days"), ROWS, ids=[r[0] for r in ROWS])
def test_each_row_opens_and_closes_at_its_local_hours(
    state: str, number: str, offset: int, days: list[tuple[int, int, int]]
) -> None:
    assert recipient_state(number, None, "US") == (True, state)
    for day, opens, closes in days:
        open_utc, close_utc = at(day, opens - offset), at(day, closes - offset)
        # A minute before opening: held until the opening; a minute before closing: goes.
        assert hold_until(open_utc - MINUTE, number, None, None, "US") == open_utc
        assert hold_until(open_utc, number, None, None, "US") is None
        assert hold_until(close_utc - MINUTE, number, None, None, "US") is None
        after = hold_until(close_utc, number, None, None, "US")
        assert after is not None and after > close_utc, f"{state} closes at {closes}:00"


def test_the_table_has_every_row_the_providers_notes_name() -> None:
    assert set(STATE_WINDOWS) == {"FL", "OK", "MD", "TX", "CT", "NJ", "MS", "RI"}


def test_sunday_noon_in_texas() -> None:
    austin = "+15125550101"
    # Sunday 11:30 in Austin (17:30 UTC): held until noon; a New Yorker gets it now.
    assert hold_until(at(SUNDAY, 17, 30), austin, None, None, "US") == at(SUNDAY, 18)
    assert hold_until(at(SUNDAY, 17, 30), "+12125550101", None, None, "US") is None
    # Saturday 09:30 in Austin: Monday-Saturday opens at 09:00.
    assert hold_until(at(SATURDAY, 15, 30), austin, None, None, "US") is None
    # Saturday 21:00 in Austin: held until Sunday noon, not Sunday 09:00.
    assert hold_until(at(SUNDAY, 3), austin, None, None, "US") == at(SUNDAY, 18)


def test_half_past_eight_in_the_evening_in_maryland() -> None:
    baltimore, boston = "+14105550101", "+16175550101"
    evening = at(MONDAY + 1, 1, 30)  # Monday 20:30 in Baltimore and Boston
    assert hold_until(evening, baltimore, None, None, "US") == at(MONDAY + 1, 13)
    assert hold_until(evening, boston, None, None, "US") is None


def test_rhode_island_weekend_afternoon() -> None:
    providence = "+14015550101"
    # Saturday 17:30 local (22:30 UTC): closed since 17:00, opens Sunday 10:00.
    assert hold_until(at(SATURDAY, 22, 30), providence, None, None, "US") == at(SUNDAY, 15)
    # Friday 17:30 local: the weekday window runs to 18:00.
    assert hold_until(at(SATURDAY - 1, 22, 30), providence, None, None, "US") is None


def test_unknown_us_state_gets_the_strictest_window() -> None:
    toll_free = "+18005550199"  # no state from a toll-free number
    assert recipient_state(toll_free, None, "US") == (True, None)
    sunday = strictest(6)
    assert (sunday.start.hour, sunday.end.hour) == (12, 17)  # Texas' noon, Rhode Island's 17:00
    weekday = strictest(0)
    assert (weekday.start.hour, weekday.end.hour) == (9, 18)
    # A US fan with no state and a kept zone: Sunday 11:00 in New York is held to noon.
    held = hold_until(at(SUNDAY, 16), toll_free, "America/New_York", None, "US")
    assert held == at(SUNDAY, 17)
    # Outside the US the TCPA's 08:00-21:00 stays: 08:30 in London goes.
    assert hold_until(at(SUNDAY, 8, 30), "+447700900123", None, None, "GB") is None


def test_the_zip_code_corrects_the_area_code() -> None:
    # A Miami number whose owner lives in Austin (ZIP 78701): Texas' Sunday noon applies,
    # in the zone kept for the fan.
    moment = at(SUNDAY, 17, 30)  # 11:30 in Austin
    assert hold_until(moment, "+13055550101", "America/Chicago", None, "US") is None
    held = hold_until(moment, "+13055550101", "America/Chicago", None, "US", zip_code="78701")
    assert held == at(SUNDAY, 18)
    assert recipient_state("+13055550101", None, "US", "78701") == (True, "TX")


def test_the_carrier_named_state_beats_the_area_code() -> None:
    assert recipient_state("+14155550101", "Maryland", "US") == (True, "MD")
    assert recipient_state("+14155550101", "MD", "US") == (True, "MD")
    assert recipient_state("+14155550101", "Nowhere", "US") == (True, "CA")


@pytest.mark.parametrize(
    ("given", "state"),
    [
        ("33101", "FL"), ("78701", "TX"), ("73301", "TX"), ("73102", "OK"), ("21201", "MD"),
        ("02903", "RI"), ("06103", "CT"), ("07102", "NJ"), ("39201", "MS"), ("10001", "NY"),
        ("20001", "DC"), ("20101", "VA"), ("99501", "AK"), ("96813", "HI"), ("90210", "CA"),
        ("33101-1234", "FL"), ("3310", None), ("331011", None), ("ABCDE", None), ("", None),
        ("00901", None), ("09001", None), ("३३१०१", None),
    ],
)  # fmt: skip
def test_a_zip_code_names_its_state(given: str, state: str | None) -> None:
    assert state_of_zip(given) == state


def test_state_names_are_read_as_codes() -> None:
    assert state_named(" new  jersey ") == "NJ"
    assert state_named("tx") == "TX"
    assert state_named("Ontario") is None and state_named(None) is None

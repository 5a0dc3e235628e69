"""A US number's state from its area code (for fans whose carrier named none)."""

from __future__ import annotations

import pytest

from bot.sms import parse_inbound
from core.services.fans import Place
from core.services.phone_place import place_of
from core.services.us_states import STATE_OF_AREA_CODE, state_for


@pytest.mark.parametrize(
    ("number", "state"),
    [
        ("+14155552671", "CA"),  # San Francisco
        ("+12125551234", "NY"),
        ("+13055551234", "FL"),
        ("+12025551234", "DC"),
        ("+19075551234", "AK"),
        ("+18085551234", "HI"),
        ("+15125551234", "TX"),
        ("+12015550123", "NJ"),
    ],
)
def test_a_geographic_area_code_gives_its_state(number: str, state: str) -> None:
    assert state_for(number) == state


@pytest.mark.parametrize(
    "number",
    [
        "+18005551234",  # toll-free
        "+16045551234",  # Canada (British Columbia), also +1
        "+17875551234",  # Puerto Rico: a NANP country of its own
        "+442071234567",
        "+1415555267",  # too short
        "14155552671",  # not E.164
        "",
        "garbage",
    ],
)
def test_other_numbers_have_no_state(number: str) -> None:
    assert state_for(number) is None


def test_the_table_names_every_state_and_dc_with_three_digit_codes() -> None:
    assert len(set(STATE_OF_AREA_CODE.values())) == 51
    assert all(len(code) == 3 and code.isdigit() for code in STATE_OF_AREA_CODE)


def test_the_carriers_state_wins_and_the_area_code_fills_in_when_it_said_none() -> None:
    assert place_of("+14155552671", Place("US", "NV", "RENO")) == Place("US", "NV", "RENO")
    assert place_of("+14155552671", Place("US")) == Place("US", "CA")
    assert place_of("+14155552671") == Place("US", "CA")
    assert place_of("+442071234567") == Place("GB")  # no state outside the US


def test_an_inbound_text_without_from_state_gets_the_area_codes_state() -> None:
    form = {"MessageSid": "SM" + "1" * 32, "From": "+12125551234", "To": "+15005550006"}
    sms = parse_inbound({**form, "Body": "DROP tiktok"})
    assert (sms.place.country, sms.place.region) == ("US", "NY")
    told = parse_inbound({**form, "Body": "DROP", "FromCountry": "US", "FromState": "NJ"})
    assert told.place.region == "NJ"

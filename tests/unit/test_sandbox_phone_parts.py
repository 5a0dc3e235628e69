"""The phone simulator's pure parts: its numbers and how a message is cut into links."""

from __future__ import annotations

from datetime import UTC, datetime

import phonenumbers
import pytest

from core.services.sandbox_phone import Piece, link_pieces, shown_time
from core.services.sandbox_phone_numbers import (
    ReadyNumber,
    checked_number,
    place_of_number,
    ready_numbers,
)
from core.services.us_states import state_for, state_named
from core.validation import ValidationError

MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@pytest.mark.parametrize("ready", ready_numbers(), ids=lambda r: r.place)
def test_ready_numbers_are_valid_mobiles_from_the_place_they_name(ready: ReadyNumber) -> None:
    number, place = ready.number, ready.place
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in MOBILE
    assert checked_number(number) == number
    if number.startswith("+1") and phonenumbers.region_code_for_number(parsed) == "US":
        assert state_for(number) == state_named(place)


def test_the_ready_numbers_cover_states_with_their_own_rules_and_other_countries() -> None:
    places = {r.place for r in ready_numbers()}
    assert {"New York", "Texas", "Florida", "California", "Maryland"} <= places
    assert {"United Kingdom", "Germany", "Canada"} <= places


@pytest.mark.parametrize(
    ("typed", "number"),
    [(" +1 (212) 555-0199 ", "+12125550199"), ("+44 7911 123456", "+447911123456")],
)
def test_typed_numbers_are_kept_in_e164(typed: str, number: str) -> None:
    assert checked_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "number: required"),
        ("2125550101", "number: a phone number in E.164 form"),
        ("+1555", "is not a valid number"),
        ("+12125550101" + "9" * 20, "number: a phone number in E.164 form"),
        ("+abc", "number: a phone number in E.164 form"),
    ],
)
def test_other_numbers_are_refused_naming_the_field(typed: str, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        checked_number(typed)
    assert refused.value.field == "number"
    assert problem in str(refused.value)


def test_places_of_numbers_that_are_not_ready_ones() -> None:
    assert place_of_number("+13125550100") == "IL, US"
    assert place_of_number("+33612345678") == "FR"
    assert place_of_number("+12125550101") == "New York"


def test_links_are_cut_out_without_their_trailing_punctuation() -> None:
    assert link_pieces("Save it: https://x.test/p/abc. Reply STOP to end") == (
        Piece("Save it: "),
        Piece("https://x.test/p/abc", "https://x.test/p/abc"),
        Piece(". Reply STOP to end"),
    )


def test_only_http_links_are_links() -> None:
    text = "javascript:alert(1) ftp://x.test/a data:text/html,hi http://"
    assert link_pieces(text) == (Piece(text),)
    assert link_pieces("HTTP://X.TEST") == (Piece("HTTP://X.TEST", "HTTP://X.TEST"),)


def test_a_bubble_shows_its_time_in_utc() -> None:
    assert shown_time(datetime(2026, 12, 6, 14, 5, 9, tzinfo=UTC)) == "Dec 6, 14:05 UTC"


def test_ready_numbers_say_their_local_time_and_quiet_hours() -> None:
    from datetime import UTC, datetime

    from core.services.sandbox_phone_numbers import ready_numbers, suggested

    # 02:42 UTC on a Sunday in December: 21:42 in New York (after 21:00), daytime in Australia.
    now = datetime(2026, 12, 6, 2, 42, tzinfo=UTC)
    ready = {r.place: r for r in ready_numbers(now)}
    assert ready["New York"].label == "New York (+12125550101): 21:42 there, texts held until 08:00"
    # (an Australian mobile has every Australian zone: the first, Adelaide, is shown)
    assert ready["Australia"].label == "Australia (+61412345678): 13:12 there, texts go now"
    # Texas: 20:42 on Saturday evening there, inside its 09:00-21:00: the first that texts reach.
    assert ready["Texas"].label == "Texas (+15125550102): 20:42 there, texts go now"
    assert suggested(list(ready.values())) == "+15125550102"
    # At 15:00 UTC (10:00 in New York) the first ready number is the one suggested.
    assert suggested(ready_numbers(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))) == "+12125550101"

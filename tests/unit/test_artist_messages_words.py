"""The messages page's form fields as a `presave schedule add` request, and the words its
preview uses for send durations and paces."""

from __future__ import annotations

import pytest

from core.services.artist_messages import (
    AT,
    Compose,
    duration_words,
    local_iso,
    rate_words,
    request_of,
)
from core.services.message_preview import MessageRequest

ZONE = "America/New_York"


def test_a_local_date_time_gets_the_campaigns_offset() -> None:
    assert local_iso("2027-01-08T18:00", ZONE) == "2027-01-08T18:00:00-05:00"
    assert local_iso("2027-07-08T18:00", ZONE) == "2027-07-08T18:00:00-04:00"  # summer time
    assert local_iso("2027-01-08T18:00+01:00", ZONE) == "2027-01-08T18:00:00+01:00"
    assert local_iso("tomorrow", ZONE) == "tomorrow"  # left for the checks to refuse by name
    assert local_iso("", ZONE) == ""


def test_the_fields_become_the_request_schedule_add_takes() -> None:
    typed = Compose("countdown-1d", before=" 2d ", channels=("sms",), text="  ")
    assert request_of(typed, ZONE) == MessageRequest("countdown-1d", "2d", None, "sms", None)
    assert request_of(Compose("countdown-1d"), ZONE).before is None  # the template's own
    exact = Compose("countdown-1d", when=AT, before="2d", at="2027-01-08T18:00", text="Hi")
    assert request_of(exact, ZONE) == MessageRequest(
        "countdown-1d", None, "2027-01-08T18:00:00-05:00", "", "Hi"
    )
    drop = Compose("drop-live", when=AT, at="2027-01-08T18:00", channels=("sms", "discord"))
    assert request_of(drop, ZONE) == MessageRequest("drop-live", None, None, "sms,discord")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "under a second"), (0.4, "under a second"), (3, "about 3 s"), (180, "about 3 min"),
     (3600, "about 1 h"), (7500, "about 2 h 5 min")],
)  # fmt: skip
def test_durations_read_as_people_say_them(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


def test_paces() -> None:
    assert rate_words(1.0, "message") == "1 message/s"
    assert rate_words(0.5, "message") == "0.5 messages/s"
    assert rate_words(50.0, "request") == "50 requests/s"

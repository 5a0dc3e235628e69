"""The webhook's shortcuts give exactly what the slow, obvious way gives."""

from __future__ import annotations

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from bot.sms import twiml
from core.services import sms_text
from core.services.sms_text import confirmation_text

REPLIES = [
    "plain",
    "a & b < c > d \"q\" 's' ]]> <![CDATA[",
    "line\r\nbreak\ttab é ü 🔥 € {curly} [square]",
    "x" * 1600,
]


@pytest.mark.parametrize("reply", REPLIES)
def test_twiml_is_the_document_twilio_builds(reply: str) -> None:
    response = MessagingResponse()
    response.message(reply)
    assert twiml(reply) == str(response)


@pytest.mark.parametrize("silence", [None, ""])
def test_silence_is_an_empty_response(silence: str | None) -> None:
    assert twiml(silence) == str(MessagingResponse())


NAMES = [
    ("Bench Artist", "Bench Single"),
    ("Sigur Rós", "Ágætis byrjun"),  # folded to GSM-7
    ("株式会社", "東京 🔥"),  # UCS-2
    ("A" * 90, "B" * 90),  # shortened
    ("Art§st", "§§§"),  # the stand-in character in a name: worded without the cache
    ("Curly {braces}", "[Square] ~tilde~ €"),  # two-septet characters
]
LINKS = [
    "https://presave.example/p/" + "Ab_-9" * 4 + "xy",
    "http://127.0.0.1:8000/p/" + "z" * 22,
    "https://presave.example/p/{code}~",  # not all one-septet: worded without the cache
]


@pytest.mark.parametrize(("artist", "title"), NAMES)
@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("duplicate", [False, True])
def test_cached_confirmation_equals_wording_it_afresh(
    artist: str, title: str, link: str, duplicate: bool
) -> None:
    afresh = sms_text._word("Drop Alerts", artist, title, link, duplicate=duplicate)
    assert confirmation_text("Drop Alerts", artist, title, link, duplicate=duplicate) == afresh
    # twice: the second answer comes from the cache
    assert confirmation_text("Drop Alerts", artist, title, link, duplicate=duplicate) == afresh
    assert link in afresh


def test_each_link_gets_its_own_text_from_one_cached_wording() -> None:
    sms_text._worded.cache_clear()
    first = confirmation_text("P", "A", "T", "https://x.example/p/" + "a" * 22, duplicate=False)
    second = confirmation_text("P", "A", "T", "https://x.example/p/" + "b" * 22, duplicate=False)
    assert first.replace("a" * 22, "b" * 22) == second
    assert sms_text._worded.cache_info().hits == 1

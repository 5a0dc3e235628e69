"""Every opt-in reply fits in two SMS segments, in GSM-7 and in UCS-2."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.services.sms_text import confirmation_text, request_text
from messages import count_segments
from tests.factories import make_campaign

LINK = "https://fans.example-label-records.com/p/AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize(
    ("artist", "title", "encoding"),
    [
        ("Mira Vale", "Night Bloom", "GSM-7"),
        ("The Extremely Long Named Orchestra of Somewhere", "A" * 200, "GSM-7"),
        ("宇多田ヒカル", "BADモード", "GSM-7"),  # cannot fold: the minimal reply
        ("Sigur Rós", "Ágætis byrjun " * 10, "GSM-7"),  # folded: "Sigur Ros"
        ("🔥 Fire Band 🔥", "Ignite " * 25, "GSM-7"),  # folded: emoji dropped
    ],
)
@pytest.mark.parametrize("duplicate", [False, True])
def test_confirmation_fits_two_segments(
    db: Session, artist: str, title: str, encoding: str, duplicate: bool
) -> None:
    campaign = make_campaign(db, "DROP", artist=artist, title=title[:200])
    text = confirmation_text(
        "Mira Vale Alerts", campaign.artist.name, campaign.title, LINK, duplicate=duplicate
    )
    info = count_segments(text)
    assert info.encoding == encoding
    assert info.segments <= 2, (info, text)
    assert LINK in text
    assert "STOP" in text
    if not duplicate:
        assert "Msg & data rates may apply" in text or "Msg&data rates may apply" in text


@pytest.mark.parametrize(
    ("artist", "title"),
    [
        ("Mira Vale", "Night Bloom"),
        ("The Extremely Long Named Orchestra of Somewhere", "A" * 200),
        ("宇多田ヒカル", "BADモード"),
        ("Sigur Rós", "Ágætis byrjun " * 10),
        ("🔥 Fire Band 🔥", "Ignite " * 25),
    ],
)
@pytest.mark.parametrize("program", ["Mira Vale Alerts", "P" * 120])
def test_the_web_optin_request_fits_two_segments(program: str, artist: str, title: str) -> None:
    text = request_text(program, artist, title[:200])
    info = count_segments(text)
    assert info.encoding == "GSM-7" and info.segments <= 2, (info, text)
    assert "YES" in text and "STOP" in text and "HELP" in text
    assert "Msg & data rates may apply" in text or "Msg&data rates may apply" in text
    if artist == "Mira Vale" and program == "Mira Vale Alerts":
        assert text.startswith(
            'Reply YES to get alerts for "Night Bloom" by Mira Vale from Mira Vale Alerts'
        )


def test_short_names_are_not_shortened(db: Session) -> None:
    campaign = make_campaign(db, "DROP", artist="Mira Vale", title="Night Bloom")
    text = confirmation_text(
        "Mira Vale Alerts", campaign.artist.name, campaign.title, LINK, duplicate=False
    )
    assert 'Mira Vale "Night Bloom"' in text
    assert "..." not in text


def test_accented_names_are_folded_rather_than_cut(db: Session) -> None:
    campaign = make_campaign(db, "DROP", artist="Sigur Rós", title="Ágætis byrjun")
    text = confirmation_text("Alerts", campaign.artist.name, campaign.title, LINK, duplicate=False)
    assert 'Sigur Ros "Agætis byrjun"' in text  # æ is in GSM-7, ó and Á are not


def test_names_that_cannot_be_folded_fall_back_to_the_minimal_reply(db: Session) -> None:
    campaign = make_campaign(db, "DROP", artist="宇多田ヒカル", title="BADモード" * 5)
    text = confirmation_text("Alerts", campaign.artist.name, campaign.title, LINK, duplicate=False)
    assert count_segments(text).segments <= 2
    assert LINK in text and "Msg&data rates may apply" in text

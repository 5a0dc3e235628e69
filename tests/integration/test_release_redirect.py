"""`/r/<code>`: the drop message's release link goes through us, which notes the click
(people only) and sends the fan on to Spotify; an unknown code is a friendly 404."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import compose
from tests.factories import make_campaign
from tests.integration.funnel_helpers import delivery, events_of, message, opted_in_fan

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"  # the factory's spotify_album_id
RELEASED = "1ReleasedAlbum00000000"
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def test_a_click_is_recorded_and_sent_on_to_the_release(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    fan_id, code = opted_in_fan(db, campaign.id, "+14155550111", source="tiktok", region="CA")
    answer = client.get(f"/r/{code}?via=sms", headers={"User-Agent": PHONE_UA})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"https://open.spotify.com/album/{ALBUM}"
    assert answer.headers["Cache-Control"] == "no-store"
    db.execute(update(Campaign).values(release_album_id=RELEASED))  # found live: that album
    db.commit()
    again = client.get(f"/r/{code}?via=whatsapp", headers={"User-Agent": PHONE_UA})
    assert again.headers["Location"] == f"https://open.spotify.com/album/{RELEASED}"
    assert events_of(db, "release_click") == [
        (campaign.id, fan_id, "sms", "tiktok", "US", "CA"),
        (campaign.id, fan_id, None, "tiktok", "US", "CA"),  # an unknown `via` is no channel
    ]


@pytest.mark.parametrize(
    ("method", "agent"),
    [("HEAD", PHONE_UA), ("GET", "Discordbot/2.0"), ("GET", "facebookexternalhit/1.1")],
)
def test_previews_and_head_requests_are_sent_on_without_counting(
    client: FlaskClient, db: Session, method: str, agent: str
) -> None:
    campaign = make_campaign(db)
    _, code = opted_in_fan(db, campaign.id, "+14155550112")
    answer = client.open(f"/r/{code}?via=sms", method=method, headers={"User-Agent": agent})
    assert answer.status_code == 302
    assert events_of(db, "release_click") == []


@pytest.mark.parametrize("code", ["A" * 22, "short", "x" * 200, "%00"])
def test_an_unknown_code_is_a_friendly_404(client: FlaskClient, db: Session, code: str) -> None:
    answer = client.get(f"/r/{code}", headers={"User-Agent": PHONE_UA})
    assert answer.status_code == 404
    assert "find that link" in answer.get_data(as_text=True)
    assert events_of(db, "release_click") == []


@pytest.mark.parametrize("channel", ["sms", "discord"])
def test_the_drop_message_links_the_release_through_the_redirect(db: Session, channel: str) -> None:
    campaign = make_campaign(db)
    address = "+14155550113" if channel == "sms" else "600000000000000003"
    fan_id, code = opted_in_fan(db, campaign.id, address, channel=channel)
    db.execute(update(Campaign).values(release_album_id=RELEASED))
    db.commit()
    drop = delivery(db, message(db, campaign.id, "drop"), fan_id, channel)
    text = compose.text_as_claimed(db, drop, "https://presave.example.test", "Presave")
    assert text is not None
    assert f"https://presave.example.test/r/{code}?via={channel}" in text
    assert "open.spotify.com" not in text

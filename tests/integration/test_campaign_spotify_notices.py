"""Reconnect asks on the pages: the fan asked sees why and a Reconnect button; the
campaign's page counts the fans whose grant dies before the release and those asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.models import PreSave, PreSaveStatus
from core.services import fans, grant_health, links, spotify_quota
from core.services.library import quota_error
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team, signed_in
from tests.integration.spotify_stubs import sp_app, sp_client, sp_settings
from tests.integration.test_spotify_grants import add_grant

__all__ = ["signed_in", "sp_app", "sp_client", "sp_settings"]
ENDS_EARLY = "Spotify ends the access you gave us before the release"


def test_asked_fans_see_why_and_the_campaign_counts_them(
    client: FlaskClient,
    sp_client: FlaskClient,
    settings: Settings,
    db: Session,
    signed_in: SignIn,
) -> None:
    cipher = TokenCipher(settings.token_encryption_keys)
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=5)).isoformat())
    ages = {"+14155550101": 180, "+14155550102": 179, "+14155550103": 10}
    codes = {}
    for phone, days in ages.items():
        grant = add_grant(db, cipher, phone, authorized_days_ago=days)
        db.add(PreSave(campaign_id=campaign.id, fan_id=grant.fan_id, status=PreSaveStatus.PENDING))
        link, _ = links.issue(db, grant.fan_id, campaign.id, "sms")
        codes[phone] = link.code
    db.commit()
    _, team_id = signed_in(client, "Reconnect Crew")
    put_in_team(db, campaign.artist_id, team_id)

    before = client.get(f"/app/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<strong>2</strong> fans' Spotify\n      access ends before the release" in before
    assert "<strong>0</strong>\n      asked to reconnect" in before
    assert ENDS_EARLY not in client.get(f"/p/{codes['+14155550101']}").get_data(as_text=True)

    grant_health.request_reconnects(db, campaign)  # within the last week: the asks go out
    db.commit()
    after = client.get(f"/app/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<strong>2</strong>\n      asked to reconnect" in after
    page = client.get(f"/p/{codes['+14155550101']}").get_data(as_text=True)
    assert ENDS_EARLY in page
    with_spotify = sp_client.get(f"/p/{codes['+14155550101']}").get_data(as_text=True)
    assert f"/p/{codes['+14155550101']}/authorize" in with_spotify
    assert "Reconnect Spotify" in with_spotify
    assert ENDS_EARLY not in client.get(f"/p/{codes['+14155550103']}").get_data(as_text=True)


def test_a_quota_stop_shows_on_the_campaign_page(
    client: FlaskClient, db: Session, signed_in: SignIn
) -> None:
    campaign = make_campaign(db)
    _, team_id = signed_in(client, "Quota Crew")
    put_in_team(db, campaign.artist_id, team_id)
    assert "Spotify's quota was used up" not in client.get(f"/app/campaigns/{campaign.id}").text
    until = datetime(2026, 12, 6, tzinfo=UTC)
    for phone in ("+14155550101", "+14155550102"):
        fan, _ = fans.by_phone(db, phone)
        db.add(PreSave(campaign_id=campaign.id, fan_id=fan.id, status=PreSaveStatus.QUOTA,
                       last_error=quota_error(until)))  # fmt: skip
    spotify_quota.note_for_artists(db, {campaign.id}, until)
    spotify_quota.note_for_artists(db, {campaign.id}, until)  # a second job: noted once
    db.commit()
    page = client.get(f"/app/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Spotify's quota was used up:</strong>\n      2 fans were not saved" in page
    assert "saving stopped until 2026-12-06 00:00 UTC" in page
    assert page.count("spotify quota exceeded (") == 1  # the history line, by Spotify
    assert "Spotify spotify quota exceeded" in page


def test_a_quota_stop_leaves_campaigns_not_released_yet(db: Session) -> None:
    out = make_campaign(db, keyword="OUTNOW")
    later = make_campaign(db, keyword="LATER")
    out.detected_at = utcnow()
    presaves = {}
    for campaign, phone in ((out, "+14155550101"), (later, "+14155550102")):
        fan, _ = fans.by_phone(db, phone)
        presave = PreSave(campaign_id=campaign.id, fan_id=fan.id, status=PreSaveStatus.PENDING)
        db.add(presave)
        presaves[campaign.keyword] = presave
    db.commit()
    spotify_quota.stop_saving(db, datetime(2026, 12, 6, tzinfo=UTC))
    db.commit()
    db.expire_all()
    assert presaves["OUTNOW"].status == PreSaveStatus.QUOTA
    assert (presaves["OUTNOW"].last_error or "").startswith("Spotify quota used up")
    assert presaves["LATER"].status == PreSaveStatus.PENDING

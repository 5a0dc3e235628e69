"""After the drop: the personal page tells each fan their real state and links the release;
the campaign page links the release too."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.models import Campaign, GrantStatus, PreSave, PreSaveStatus, SpotifyGrant
from core.services.library import quota_error
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.spotify_stubs import fan_link, rsps, sp_app, sp_client, sp_settings

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"
LISTEN = f'href="https://open.spotify.com/album/{ALBUM}"'
QUOTA_STOPPED = quota_error(datetime(2026, 12, 6, tzinfo=UTC))


def dropped(db: Session) -> Campaign:
    """A campaign whose release was found live on Spotify an hour ago."""
    campaign = make_campaign(db)
    db.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(detected_at=utcnow() - timedelta(hours=1), release_album_id=ALBUM)
    )
    db.commit()
    return campaign


def with_presave(
    db: Session,
    campaign: Campaign,
    status: str | None,
    *,
    grant: str = GrantStatus.ACTIVE,
    error: str | None = None,
    followed: bool = False,
) -> str:
    """A fan with a grant and (unless None) a pre-save in `status`; returns their link code."""
    link = fan_link(db, campaign)
    db.add(
        SpotifyGrant(
            fan_id=link.fan_id,
            spotify_user_id="fan-1",
            refresh_token_enc=None if grant == GrantStatus.REVOKED else b"encrypted",
            country="US",
            status=grant,
        )
    )
    if status is not None:
        db.add(
            PreSave(
                campaign_id=campaign.id,
                fan_id=link.fan_id,
                status=status,
                last_error=error,
                followed_at=utcnow() if followed else None,
            )
        )
    db.commit()
    return link.code


def page_text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("status", "grant", "error", "heading", "button"),
    [
        (PreSaveStatus.SAVED, GrantStatus.ACTIVE, None, "Saved to your library", None),
        (PreSaveStatus.PENDING, GrantStatus.ACTIVE, None, "Being saved now", "Disconnect"),
        (
            PreSaveStatus.QUEUED_FOR_MARKET, GrantStatus.ACTIVE, None,
            "Not out in your country yet", "Disconnect",
        ),
        (
            PreSaveStatus.NEEDS_RECONNECT, GrantStatus.NEEDS_RECONNECT, "Spotify: invalid_grant",
            "Not saved: please reconnect Spotify", "Reconnect Spotify",
        ),
        (
            PreSaveStatus.QUOTA, GrantStatus.ACTIVE, "development mode",
            "Not saved: the artist's Spotify app is full", None,
        ),
        (
            PreSaveStatus.QUOTA, GrantStatus.ACTIVE, QUOTA_STOPPED,
            "Not saved: Spotify's limit for the artist's app was reached", None,
        ),
        (
            PreSaveStatus.FAILED, GrantStatus.ACTIVE, "Spotify refused: forbidden",
            "Not saved: Spotify refused", None,
        ),
        (
            PreSaveStatus.FAILED, GrantStatus.ACTIVE, "Spotify unavailable: 503",
            "Not saved: Spotify wasn't answering", None,
        ),
        (
            PreSaveStatus.CANCELLED, GrantStatus.REVOKED, None,
            "Not saved: Spotify isn't connected", "Save on Spotify",
        ),
        (None, GrantStatus.ACTIVE, None, "Not saved: Spotify isn't connected", "Save on Spotify"),
    ],
    ids=[
        "saved", "saving", "other-market", "reconnect", "quota", "quota-stop", "refused", "failed",
        "disconnected", "never-connected",
    ],
)  # fmt: skip
def test_the_personal_page_after_the_drop_shows_the_fans_real_state(
    sp_client: FlaskClient,
    db: Session,
    status: str | None,
    grant: str,
    error: str | None,
    heading: str,
    button: str | None,
) -> None:
    campaign = dropped(db)
    code = with_presave(db, campaign, status, grant=grant, error=error)
    body = page_text(sp_client, f"/p/{code}")
    assert f'<h2 id="state-title">{heading}</h2>' in body
    assert f"{campaign.title}</cite> is out" in body
    assert "Listen on Spotify" in body and LISTEN in body
    assert "being saved" not in body.lower() or status == PreSaveStatus.PENDING
    if button is not None:
        assert button in body
    if status != PreSaveStatus.SAVED:
        assert "Saved to your library" not in body
    if status in (PreSaveStatus.FAILED, PreSaveStatus.QUOTA):
        assert "Save on Spotify" not in body and "Disconnect" not in body


def test_a_saved_fan_who_was_followed_for_reads_it(sp_client: FlaskClient, db: Session) -> None:
    campaign = dropped(db)
    code = with_presave(db, campaign, PreSaveStatus.SAVED, followed=True)
    body = page_text(sp_client, f"/p/{code}")
    assert f"{campaign.title}</cite> is in your Spotify library, and you follow Mira Vale" in body


def test_before_the_drop_the_personal_page_has_no_listen_link(
    sp_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    code = with_presave(db, campaign, PreSaveStatus.PENDING)
    body = page_text(sp_client, f"/p/{code}")
    assert "You're all set" in body and "on release day" in body
    assert "Listen on Spotify" not in body and "state-title" not in body


def test_the_campaign_page_after_the_drop_links_the_release(
    sp_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    before = page_text(sp_client, f"/c/{campaign.slug}")
    assert "Listen on Spotify" not in before and "Pre-save on Spotify" in before
    db.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(detected_at=utcnow(), release_album_id=ALBUM)
    )
    db.commit()
    after = page_text(sp_client, f"/c/{campaign.slug}")
    assert "Out now" in after and "Listen on Spotify" in after and LISTEN in after
    assert "Save on Spotify" in after  # a visitor can still save it to their library

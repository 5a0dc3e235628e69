"""Spotify development mode (the default SPOTIFY_QUOTA_MODE): only the allow-listed fans are
sent to Spotify; every other fan is told plainly that automatic saving is not available,
never sees a failed authorization, and the artist sees how many fans can be auto-saved."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Campaign, Consent
from core.settings import Settings, load_settings
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team, signed_in
from tests.integration.spotify_stubs import ACCOUNTS, fan_link, rsps, spotify_settings

__all__ = ["rsps", "signed_in"]
LISTED = "+14155550199"
NOT_LISTED = "+14155550101"
NOT_AVAILABLE = "Automatic saving is not available for this campaign"


@pytest.fixture
def dev_settings(settings: Settings, instance: Path) -> Settings:
    """The test settings at the default quota mode, with one fan on the allow-list."""
    default = load_settings(
        {"PRESAVE_ENV": "test", "INSTANCE_PATH": str(instance), "SPOTIFY_ALLOWED_USERS": LISTED},
        dotenv_path=instance / "no.env",
    )
    assert default.spotify_quota_mode == "development"
    return spotify_settings(settings).with_overrides(
        spotify_quota_mode=default.spotify_quota_mode,
        spotify_allowed_users=default.spotify_allowed_users,
    )


@pytest.fixture
def dev_client(dev_settings: Settings) -> FlaskClient:
    from web import create_app

    app: Flask = create_app(dev_settings)
    app.config["TESTING"] = True
    return app.test_client()


def opted_in(db: Session, campaign: Campaign, phone: str) -> str:
    link = fan_link(db, campaign, phone)
    db.add(Consent(fan_id=link.fan_id, campaign_id=campaign.id, channel="sms",
                   sender="+15005550006", source="sms"))  # fmt: skip
    db.commit()
    return link.code


def test_a_fan_off_the_allow_list_is_never_sent_to_spotify(
    dev_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    code = opted_in(db, campaign, NOT_LISTED)
    page = dev_client.get(f"/p/{code}").get_data(as_text=True)
    assert NOT_AVAILABLE in page
    assert "one-tap link" in page
    assert f"/p/{code}/authorize" not in page
    went = dev_client.get(f"/p/{code}/authorize")
    assert went.status_code == 302 and went.headers["Location"].endswith(f"/p/{code}")
    assert len(rsps.calls) == 0  # nothing asked of Spotify, so nothing refused


def test_an_allow_listed_fan_connects_as_usual(dev_client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    code = opted_in(db, campaign, LISTED)
    page = dev_client.get(f"/p/{code}").get_data(as_text=True)
    assert NOT_AVAILABLE not in page
    assert f"/p/{code}/authorize" in page
    went = dev_client.get(f"/p/{code}/authorize")
    assert went.status_code == 302 and went.headers["Location"].startswith(f"{ACCOUNTS}/authorize")


def test_the_public_page_offers_the_alert_instead_of_spotify(
    dev_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    page = dev_client.get(f"/c/{campaign.slug}").get_data(as_text=True)
    assert "Automatic saving on Spotify is not available for this campaign" in page
    assert f"/c/{campaign.slug}/authorize" not in page
    went = dev_client.get(f"/c/{campaign.slug}/authorize")
    assert went.status_code == 302
    assert went.headers["Location"].split("?")[0].endswith(f"/c/{campaign.slug}")


def test_the_artist_sees_how_many_fans_can_be_auto_saved_and_why(
    dev_client: FlaskClient, db: Session, signed_in: SignIn
) -> None:
    _, team_id = signed_in(dev_client, "Dev Mode Crew")
    campaign = make_campaign(db)
    put_in_team(db, campaign.artist_id, team_id)
    for phone in (LISTED, NOT_LISTED, "+14155550102"):
        opted_in(db, campaign, phone)
    page = dev_client.get(f"/app/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<strong>1 of 3</strong>" in page
    assert "development mode" in page and "250,000 monthly active users" in page
    form = dev_client.get("/app/campaigns/new").get_data(as_text=True)
    assert "At most <strong>1</strong> fans" in form and "SPOTIFY_ALLOWED_USERS" in form


def test_in_extended_mode_every_fan_can_connect(
    dev_settings: Settings, db: Session, signed_in: SignIn
) -> None:
    from web import create_app

    app = create_app(dev_settings.with_overrides(spotify_quota_mode="extended"))
    client = app.test_client()
    campaign = make_campaign(db)
    code = opted_in(db, campaign, NOT_LISTED)
    assert NOT_AVAILABLE not in client.get(f"/p/{code}").get_data(as_text=True)
    went = client.get(f"/p/{code}/authorize")
    assert went.headers["Location"].startswith(f"{ACCOUNTS}/authorize")
    _, team_id = signed_in(client, "Extended Crew")
    put_in_team(db, campaign.artist_id, team_id)
    page = client.get(f"/app/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<strong>1 of 1</strong>" in page and "extended quota" in page

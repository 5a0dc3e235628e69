"""The home page lists open campaigns; the help page explains the program to a fan."""

from __future__ import annotations

import html

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.models import Campaign, CampaignStatus
from core.settings import Settings
from tests.factories import make_campaign


def page_text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    return html.unescape(response.get_data(as_text=True))


def test_home_links_the_open_campaigns_public_pages(client: FlaskClient, db: Session) -> None:
    first = make_campaign(db, keyword="ONE")
    second = make_campaign(db, keyword="TWO", title="Second Light")
    closed = make_campaign(db, keyword="OLD", title="Old Tide")
    db.execute(
        update(Campaign).where(Campaign.id == closed.id).values(status=CampaignStatus.CLOSED)
    )
    db.commit()
    body = page_text(client, "/")
    assert "<h1>Presave alerts</h1>" in body and "Pre-save new releases on Spotify" in body
    assert f'href="/c/{first.slug}"' in body and f'href="/c/{second.slug}"' in body
    assert "Second Light" in body and "Old Tide" not in body
    assert f'href="/c/{closed.slug}"' not in body
    assert 'href="/help"' in body and '<main id="main"' in body


def test_home_without_campaigns_says_so(client: FlaskClient) -> None:
    body = page_text(client, "/")
    assert "No releases are open right now" in body


def test_help_explains_the_program(client: FlaskClient, settings: Settings) -> None:
    body = page_text(client, "/help")
    assert "<h1>Help: Presave alerts</h1>" in body
    for words in (
        "countdown messages",
        "drop-day message",
        "automatic save on Spotify",
        "Up to 3 messages a day per release",
        "Reply STOP",
        "Reply START",
        "Reply HELP",
        "run by the operator of <strong>presave.example.test</strong>",
        "phone number",
        "Discord user id",
        "stored encrypted",
        "Events",
        "Disconnect Spotify",
    ):
        assert words.lower() in body.lower(), words
    # PROGRAM_CONTACT defaults to this very page: it does not send the fan round in a circle.
    assert settings.program_contact == "https://presave.example.test/help"
    assert "Questions:" not in body


def test_help_names_the_program_and_its_contact_from_settings(settings: Settings) -> None:
    from web import create_app

    custom = settings.with_overrides(
        program_name="Mira Vale Alerts", program_contact="support@miravale.example"
    )
    body = page_text(create_app(custom).test_client(), "/help")
    assert "<h1>Help: Mira Vale Alerts</h1>" in body
    assert "Questions: support@miravale.example." in body

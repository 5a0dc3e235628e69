"""Helpers for the fan-page and Spotify tests: Spotify at the HTTP level, fans with links."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, Event, FanLink, PreSave, SpotifyGrant
from core.services import fans, links
from core.settings import Settings

ACCOUNTS = "https://accounts.spotify.test"
API = "https://api.spotify.test/v1"
TOKEN_URL = f"{ACCOUNTS}/api/token"
ME_URL = re.compile(re.escape(API) + r"/me/?$")  # spotipy asks for `me/`
REDIRECT = "https://presave.example.test/oauth/spotify/callback"
DEV_MODE_403 = "User not registered in the Developer Dashboard"


@dataclass(frozen=True)
class Tokens:
    """A token pair Spotify hands out in a test, unique enough to scan for."""

    access: str
    refresh: str


def spotify_settings(settings: Settings) -> Settings:
    """The test settings with a (fake) Spotify app on unroutable test hosts."""
    return settings.with_overrides(
        spotify_client_id="test-client-id",
        spotify_client_secret="test-client-secret",
        spotify_redirect_uri=REDIRECT,
        spotify_accounts_base=ACCOUNTS,
        spotify_api_base=API,
    )


@pytest.fixture
def sp_settings(settings: Settings) -> Settings:
    """Settings with Spotify configured."""
    return spotify_settings(settings)


@pytest.fixture
def sp_app(sp_settings: Settings) -> Flask:
    """The app with Spotify configured."""
    from web import create_app

    application = create_app(sp_settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def sp_client(sp_app: Flask) -> FlaskClient:
    """A client of the app with Spotify configured."""
    return sp_app.test_client()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every HTTP request must match a stub; nothing leaves the machine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def stub_token(rsps: responses.RequestsMock, tokens: Tokens, status: int = 200) -> None:
    """The accounts token endpoint answers with `tokens`."""
    body = {
        "access_token": tokens.access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": tokens.refresh,
        "scope": "user-library-modify user-follow-modify user-read-private",
    }
    rsps.add(responses.POST, TOKEN_URL, json=body, status=status)


def stub_me(
    rsps: responses.RequestsMock, user_id: str = "fan-spotify-1", country: str | None = "US"
) -> None:
    """/me answers with this user."""
    body: dict[str, object] = {"id": user_id, "display_name": "A Fan", "product": "premium"}
    if country:
        body["country"] = country
    rsps.add(responses.GET, ME_URL, json=body)


def stub_me_dev_mode_403(rsps: responses.RequestsMock) -> None:
    """/me refuses a user who is not on the development-mode app's allow-list."""
    rsps.add(responses.GET, ME_URL, body=DEV_MODE_403, status=403)


def fan_link(session: Session, campaign: Campaign, phone: str = "+14155550101") -> FanLink:
    """A fan who opted in by SMS, with their personal link (committed)."""
    fan, _ = fans.by_phone(session, phone)
    link, _ = links.issue(session, fan.id, campaign.id, "sms")
    session.commit()
    return link


def authorize_redirect(client: FlaskClient, path: str) -> dict[str, str]:
    """Follow our authorize step; returns the Spotify authorize URL's query."""
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(f"{ACCOUNTS}/authorize?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def callback(client: FlaskClient, **params: str) -> tuple[int, str]:
    """Come back from Spotify with these query parameters."""
    response = client.get("/oauth/spotify/callback", query_string=params)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def count(session: Session, model: type) -> int:
    """Rows in a table (fresh read)."""
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def stored_counts(session: Session) -> dict[str, int]:
    """How many grants, pre-saves and events exist."""
    return {
        "grants": count(session, SpotifyGrant),
        "presaves": count(session, PreSave),
        "events": count(session, Event),
    }


def token_request(rsps: responses.RequestsMock) -> dict[str, list[str]]:
    """The form body of the last POST to the token endpoint."""
    calls = [c for c in rsps.calls if c.request.url == TOKEN_URL]
    assert calls, "no token request was made"
    body = calls[-1].request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return parse_qs(text)

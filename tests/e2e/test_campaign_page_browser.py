"""In real headless Chromium: the campaign page counts down and its button starts Spotify auth."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from core.services import oauth_state
from core.settings import Settings
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign
from web.oauth_cookie import COOKIE

pytestmark = pytest.mark.browser
STUB_PAGE = "<!doctype html><title>Spotify stand-in</title><p>authorize stub</p>"


def serve_app(settings: Settings, live: LiveServer) -> Settings:
    """Bind the app to the live server, Spotify's accounts service 'at' a dead local port."""
    from web import create_app

    configured = settings.with_overrides(
        public_url=live.base_url,
        spotify_client_id="browser-client-id",
        spotify_client_secret="browser-client-secret",
        spotify_redirect_uri=f"{live.base_url}/oauth/spotify/callback",
        spotify_accounts_base="http://127.0.0.1:9",  # discard port: intercepted below anyway
        spotify_api_base="http://127.0.0.1:9/v1",
    )
    live.bind(create_app(configured))
    return configured


def test_countdown_ticks_and_the_button_goes_to_spotify_authorize(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    configured = serve_app(settings, live_server)
    campaign = make_campaign(db)
    authorize_urls: list[str] = []

    def spotify_authorize(route: Any) -> None:
        authorize_urls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=STUB_PAGE)

    page.route("http://127.0.0.1:9/authorize**", spotify_authorize)
    page.goto(f"{live_server.base_url}/c/{campaign.slug}?utm_source=Browser_Test")

    countdown = page.locator("[data-countdown]")
    first = countdown.inner_text()
    assert first != "until release" and "s" in first  # the script replaced the server text
    page.wait_for_function(
        "prev => document.querySelector('[data-countdown]').textContent !== prev",
        arg=first,
        timeout=2500,
    )
    local = page.locator("time[data-local]").inner_text()
    assert "GMT+9" in local and "UTC" not in local  # the visitor's own zone (Tokyo here)
    assert "Asia/Tokyo" in page.locator("[data-tz]").first.inner_text()

    button = page.get_by_role("link", name="Pre-save on Spotify")
    button.focus()
    outline = button.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # keyboard focus is visible

    button.click()
    page.wait_for_url("http://127.0.0.1:9/authorize**", timeout=5000)
    assert len(authorize_urls) == 1
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_urls[0]).query).items()}
    assert query["client_id"] == "browser-client-id"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == f"{live_server.base_url}/oauth/spotify/callback"
    assert set(query["scope"].split()) == {
        "user-library-modify",
        "user-follow-modify",
        "user-read-private",
    }
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert COOKIE in cookies  # the sign-in is bound to this browser
    state = oauth_state.read(configured.secret_key, query["state"], browser=cookies[COOKIE])
    assert (state.campaign_id, state.fan_id, state.source) == (campaign.id, None, "browser_test")
    assert live_server.outside_requests == []

"""The OAuth state on its own, and how Spotify errors become our exceptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from sqlalchemy.orm import Session

from core.models import OAuthNonce
from core.providers import QuotaRestricted, RateLimited, Rejected, Revoked, Unavailable, spotify
from core.services import oauth_state
from core.settings import Settings
from core.timeutil import utcnow
from tests.integration.spotify_stubs import ME_URL, count, rsps, spotify_settings

__all__ = ["rsps"]  # fixture used below

SECRET = "state-test-secret"
BROWSER = oauth_state.browser_nonce(None)  # the nonce in the starting browser's cookie


def test_state_round_trip_binds_fan_campaign_and_source() -> None:
    now = utcnow()
    token = oauth_state.issue(
        SECRET, campaign_id=7, fan_id=42, source="sms", browser=BROWSER, now=now
    )
    state = oauth_state.read(
        SECRET, token, browser=BROWSER, now=now + timedelta(minutes=14, seconds=59)
    )
    assert (state.campaign_id, state.fan_id, state.source) == (7, 42, "sms")
    assert len(state.nonce) == 22
    other = oauth_state.read(
        SECRET,
        oauth_state.issue(SECRET, campaign_id=7, fan_id=None, source="web", browser=BROWSER),
        browser=BROWSER,
    )
    assert other.fan_id is None and other.nonce != state.nonce


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(minutes=15, seconds=1), "expired"),
        (timedelta(days=2), "expired"),
        (-timedelta(minutes=5), "expired"),  # issued in the future: not ours to trust
    ],
)
def test_state_expires_after_15_minutes(offset: timedelta, reason: str) -> None:
    now = utcnow()
    token = oauth_state.issue(
        SECRET, campaign_id=7, fan_id=42, source="sms", browser=BROWSER, now=now
    )
    with pytest.raises(oauth_state.BadState) as caught:
        oauth_state.read(SECRET, token, browser=BROWSER, now=now + offset)
    assert caught.value.reason == reason


def test_a_state_signed_with_another_key_or_edited_is_tampered() -> None:
    token = oauth_state.issue(SECRET, campaign_id=7, fan_id=42, source="sms", browser=BROWSER)
    for bad, secret in (
        (token, "another-secret"),
        (token[:-3] + "abc", SECRET),
        ("x" * 600, SECRET),
    ):
        with pytest.raises(oauth_state.BadState) as caught:
            oauth_state.read(secret, bad, browser=BROWSER)
        assert caught.value.reason == "tampered"


def test_spending_a_nonce_twice_is_a_replay(settings: Settings, db: Session) -> None:
    now = utcnow()
    token = oauth_state.issue(
        SECRET, campaign_id=7, fan_id=None, source="web", browser=BROWSER, now=now
    )
    state = oauth_state.read(SECRET, token, browser=BROWSER, now=now)
    oauth_state.spend(db, state, now=now)
    db.commit()
    with pytest.raises(oauth_state.BadState) as caught:
        oauth_state.spend(db, state, now=now + timedelta(minutes=1))
    assert caught.value.reason == "replayed"
    db.rollback()
    # Spent nonces are cleared once their state could no longer be read anyway.
    later = oauth_state.read(
        SECRET,
        oauth_state.issue(
            SECRET, campaign_id=7, fan_id=None, source="web", browser=BROWSER, now=now
        ),
        browser=BROWSER,
    )
    oauth_state.spend(db, later, now=now + timedelta(minutes=20))
    db.commit()
    assert count(db, OAuthNonce) == 1


def test_a_state_read_back_without_its_browser_nonce_is_from_another_browser() -> None:
    token = oauth_state.issue(SECRET, campaign_id=7, fan_id=42, source="sms", browser=BROWSER)
    other = oauth_state.browser_nonce(None)
    for browser in (None, "", other, BROWSER[:-1], BROWSER + "x"):
        with pytest.raises(oauth_state.BadState) as caught:
            oauth_state.read(SECRET, token, browser=browser)
        assert caught.value.reason == "other_browser", browser
    assert BROWSER not in token  # only its hash travels through Spotify and the address bar
    assert oauth_state.read(SECRET, token, browser=BROWSER).fan_id == 42


def test_a_browser_keeps_its_nonce_and_a_bad_one_is_replaced() -> None:
    assert oauth_state.browser_nonce(BROWSER) == BROWSER
    for bad in (None, "", "short", BROWSER[:-1] + "!", BROWSER + "A"):
        fresh = oauth_state.browser_nonce(bad)
        assert fresh != bad and oauth_state.BROWSER_RE.fullmatch(fresh)
    with pytest.raises(ValueError):
        oauth_state.issue(SECRET, campaign_id=1, fan_id=None, source="web", browser="x")


def test_issue_refuses_a_source_outside_the_alphabet() -> None:
    with pytest.raises(ValueError):
        oauth_state.issue(SECRET, campaign_id=1, fan_id=None, source="Not OK", browser=BROWSER)


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (429, {"Retry-After": "17"}, '{"error": {"status": 429}}', RateLimited),
        (401, {}, '{"error": {"status": 401, "message": "expired"}}', Revoked),
        (403, {}, "User not registered in the Developer Dashboard", QuotaRestricted),
        (400, {}, '{"error": {"status": 400, "message": "bad"}}', Rejected),
        (500, {}, "oops", Unavailable),
    ],
)
def test_me_errors_become_our_exceptions(
    settings: Settings,
    rsps: responses.RequestsMock,
    status: int,
    headers: dict[str, str],
    body: str,
    expected: type[Exception],
) -> None:
    app = spotify.app_from_settings(spotify_settings(settings))
    assert app is not None
    rsps.add(responses.GET, ME_URL, status=status, headers=headers, body=body)
    with pytest.raises(expected) as caught:
        spotify.current_user(app, "AT-x")
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 17
    assert len(rsps.calls) == 1  # spotipy did not retry (or sleep) on its own


def test_a_scope_403_on_another_endpoint_is_not_quota() -> None:
    from spotipy.exceptions import SpotifyException

    scope = SpotifyException(403, -1, "https://api/me/library:\n Insufficient client scope")
    assert isinstance(spotify.translate(scope), Rejected)
    dev = SpotifyException(
        403,
        -1,
        "x:\n Check settings on developer.spotify.com/dashboard, the user may not be registered.",
    )
    assert isinstance(spotify.translate(dev), QuotaRestricted)

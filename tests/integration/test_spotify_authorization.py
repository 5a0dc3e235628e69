"""The personal link to a stored, encrypted Spotify grant, with Spotify stubbed at HTTP level."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.models import Event, Fan, FanLink, GrantStatus, OAuthNonce, PreSave, SpotifyGrant
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.spotify_stubs import (
    ME_URL,
    REDIRECT,
    Tokens,
    authorize_redirect,
    callback,
    count,
    fan_link,
    rsps,
    sp_app,
    sp_client,
    sp_settings,
    stored_counts,
    stub_me,
    stub_token,
    token_request,
)
from web.oauth_cookie import COOKIE

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below

FIRST = Tokens(access="AT-first-4f1c9a7e2b", refresh="RT-first-8d3e6b0a51")
SECOND = Tokens(access="AT-second-77a0c2e9f4", refresh="RT-second-1b5d8c3a6e")


def browser_of(client: FlaskClient) -> str:
    """The nonce this browser keeps in its sign-in cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no sign-in cookie was set"
    return cookie.value


def connect(
    client: FlaskClient, rsps: responses.RequestsMock, path: str, tokens: Tokens, **me: str
) -> tuple[int, str]:
    """Authorize through `path` and come back with a code Spotify accepts."""
    query = authorize_redirect(client, path)
    stub_token(rsps, tokens)
    stub_me(rsps, **me)
    return callback(client, code="good-code-123", state=query["state"])


def test_whole_flow_from_link_to_stored_grant(
    sp_client: FlaskClient,
    sp_settings: Settings,
    db: Session,
    rsps: responses.RequestsMock,
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)

    page = sp_client.get(f"/p/{link.code}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"Pre-save <cite>{campaign.title}</cite> on Spotify" in body
    assert "user-follow-modify" in body and "We follow Mira Vale" in body

    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    assert query["client_id"] == "test-client-id"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == REDIRECT
    assert set(query["scope"].split()) == {
        "user-library-modify",
        "user-follow-modify",
        "user-read-private",
    }

    stub_token(rsps, FIRST)
    stub_me(rsps, user_id="mira-fan-1", country="DE")
    status, html = callback(sp_client, code="good-code-123", state=query["state"])
    assert status == 200, html
    assert "You're set" in html and "data-local" in html
    assert "Disconnect Spotify" in html

    sent = token_request(rsps)
    assert sent["code"] == ["good-code-123"]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["redirect_uri"] == [REDIRECT]
    auth = rsps.calls[0].request.headers["Authorization"]
    assert base64.b64decode(auth.removeprefix("Basic ")) == b"test-client-id:test-client-secret"
    assert rsps.calls[1].request.headers["Authorization"] == f"Bearer {FIRST.access}"

    db.expire_all()
    grant = db.scalar(select(SpotifyGrant))
    assert grant is not None and grant.fan_id == link.fan_id
    cipher = TokenCipher(sp_settings.token_encryption_keys)
    assert grant.refresh_token_enc is not None
    assert cipher.decrypt(grant.refresh_token_enc) == FIRST.refresh
    assert cipher.decrypt_optional(grant.access_token_enc) == FIRST.access
    assert grant.spotify_user_id == "mira-fan-1" and grant.country == "DE"
    assert grant.status == GrantStatus.ACTIVE
    assert set(grant.scopes.split()) == set(query["scope"].split())
    assert abs(grant.authorized_at - utcnow()) < timedelta(minutes=1)
    assert grant.access_expires_at is not None
    assert grant.access_expires_at - utcnow() > timedelta(minutes=55)
    presave = db.scalar(select(PreSave))
    assert presave is not None
    assert (presave.campaign_id, presave.fan_id, presave.status) == (
        campaign.id,
        link.fan_id,
        "pending",
    )
    fan = db.get(Fan, link.fan_id)
    assert fan is not None and fan.spotify_user_id == "mira-fan-1" and fan.country == "DE"
    kinds = {(e.kind, e.source) for e in db.scalars(select(Event))}
    assert ("spotify_authorized", "sms") in kinds and ("link_click", "sms") in kinds


def test_the_database_holds_no_plaintext_token(
    sp_client: FlaskClient,
    db: Session,
    rsps: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    status, _ = connect(sp_client, rsps, f"/p/{link.code}/authorize", FIRST)
    assert status == 200
    secrets_ = [FIRST.access, FIRST.refresh]

    cells = 0
    connection = db.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
            for value in row:
                cells += 1
                raw = value if isinstance(value, bytes) else str(value).encode()
                for secret in secrets_:
                    assert secret.encode() not in raw, f"plaintext token in {table}"
                    assert base64.b64encode(secret.encode()) not in raw
    assert cells > 20  # the scan really read the grant, pre-save, events...
    grant = db.scalar(select(SpotifyGrant))
    assert grant is not None and grant.refresh_token_enc  # stored, but only encrypted
    for secret in secrets_:
        assert secret not in caplog.text


def test_a_second_authorization_updates_the_grant(
    sp_client: FlaskClient,
    sp_settings: Settings,
    db: Session,
    rsps: responses.RequestsMock,
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    assert connect(sp_client, rsps, f"/p/{link.code}/authorize", FIRST)[0] == 200
    db.expire_all()
    first = db.scalar(select(SpotifyGrant))
    assert first is not None
    first_id, first_at = first.id, first.authorized_at

    assert connect(sp_client, rsps, f"/p/{link.code}/authorize", SECOND)[0] == 200
    db.expire_all()
    grants = list(db.scalars(select(SpotifyGrant)))
    assert [g.id for g in grants] == [first_id]
    cipher = TokenCipher(sp_settings.token_encryption_keys)
    assert grants[0].refresh_token_enc is not None
    assert cipher.decrypt(grants[0].refresh_token_enc) == SECOND.refresh
    assert grants[0].authorized_at >= first_at
    assert len(list(db.scalars(select(PreSave)))) == 1


def test_a_web_only_fan_is_created_from_spotify_with_a_link(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    page = sp_client.get(f"/c/{campaign.slug}?utm_source=TikTok&utm_medium=bio")
    assert page.status_code == 200
    assert f"/c/{campaign.slug}/authorize?src=tiktok" in page.get_data(as_text=True)

    status, html = connect(
        sp_client,
        rsps,
        f"/c/{campaign.slug}/authorize?src=tiktok",
        FIRST,
        user_id="web-only-fan",
        country="BR",
    )
    assert status == 200, html
    db.expire_all()
    fan = db.scalar(select(Fan).where(Fan.spotify_user_id == "web-only-fan"))
    assert fan is not None and fan.phone_e164 is None and fan.country == "BR"
    link = db.scalar(select(FanLink).where(FanLink.fan_id == fan.id))
    assert link is not None and link.source == "tiktok" and link.campaign_id == campaign.id
    assert f"/p/{link.code}" in html
    presave = db.scalar(select(PreSave).where(PreSave.fan_id == fan.id))
    assert presave is not None and presave.status == "pending"
    personal = sp_client.get(f"/p/{link.code}").get_data(as_text=True)
    assert "You're all set" in personal


def test_a_tampered_state_gets_400_and_nothing_stored(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    before = stored_counts(db)
    state = query["state"]
    flipped = state[:5] + ("A" if state[5] != "A" else "B") + state[6:]
    for bad in (flipped, state + "x", "", "not-a-state"):
        status, html = callback(sp_client, code="good-code-123", state=bad)
        assert status == 400 and "isn't valid" in html
    assert callback(sp_client, code="good-code-123")[0] == 400
    assert stored_counts(db) == before
    assert len(rsps.calls) == 0


def test_an_expired_state_gets_400(
    sp_client: FlaskClient, sp_settings: Settings, db: Session, rsps: responses.RequestsMock
) -> None:
    from core.services import oauth_state

    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    authorize_redirect(sp_client, f"/p/{link.code}/authorize")  # this browser's cookie is set
    old = oauth_state.issue(
        sp_settings.secret_key,
        campaign_id=campaign.id,
        fan_id=link.fan_id,
        source="sms",
        browser=browser_of(sp_client),
        now=utcnow() - timedelta(minutes=16),
    )
    before = stored_counts(db)
    status, html = callback(sp_client, code="good-code-123", state=old)
    assert status == 400 and "expired" in html
    assert stored_counts(db) == before and len(rsps.calls) == 0


def test_a_replayed_state_gets_400_and_nothing_more_stored(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    stub_token(rsps, FIRST)
    stub_me(rsps)
    assert callback(sp_client, code="good-code-123", state=query["state"])[0] == 200
    after_first = stored_counts(db)
    calls = len(rsps.calls)

    status, html = callback(sp_client, code="good-code-123", state=query["state"])
    assert status == 400 and "already used" in html
    assert stored_counts(db) == after_first
    assert len(rsps.calls) == calls  # Spotify was not asked again


def test_access_denied_saves_nothing_and_offers_to_try_again(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    before = stored_counts(db)
    status, html = callback(sp_client, error="access_denied", state=query["state"])
    assert status == 200
    assert "nothing was saved" in html
    assert f'href="/p/{link.code}"' in html
    assert stored_counts(db) == before and len(rsps.calls) == 0


def test_a_code_spotify_refuses_saves_nothing(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    before = stored_counts(db)
    rsps.add(
        responses.POST,
        "https://accounts.spotify.test/api/token",
        json={"error": "invalid_grant", "error_description": "Invalid authorization code"},
        status=400,
    )
    status, html = callback(sp_client, code="used-code", state=query["state"])
    assert status == 400 and "Nothing was saved" in html
    assert stored_counts(db) == before


def test_spotify_down_is_a_502_with_nothing_saved(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    before = stored_counts(db)
    stub_token(rsps, FIRST)
    rsps.add(responses.GET, ME_URL, status=503, body="down")
    status, html = callback(sp_client, code="good-code-123", state=query["state"])
    assert status == 502 and "isn't answering" in html
    assert stored_counts(db) == before


@pytest.mark.postgres
def test_the_flow_on_postgres(
    settings: Settings, pg_url: str, rsps: responses.RequestsMock
) -> None:
    from cli import migrate
    from core.db import session_factory
    from tests.integration.spotify_stubs import spotify_settings
    from web import create_app

    migrate.upgrade(pg_url)
    pg_settings = spotify_settings(settings).with_overrides(database_url=pg_url)
    client = create_app(pg_settings).test_client()
    session = session_factory(pg_url)()
    try:
        campaign = make_campaign(session)
        link = fan_link(session, campaign)
        assert connect(client, rsps, f"/p/{link.code}/authorize", FIRST)[0] == 200
        assert connect(client, rsps, f"/p/{link.code}/authorize", SECOND)[0] == 200
        session.expire_all()
        grants = list(session.scalars(select(SpotifyGrant)))
        assert len(grants) == 1 and grants[0].refresh_token_enc is not None
        cipher = TokenCipher(pg_settings.token_encryption_keys)
        assert cipher.decrypt(grants[0].refresh_token_enc) == SECOND.refresh
    finally:
        session.close()


def test_the_sign_in_cookie_is_set_when_the_flow_starts(
    sp_client: FlaskClient, db: Session
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    response = sp_client.get(f"/p/{link.code}/authorize")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=960"):
        assert attribute in cookie, cookie  # PUBLIC_URL is https here
    nonce = browser_of(sp_client)
    assert nonce not in response.headers["Location"]  # only its hash is in the state
    sp_client.get(f"/c/{campaign.slug}/authorize")
    assert browser_of(sp_client) == nonce  # one browser, one nonce: earlier tabs stay valid


def test_no_secure_flag_when_served_on_http(sp_settings: Settings, db: Session) -> None:
    from web import create_app

    plain = create_app(sp_settings.with_overrides(public_url="http://127.0.0.1:5000"))
    campaign = make_campaign(db)
    response = plain.test_client().get(f"/c/{campaign.slug}/authorize")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("cookie", [None, "wrong"], ids=["no-cookie", "another-browser-cookie"])
def test_a_callback_in_another_browser_connects_nothing(
    sp_app: Flask,
    sp_client: FlaskClient,
    db: Session,
    rsps: responses.RequestsMock,
    cookie: str | None,
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    other = sp_app.test_client()  # e.g. a callback URL sent to the fan by someone else
    if cookie is not None:
        other.get(f"/c/{campaign.slug}/authorize")  # that browser started a flow of its own
        assert browser_of(other) != browser_of(sp_client)
    stub_token(rsps, FIRST)
    stub_me(rsps, user_id="attacker-account")
    before = stored_counts(db)
    status, html = callback(other, code="attackers-code", state=query["state"])
    assert status == 400
    assert "opened in another browser" in html and "Open your personal link again" in html
    assert stored_counts(db) == before and len(rsps.calls) == 0
    assert count(db, OAuthNonce) == 0  # nothing spent: the fan's own sign-in still works
    status, html = callback(sp_client, code="good-code-123", state=query["state"])
    assert status == 200 and "You're set" in html

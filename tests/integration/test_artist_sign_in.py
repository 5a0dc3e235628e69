"""The artist app's doors: one-time links, sign-in and out, CSRF, rate limits, invites."""

from __future__ import annotations

import html
import logging
import re
import socket
from datetime import timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.db import transaction
from core.models import OneTimeToken
from core.services import accounts
from core.settings import Settings
from core.timeutil import utcnow
from tests.integration.artist_helpers import SignIn, csrf_of
from web import create_app

PASSWORD = "correct horse battery"


def text_of(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def new_user(settings: Settings, email: str = "mira@label.example", team: str = "Label") -> str:
    """A user created as the CLI does; returns the raw sign-in token."""
    with transaction(settings.database_url) as session:
        _, raw = accounts.create_user(session, email, team)
    return raw


def set_password(client: FlaskClient, path: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_of(client, path)
    data = {"csrf_token": token, "password": password, "confirm": password}
    return client.post(path, data=data)


def sign_in(
    client: FlaskClient, email: str, password: str, after: str | None = None
) -> TestResponse:
    data = {"csrf_token": csrf_of(client, "/app/sign-in"), "email": email, "password": password}
    return client.post("/app/sign-in", data=data, query_string={"next": after} if after else None)


@pytest.fixture
def limited(client: FlaskClient, redis_conn: redis.Redis) -> FlaskClient:
    """The client, with the rate limiter's counters emptied."""
    return client


def test_the_one_time_link_signs_in_once(settings: Settings, limited: FlaskClient) -> None:
    raw = new_user(settings)
    path = f"/app/sign-in/{raw}"
    assert limited.get("/app/campaigns").status_code == 302  # not signed in yet
    response = set_password(limited, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/campaigns"
    page = limited.get("/app/campaigns")
    assert page.status_code == 200 and "Your password is set" in text_of(page)
    other = limited.application.test_client()
    again = other.get(path)
    assert again.status_code == 410 and "used already" in text_of(again)


def test_a_too_short_password_keeps_the_link(settings: Settings, limited: FlaskClient) -> None:
    path = f"/app/sign-in/{new_user(settings)}"
    response = set_password(limited, path, "short")
    body = text_of(response)
    assert response.status_code == 400 and "Use 10 to 256 characters" in body
    assert 'aria-invalid="true"' in body
    assert set_password(limited, path).status_code == 302


def test_sign_in_with_the_right_and_a_wrong_password(
    settings: Settings, limited: FlaskClient
) -> None:
    set_password(limited.application.test_client(), f"/app/sign-in/{new_user(settings)}")
    wrong = sign_in(limited, "mira@label.example", "not the password")
    body = text_of(wrong)
    assert wrong.status_code == 401 and "don't match an account" in body
    assert 'value="mira@label.example"' in body  # what was typed is kept
    assert limited.get("/app/campaigns").status_code == 302
    right = sign_in(limited, "MIRA@label.example", PASSWORD, after="/app/team")
    assert right.headers["Location"] == "/app/team"
    assert limited.get("/app/campaigns").status_code == 200


def test_next_never_leaves_the_site(settings: Settings, limited: FlaskClient) -> None:
    set_password(limited.application.test_client(), f"/app/sign-in/{new_user(settings)}")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        fresh = limited.application.test_client()
        response = sign_in(fresh, "mira@label.example", PASSWORD, after=target)
        assert response.headers["Location"] == "/app/campaigns"


def test_a_bad_email_is_named_next_to_the_field(limited: FlaskClient) -> None:
    response = sign_in(limited, "not-an-email", PASSWORD)
    body = text_of(response)
    assert response.status_code == 400
    assert re.search(r'id="email-error">Enter an email address', body)


def test_sign_out_needs_a_post_with_the_token(client: FlaskClient, signed_in: SignIn) -> None:
    signed_in(client, "Label")
    assert client.get("/app/sign-out").status_code == 405
    refused = client.post("/app/sign-out")
    assert refused.status_code == 400 and "session has expired" in text_of(refused)
    assert client.get("/app/campaigns").status_code == 200
    token = csrf_of(client, "/app/campaigns")
    assert client.post("/app/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/app/campaigns").status_code == 302


POSTS = [
    "/app/sign-in",
    "/app/sign-out",
    "/app/sign-in/sometoken",
    "/app/reset/sometoken",
    "/app/invite/sometoken",
    "/app/team",
    "/app/team/switch",
    "/c/some-drop/text-me",
    "/p/somecode/disconnect",
]


@pytest.mark.parametrize("path", POSTS)
def test_every_browser_post_needs_the_csrf_token(
    client: FlaskClient, signed_in: SignIn, path: str
) -> None:
    signed_in(client, "Label")
    response = client.post(path, data={"email": "a@b.example", "password": PASSWORD})
    assert response.status_code == 400 and "session has expired" in text_of(response)


def test_over_https_a_form_posts_without_a_referer(client: FlaskClient, signed_in: SignIn) -> None:
    """Our pages send no Referer (Referrer-Policy: no-referrer); the token is what counts."""
    signed_in(client, "Label")
    https = "https://localhost"  # the test client's host, over TLS
    page = client.get("/app/team", base_url=https)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_of(client, "/app/team")
    response = client.post("/app/sign-out", data={"csrf_token": token}, base_url=https)
    assert response.status_code == 302


def test_twilio_webhooks_need_no_csrf_token(settings: Settings, db: Session) -> None:
    from tests.factories import make_campaign
    from tests.integration.sms_helpers import AUTH_TOKEN, inbound, post_signed

    make_campaign(db, "DROP")
    client = create_app(settings.with_overrides(twilio_auth_token=AUTH_TOKEN)).test_client()
    response = post_signed(client, settings.public_url, "/webhooks/twilio/sms", inbound("DROP"))
    assert response.status_code == 200 and "<Response>" in response.get_data(as_text=True)


def test_sign_in_is_limited_per_email(settings: Settings, limited: FlaskClient) -> None:
    set_password(limited.application.test_client(), f"/app/sign-in/{new_user(settings)}")
    for _ in range(5):
        assert sign_in(limited, "mira@label.example", "wrong password").status_code == 401
    blocked = sign_in(limited, "Mira@label.example", PASSWORD)
    assert blocked.status_code == 429 and "Wait a minute" in text_of(blocked)
    # another account from the same address is not blocked by this one's limit
    other = sign_in(limited, "someone@label.example", "wrong password")
    assert other.status_code == 401


def test_sign_in_works_when_the_limiter_store_is_down(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{refusing_port()}/0"))
    set_password(app.test_client(), f"/app/sign-in/{new_user(settings)}")
    caplog.clear()
    caplog.set_level(logging.INFO)
    for _ in range(7):  # past the per-email limit: the limiter fails open
        response = sign_in(app.test_client(), "mira@label.example", PASSWORD)
        assert response.status_code == 302
    assert [r for r in caplog.records if r.exc_info] == [], "no traceback per sign-in"
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1, said
    assert "rate limits are off" in said[0] and "can't be reached" in said[0]
    assert "\n" not in said[0]


def refusing_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_reset_link_works_once_and_expires(settings: Settings, limited: FlaskClient) -> None:
    set_password(limited.application.test_client(), f"/app/sign-in/{new_user(settings)}")
    with transaction(settings.database_url) as session:
        raw = accounts.reset_token(session, "mira@label.example")
    assert set_password(limited, f"/app/reset/{raw}", "a brand new password").status_code == 302
    fresh = limited.application.test_client()
    assert fresh.get(f"/app/reset/{raw}").status_code == 410
    assert sign_in(fresh, "mira@label.example", "a brand new password").status_code == 302
    with transaction(settings.database_url) as session:
        late = accounts.reset_token(session, "mira@label.example")
        session.execute(update(OneTimeToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    expired = fresh.get(f"/app/reset/{late}")
    assert expired.status_code == 410 and "expired" in text_of(expired)
    assert fresh.get("/app/reset/not-a-token").status_code == 404


def test_a_reset_signs_out_the_other_browsers(settings: Settings, limited: FlaskClient) -> None:
    set_password(limited, f"/app/sign-in/{new_user(settings)}")
    assert limited.get("/app/campaigns").status_code == 200
    with transaction(settings.database_url) as session:
        raw = accounts.reset_token(session, "mira@label.example")
    other = limited.application.test_client()
    assert set_password(other, f"/app/reset/{raw}", "a brand new password").status_code == 302
    assert other.get("/app/campaigns").status_code == 200
    assert limited.get("/app/campaigns").status_code == 302  # the old session is over


INVITE_RE = re.compile(r'value="(https://presave\.example\.test/app/invite/[^"]+)"')


def test_an_owner_invites_and_the_new_member_lands_in_the_team(
    app: Flask, signed_in: SignIn, redis_conn: redis.Redis
) -> None:
    owner = app.test_client()
    signed_in(owner, "Label")
    page = owner.post(
        "/app/team", data={"csrf_token": csrf_of(owner, "/app/team"), "role": "member"}
    )
    found = INVITE_RE.search(page.get_data(as_text=True))
    assert page.status_code == 200 and found is not None
    path = found.group(1).removeprefix("https://presave.example.test")
    assert INVITE_RE.search(owner.get("/app/team").get_data(as_text=True)) is None  # shown once

    newcomer = app.test_client()
    data = {"csrf_token": csrf_of(newcomer, path), "email": "New@Label.example"}
    joined = newcomer.post(path, data={**data, "password": "newcomer password"})
    assert joined.status_code == 302
    team = text_of(newcomer.get("/app/team"))
    assert "Team Label" in team and "new@label.example" in team and "owner@label.example" in team
    assert "Create an invite link" not in team  # a member makes no invites
    member_try = newcomer.post(
        "/app/team", data={"csrf_token": csrf_of(newcomer, "/app/team"), "role": "owner"}
    )
    assert member_try.status_code == 403
    assert newcomer.get(path).status_code == 410


def test_a_user_in_two_teams_switches(app: Flask, signed_in: SignIn, settings: Settings) -> None:
    client = app.test_client()
    user_id, team_a = signed_in(client, "Alpha", email="both@example.com")
    _, team_b = signed_in(client, "Beta", email="both@example.com")
    body = text_of(client.get("/app/team"))
    assert "Team Beta" in body and "Switch to Alpha" in body
    token = csrf_of(client, "/app/team")
    moved = client.post("/app/team/switch", data={"csrf_token": token, "team_id": str(team_a)})
    assert moved.status_code == 302 and "Team Alpha" in text_of(client.get("/app/team"))
    refused = client.post("/app/team/switch", data={"csrf_token": token, "team_id": "99999"})
    assert refused.status_code == 400 and team_b != team_a and user_id

"""Disconnect from the personal link page: tokens deleted, pre-save cancelled, CSRF-checked."""

from __future__ import annotations

import html
import re

import responses
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Event, GrantStatus, PreSave, SpotifyGrant
from tests.factories import make_campaign
from tests.integration.spotify_stubs import (
    Tokens,
    authorize_redirect,
    callback,
    fan_link,
    rsps,
    sp_app,
    sp_client,
    sp_settings,
    stub_me,
    stub_token,
)

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below

TOKENS = Tokens(access="AT-disc-3e4f5a", refresh="RT-disc-6b7c8d")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def connected(client: FlaskClient, rsps: responses.RequestsMock, db: Session) -> tuple[str, str]:
    """A fan who pre-saved; returns (link code, the CSRF token their page carries)."""
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    query = authorize_redirect(client, f"/p/{link.code}/authorize")
    stub_token(rsps, TOKENS)
    stub_me(rsps)
    status, page = callback(client, code="good-code-123", state=query["state"])
    assert status == 200 and "Disconnect Spotify" in page
    token = CSRF_RE.search(page)
    assert token is not None
    return link.code, token.group(1)


def grant_and_presave(db: Session) -> tuple[SpotifyGrant, PreSave]:
    db.expire_all()
    grant, presave = db.scalar(select(SpotifyGrant)), db.scalar(select(PreSave))
    assert grant is not None and presave is not None
    return grant, presave


def test_disconnect_deletes_the_tokens_and_cancels_the_presave(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    code, token = connected(sp_client, rsps, db)
    personal = html.unescape(sp_client.get(f"/p/{code}").get_data(as_text=True))
    assert "You're all set" in personal and f'action="/p/{code}/disconnect"' in personal

    response = sp_client.post(f"/p/{code}/disconnect", data={"csrf_token": token})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Disconnected" in body and "deleted our access to your Spotify account" in body
    grant, presave = grant_and_presave(db)
    assert grant.refresh_token_enc is None and grant.access_token_enc is None
    assert grant.status == GrantStatus.REVOKED
    assert presave.status == "cancelled"
    event = db.scalar(select(Event).where(Event.kind == "disconnect"))
    assert event is not None and event.fan_id == grant.fan_id

    again = html.unescape(sp_client.get(f"/p/{code}").get_data(as_text=True))
    assert "You're all set" not in again and "Pre-save on Spotify" in again


def test_disconnect_without_the_csrf_token_is_refused(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    code, token = connected(sp_client, rsps, db)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "zz"}):
        response = sp_client.post(f"/p/{code}/disconnect", data=data)
        assert response.status_code == 400
    other_browser = sp_client.application.test_client()  # a cross-site post has no session
    assert other_browser.post(f"/p/{code}/disconnect", data={"csrf_token": token}).status_code == (
        400
    )
    grant, presave = grant_and_presave(db)
    assert grant.refresh_token_enc is not None and grant.status == GrantStatus.ACTIVE
    assert presave.status == "pending"
    assert db.scalar(select(Event).where(Event.kind == "disconnect")) is None


def test_disconnect_of_an_unknown_link_is_a_404(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    code, token = connected(sp_client, rsps, db)
    unknown = ("A" if code[0] != "A" else "B") + code[1:]
    response = sp_client.post(f"/p/{unknown}/disconnect", data={"csrf_token": token})
    assert response.status_code == 404
    grant, _ = grant_and_presave(db)
    assert grant.status == GrantStatus.ACTIVE


def test_reconnecting_after_disconnect_restores_the_presave(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    code, token = connected(sp_client, rsps, db)
    assert sp_client.post(f"/p/{code}/disconnect", data={"csrf_token": token}).status_code == 200
    rsps.reset()
    query = authorize_redirect(sp_client, f"/p/{code}/authorize")
    stub_token(rsps, TOKENS)
    stub_me(rsps)
    assert callback(sp_client, code="good-code-123", state=query["state"])[0] == 200
    grant, presave = grant_and_presave(db)
    assert grant.status == GrantStatus.ACTIVE and grant.refresh_token_enc is not None
    assert presave.status == "pending"

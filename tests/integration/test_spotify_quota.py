"""Spotify development mode: a fan not on the app's allow-list gets a 403; we say so plainly."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import cli
from core.models import Event, PreSave, SpotifyGrant
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.spotify_stubs import (
    Tokens,
    authorize_redirect,
    callback,
    count,
    fan_link,
    rsps,
    sp_app,
    sp_client,
    sp_settings,
    stub_me,
    stub_me_dev_mode_403,
    stub_token,
)

__all__ = ["rsps", "sp_app", "sp_client", "sp_settings"]  # fixtures used below

TOKENS = Tokens(access="AT-quota-5c2e1f", refresh="RT-quota-9a8b7c")


def refused(client: FlaskClient, rsps: responses.RequestsMock, path: str) -> tuple[int, str]:
    query = authorize_redirect(client, path)
    stub_token(rsps, TOKENS)
    stub_me_dev_mode_403(rsps)
    return callback(client, code="good-code-123", state=query["state"])


def test_a_known_fan_refused_by_development_mode_keeps_their_drop_message(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    status, html = refused(sp_client, rsps, f"/p/{link.code}/authorize")
    assert status == 200
    assert "can't take more fans yet" in html
    assert "Your drop-day message is kept" in html
    db.expire_all()
    presave = db.scalar(select(PreSave))
    assert presave is not None and presave.status == "quota" and presave.fan_id == link.fan_id
    assert count(db, SpotifyGrant) == 0  # no token kept for a fan Spotify refuses
    kinds = [e.kind for e in db.scalars(select(Event).where(Event.kind == "spotify_quota"))]
    assert kinds == ["spotify_quota"]

    # Trying again and being refused again is the same fan: counted once.
    assert refused(sp_client, rsps, f"/p/{link.code}/authorize")[0] == 200
    assert count(db, PreSave) == 1
    quota_events = db.scalars(select(Event).where(Event.kind == "spotify_quota")).all()
    assert len(quota_events) == 1

    page = sp_client.get(f"/p/{link.code}").get_data(as_text=True)
    assert "wouldn't let the artist's app connect more fans" in page


def test_a_web_only_fan_refused_is_counted_without_a_fan_row(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    status, html = refused(sp_client, rsps, f"/c/{campaign.slug}/authorize?src=ig")
    assert status == 200 and "can't take more fans yet" in html
    assert "drop-day message is kept" not in html
    db.expire_all()
    event = db.scalar(select(Event).where(Event.kind == "spotify_quota"))
    assert event is not None and event.fan_id is None and event.source == "ig"
    assert count(db, PreSave) == 0 and count(db, SpotifyGrant) == 0


def test_a_refused_fan_who_is_later_allowed_connects(
    sp_client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    campaign = make_campaign(db)
    link = fan_link(db, campaign)
    assert refused(sp_client, rsps, f"/p/{link.code}/authorize")[0] == 200
    rsps.reset()
    query = authorize_redirect(sp_client, f"/p/{link.code}/authorize")
    stub_token(rsps, TOKENS)
    stub_me(rsps)
    assert callback(sp_client, code="good-code-123", state=query["state"])[0] == 200
    db.expire_all()
    presave = db.scalar(select(PreSave))
    assert presave is not None and presave.status == "pending"


def test_campaign_show_tells_the_artist_in_plain_words(
    sp_client: FlaskClient,
    sp_settings: Settings,
    db: Session,
    rsps: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    campaign = make_campaign(db)
    for phone in ("+14155550101", "+14155550102"):
        link = fan_link(db, campaign, phone=phone)
        assert refused(sp_client, rsps, f"/p/{link.code}/authorize")[0] == 200
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(sp_settings.instance_path))
    monkeypatch.setenv("DATABASE_URL", sp_settings.database_url)
    assert cli.main(["campaign", "show", campaign.slug]) == 0
    out = capsys.readouterr().out
    assert "2 fans could not connect: the Spotify app is in development mode (5-user cap)" in out
    assert cli.main(["campaign", "show", campaign.slug, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"quota": 2' in out and '"spotify_quota": 2' in out
    assert "could not connect" not in out

"""Stored grants: key rotation, the DB-backed token cache under spotipy, grant health."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import responses
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

import cli
from core.crypto import TokenCipher, UndecryptableToken
from core.models import Fan, GrantStatus, PreSave, PreSaveStatus, SpotifyGrant
from core.providers import spotify
from core.services import fans, grant_health
from core.services.grant_tokens import GrantTokenCache
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.spotify_stubs import (
    ME_URL,
    TOKEN_URL,
    rsps,
    sp_settings,
    spotify_settings,
    token_request,
)

__all__ = ["rsps", "sp_settings"]  # fixtures used below


def add_grant(
    session: Session,
    cipher: TokenCipher,
    phone: str,
    *,
    refresh: str = "RT-stored",
    access: str | None = "AT-stored",
    authorized_days_ago: float = 1,
    access_expired: bool = False,
) -> SpotifyGrant:
    fan, _ = fans.by_phone(session, phone)
    now = utcnow()
    grant = SpotifyGrant(
        fan_id=fan.id,
        spotify_user_id=f"user-{phone[-4:]}",
        refresh_token_enc=cipher.encrypt(refresh),
        access_token_enc=cipher.encrypt_optional(access),
        access_expires_at=now + (timedelta(minutes=-5) if access_expired else timedelta(hours=1)),
        scopes="user-follow-modify user-library-modify user-read-private",
        authorized_at=now - timedelta(days=authorized_days_ago),
    )
    session.add(grant)
    session.commit()
    return grant


def test_keys_rotate_reencrypts_so_the_old_key_can_be_dropped(
    settings: Settings,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old_key = settings.token_encryption_keys[0]
    old = TokenCipher([old_key])
    add_grant(db, old, "+14155550101", refresh="RT-one", access="AT-one")
    add_grant(db, old, "+14155550102", refresh="RT-two", access=None)
    before = {g.id: g.refresh_token_enc for g in db.scalars(select(SpotifyGrant))}

    new_key = Fernet.generate_key().decode()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", f"{new_key},{old_key}")
    assert cli.main(["keys", "rotate"]) == 0
    assert capsys.readouterr().out.strip() == "re-encrypted 3 tokens with the newest key"

    new_only = TokenCipher([new_key])
    db.expire_all()
    grants = {g.id: g for g in db.scalars(select(SpotifyGrant))}
    plain = set()
    for grant_id, grant in grants.items():
        assert grant.refresh_token_enc is not None and grant.refresh_token_enc != before[grant_id]
        plain.add(new_only.decrypt(grant.refresh_token_enc))
        if grant.access_token_enc is not None:
            plain.add(new_only.decrypt(grant.access_token_enc))
    assert plain == {"RT-one", "RT-two", "AT-one"}
    with pytest.raises(UndecryptableToken):
        old.decrypt(next(iter(grants.values())).refresh_token_enc or b"")


def test_keys_rotate_refuses_when_a_token_matches_no_key(
    settings: Settings,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_grant(db, TokenCipher([settings.token_encryption_keys[0]]), "+14155550101")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    assert cli.main(["keys", "rotate"]) == 1
    assert "matches none of the keys" in capsys.readouterr().err


def test_spotipy_refreshes_through_the_database_cache(
    sp_settings: Settings, db: Session, rsps: responses.RequestsMock
) -> None:
    cipher = TokenCipher(sp_settings.token_encryption_keys)
    grant = add_grant(db, cipher, "+14155550101", refresh="RT-keep", access_expired=True)
    rsps.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": "AT-fresh", "token_type": "Bearer", "expires_in": 3600},
    )
    rsps.add(responses.GET, ME_URL, json={"id": "user-0101", "country": "FR"})
    app = spotify.app_from_settings(sp_settings)
    assert app is not None

    cache = GrantTokenCache(cipher, grant)
    client = spotify.user_client(app, spotify.scopes_for(save=True, follow=True), cache)
    assert client.me()["id"] == "user-0101"
    db.commit()

    sent = token_request(rsps)
    assert sent["grant_type"] == ["refresh_token"] and sent["refresh_token"] == ["RT-keep"]
    assert rsps.calls[-1].request.headers["Authorization"] == "Bearer AT-fresh"
    db.expire_all()
    stored = db.get(SpotifyGrant, grant.id)
    assert stored is not None and stored.access_token_enc is not None
    assert cipher.decrypt(stored.access_token_enc) == "AT-fresh"
    assert stored.refresh_token_enc is not None
    assert cipher.decrypt(stored.refresh_token_enc) == "RT-keep"  # omitted in the answer: kept
    assert stored.access_expires_at is not None and stored.access_expires_at > utcnow()


def test_a_grant_with_no_tokens_never_prompts_and_reads_as_revoked(
    sp_settings: Settings, db: Session, rsps: responses.RequestsMock
) -> None:
    cipher = TokenCipher(sp_settings.token_encryption_keys)
    grant = add_grant(db, cipher, "+14155550101")
    grant.refresh_token_enc = None
    app = spotify.app_from_settings(sp_settings)
    assert app is not None
    client = spotify.user_client(app, ("user-library-modify",), GrantTokenCache(cipher, grant))
    from spotipy.exceptions import SpotifyOauthError

    with pytest.raises(SpotifyOauthError) as caught:
        client.me()
    assert caught.value.error == "no_token"
    assert len(rsps.calls) == 0


def test_sandbox_mode_without_a_client_id() -> None:
    base = Settings(spotify_redirect_uri="http://127.0.0.1:5000/oauth/spotify/callback")
    assert spotify.app_from_settings(base) is None
    local = base.with_overrides(spotify_accounts_base="http://127.0.0.1:8788")
    app = spotify.app_from_settings(local)
    assert app is not None and app.sandbox and app.client_id == spotify.SANDBOX_CLIENT_ID
    real = spotify.app_from_settings(spotify_settings(base))
    assert real is not None and not real.sandbox and real.client_id == "test-client-id"


def test_grant_health_marks_fans_whose_grant_dies_before_the_release(
    settings: Settings, db: Session
) -> None:
    cipher = TokenCipher(settings.token_encryption_keys)
    campaign = make_campaign(db, release_at=(utcnow() + timedelta(days=30)).isoformat())
    ages = {"+14155550101": 190, "+14155550102": 170, "+14155550103": 10, "+14155550104": 170}
    grants = {p: add_grant(db, cipher, p, authorized_days_ago=d) for p, d in ages.items()}
    for phone, grant in grants.items():
        status = PreSaveStatus.SAVED if phone.endswith("4") else PreSaveStatus.PENDING
        db.add(PreSave(campaign_id=campaign.id, fan_id=grant.fan_id, status=status))
    db.commit()
    expired, soon, fresh, done = (grants[p] for p in ages)

    assert grant_health.refresh_expires_at(fresh) == fresh.authorized_at + timedelta(days=183)
    found = grant_health.expiring_before_release(db, campaign)
    assert [(f.fan_id, f.expired) for f in found] == [
        (expired.fan_id, True),
        (soon.fan_id, False),
    ]

    marked = grant_health.request_reconnects(db, campaign)
    db.commit()
    # 30 days out: the dead grant is marked, but nobody is asked before the last week.
    assert (marked.expired, marked.asked, marked.fan_ids) == (1, 0, ())
    week_before = campaign.release_at - timedelta(days=6, hours=23)
    marked = grant_health.request_reconnects(db, campaign, now=week_before)
    db.commit()
    assert (marked.expired, marked.asked) == (1, 2)  # `soon` died meanwhile (day 13)
    assert set(marked.fan_ids) == {expired.fan_id, soon.fan_id}
    again = grant_health.request_reconnects(db, campaign, now=week_before + timedelta(hours=1))
    assert (again.expired, again.asked, again.fan_ids) == (0, 0, ())  # one ask only
    db.expire_all()
    by_fan = {g.fan_id: g for g in db.scalars(select(SpotifyGrant))}
    assert by_fan[expired.fan_id].status == GrantStatus.NEEDS_RECONNECT
    assert by_fan[soon.fan_id].status == GrantStatus.NEEDS_RECONNECT
    assert by_fan[soon.fan_id].reconnect_requested_at is not None
    assert by_fan[fresh.fan_id].reconnect_requested_at is None
    assert by_fan[done.fan_id].reconnect_requested_at is None  # already saved: nothing to ask
    statuses = {p.fan_id: p.status for p in db.scalars(select(PreSave))}
    assert statuses[expired.fan_id] == PreSaveStatus.NEEDS_RECONNECT
    assert statuses[soon.fan_id] == PreSaveStatus.NEEDS_RECONNECT
    assert db.scalar(select(Fan).where(Fan.id == fresh.fan_id)) is not None

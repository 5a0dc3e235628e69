"""Seed a drop: a campaign, N fans with SMS consent, Spotify grants from the sandbox, pre-saves.

Shared by the drop benchmark and the fan-out integration tests. Rows go in with bulk
Core inserts (100k fans in seconds); tokens are encrypted exactly as the app stores them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.db import transaction
from core.models import (
    Campaign,
    Consent,
    DiscordAllowance,
    DiscordBinding,
    Fan,
    FanLink,
    PreSave,
    ReleaseMarket,
    SpotifyGrant,
)
from core.services.campaigns import CampaignDraft, create_campaign
from core.settings import Settings
from core.timeutil import utcnow

SENDER = "+15005550006"
ALBUM_ID = "4aawyAB9vmqN3uQ7FjRGTy"
ARTIST_ID = "0OdUWJ0sBjDrqHygGUXeCF"
SCOPE = "user-library-modify user-follow-modify user-read-private"
BATCH = 5000


@dataclass(frozen=True)
class SeededDrop:
    """What was seeded: the campaign and, per fan, its phone and sandbox user id."""

    campaign_id: int
    phones: list[str]
    spotify_users: list[str]


def daytime_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is around noon now (so quiet hours never hold the test)."""
    offset = (12 - now.astimezone(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def phone(index: int) -> str:
    """A distinct valid US number (San Francisco area code)."""
    return f"+1415{2_000_000 + index:07d}"


def sandbox_users(base_url: str, count: int, **defaults: Any) -> list[dict[str, Any]]:
    """Create sandbox users with grants; returns their grants (tokens included)."""
    response = requests.post(
        f"{base_url}/_sandbox/users",
        json={"count": count, "grant": {"scope": SCOPE}, **defaults},
        timeout=300,
    )
    response.raise_for_status()
    grants: list[dict[str, Any]] = response.json()["grants"]
    return grants


def sandbox_album(base_url: str, live_at: dict[str, str]) -> None:
    """The release, live in the given markets at the given times."""
    response = requests.post(
        f"{base_url}/_sandbox/albums",
        json={"id": ALBUM_ID, "artist_id": ARTIST_ID, "name": "Night Bloom", "live_at": live_at},
        timeout=30,
    )
    response.raise_for_status()


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def _opt_in(
    session: Session, campaign_id: int, fan_ids: list[int], channel: str, sender: str, now: datetime
) -> None:
    """Each fan's consent on `channel` and personal link, as an opt-in from there leaves them."""
    _bulk(session, Consent.__table__, [
        {"fan_id": f, "campaign_id": campaign_id, "channel": channel, "sender": sender,
         "status": "opted_in", "source": channel, "at": now}
        for f in fan_ids
    ])  # fmt: skip
    _bulk(session, FanLink.__table__, [
        {"code": secrets.token_urlsafe(16), "fan_id": f, "campaign_id": campaign_id,
         "source": channel, "created_at": now}
        for f in fan_ids
    ])  # fmt: skip


def _campaign(session: Session, keyword: str, now: datetime, hours: int = 1) -> int:
    """The drop's campaign, releasing in `hours`."""
    campaign = create_campaign(
        session,
        CampaignDraft(
            artist="Mira Vale", title="Night Bloom", keyword=keyword,
            release_at=(now + timedelta(hours=hours)).isoformat(), timezone="UTC",
            spotify_album_id=ALBUM_ID, spotify_artist_id=ARTIST_ID,
        ),
    )  # fmt: skip
    return campaign.id


def seed(
    settings: Settings,
    grants: list[dict[str, Any]],
    *,
    keyword: str = "DROP",
    expired: bool = True,
    zone: str | None = None,
    market: str | Sequence[str] = "US",
) -> SeededDrop:
    """Campaign + fans + consents + encrypted grants + pre-saves + links, committed."""
    cipher = TokenCipher(settings.token_encryption_keys)
    now = utcnow()
    zone = zone or daytime_zone(now)
    markets = [market] if isinstance(market, str) else list(market)
    with transaction(settings.database_url) as session:
        campaign_id = _campaign(session, keyword, now)
        first = session.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0
        phones = [phone(first + n) for n in range(len(grants))]
        _bulk(session, Fan.__table__, [
            {"phone_e164": p, "timezone": zone, "country": markets[n % len(markets)],
             "created_at": now}
            for n, p in enumerate(phones)
        ])  # fmt: skip
        ids = dict(session.execute(select(Fan.phone_e164, Fan.id).where(Fan.id > first)).all())
        fan_ids = [ids[p] for p in phones]
        expires = now - timedelta(hours=1) if expired else now + timedelta(hours=1)
        _bulk(session, SpotifyGrant.__table__, [
            {
                "fan_id": f, "spotify_user_id": g["user_id"], "scopes": g["scope"],
                "refresh_token_enc": cipher.encrypt(g["refresh_token"]),
                "access_token_enc": cipher.encrypt(g["access_token"]),
                "access_expires_at": expires, "country": markets[n % len(markets)],
                "status": "active", "authorized_at": now, "updated_at": now,
            }
            for n, (f, g) in enumerate(zip(fan_ids, grants, strict=True))
        ])  # fmt: skip
        _opt_in(session, campaign_id, fan_ids, "sms", SENDER, now)
        _bulk(session, PreSave.__table__, [
            {"campaign_id": campaign_id, "fan_id": f, "status": "pending", "attempts": 0,
             "created_at": now, "updated_at": now}
            for f in fan_ids
        ])  # fmt: skip
    return SeededDrop(campaign_id, phones, [g["user_id"] for g in grants])


def mark_detected(settings: Settings, campaign_id: int, markets: list[str]) -> None:
    """Record the release as found live in `markets` (what the release watch does)."""
    now = utcnow()
    with transaction(settings.database_url) as session:
        for market in markets:
            session.add(
                ReleaseMarket(campaign_id=campaign_id, market=market, album_id=ALBUM_ID,
                              method="manual", found_at=now)
            )  # fmt: skip
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.detected_at.is_(None))
            .values(detected_at=now, detected_market=markets[0], release_album_id=ALBUM_ID)
        )


@dataclass(frozen=True)
class SeededDiscord:
    """A campaign bound to one server, and its Discord fans' user ids."""

    campaign_id: int
    user_ids: list[str]


def discord_user(index: int) -> str:
    """A distinct Discord user id (a snowflake)."""
    return str(600_000_000_000_000_000 + index)


def seed_discord(
    settings: Settings,
    count: int,
    *,
    guild: str,
    channel: str,
    role: str,
    keyword: str = "DISCO",
    first: int = 0,
) -> SeededDiscord:
    """Campaign bound to `guild`, and `count` fans who ran /presave there (Discord consent,
    personal link, role noted), with no Spotify grant: every one is told at detection."""
    now = utcnow()
    with transaction(settings.database_url) as session:
        campaign_id = _campaign(session, keyword, now)
        session.add(DiscordAllowance(campaign_id=campaign_id, guild_id=guild))
        session.add(
            DiscordBinding(campaign_id=campaign_id, guild_id=guild, channel_id=channel,
                           role_id=role, bound_by=guild)
        )  # fmt: skip
        users = [discord_user(first + n) for n in range(count)]
        last = session.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0
        _bulk(session, Fan.__table__, [{"discord_user_id": u, "created_at": now} for u in users])
        rows = session.execute(select(Fan.discord_user_id, Fan.id).where(Fan.id > last))
        ids = {str(user): int(fan) for user, fan in rows}
        fan_ids = [ids[u] for u in users]
        _opt_in(session, campaign_id, fan_ids, "discord", "discord", now)
    return SeededDiscord(campaign_id, users)


def seed_sms(settings: Settings, count: int, *, keyword: str = "COUNT") -> SeededDrop:
    """Campaign releasing in two hours and `count` SMS fans (consent and personal link, no
    Spotify grant), each in a zone where it is daytime now."""
    now = utcnow()
    zone = daytime_zone(now)
    with transaction(settings.database_url) as session:
        campaign_id = _campaign(session, keyword, now, hours=2)
        first = session.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0
        phones = [phone(first + n) for n in range(count)]
        _bulk(session, Fan.__table__, [
            {"phone_e164": p, "timezone": zone, "country": "US", "created_at": now} for p in phones
        ])  # fmt: skip
        fan_ids = list(session.scalars(select(Fan.id).where(Fan.id > first).order_by(Fan.id)))
        _opt_in(session, campaign_id, fan_ids, "sms", SENDER, now)
    return SeededDrop(campaign_id, phones, [])

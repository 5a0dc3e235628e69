"""Seed a campaign the size of a big drop for the dashboard benchmark: fans on both
channels, pre-saves in every status, consents, links, deliveries and events, all with bulk
Core inserts (deterministic: a fixed random seed)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import (
    Campaign,
    Consent,
    Delivery,
    Event,
    Fan,
    FanLink,
    PreSave,
    ReleaseMarket,
    ScheduledMessage,
    SpotifyGrant,
)
from core.services.campaigns import CampaignDraft, create_campaign

BATCH = 5000
SENDER = "+15005550006"
# Share of fans per pre-save status (the rest have none: opted in only, or opted out).
PRESAVE_MIX = (
    ("saved", 0.60), ("pending", 0.08), ("queued_for_market", 0.04), ("pending_source", 0.01),
    ("needs_reconnect", 0.02), ("quota", 0.01), ("failed", 0.02), ("cancelled", 0.02),
)  # fmt: skip
EVENT_KINDS = ("page_view", "link_click", "optin", "spotify_authorized", "duplicate_optin")
DELIVERY_MIX = ("delivered",) * 7 + ("sent", "failed", "queued")


@dataclass(frozen=True)
class Seeded:
    """The big campaign, its artist, and one of its fans (for the timeline)."""

    campaign_id: int
    artist_id: int
    sample_fan_id: int


def _bulk(session: Session, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            session.execute(insert(table), batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)


def _campaigns(session: Session, now: datetime, extra: int) -> tuple[int, int]:
    """The big campaign (released an hour ago, found live in the US) and `extra` small ones."""
    big = create_campaign(session, CampaignDraft(
        artist="Mira Vale", title="Night Bloom", keyword="BLOOM",
        release_at=(now - timedelta(hours=1)).isoformat(), timezone="America/New_York",
        spotify_album_id="4aawyAB9vmqN3uQ7FjRGTy", force=True,
    ))  # fmt: skip
    for n in range(extra):
        create_campaign(session, CampaignDraft(
            artist="Mira Vale", title=f"Single {n}", keyword=f"SINGLE{n}",
            release_at=(now + timedelta(days=n + 1)).isoformat(), timezone="UTC",
        ))  # fmt: skip
    session.add(ReleaseMarket(campaign_id=big.id, market="US", album_id="4aawyAB9vmqN3uQ7FjRGTy",
                              method="album_id", found_at=now - timedelta(minutes=45)))  # fmt: skip
    session.execute(
        update(Campaign)
        .where(Campaign.id == big.id)
        .values(detected_at=now - timedelta(minutes=45), detected_market="US")
    )
    return big.id, big.artist_id


def _presave_status(rng: random.Random) -> str | None:
    roll = rng.random()
    for status, share in PRESAVE_MIX:
        if roll < share:
            return status
        roll -= share
    return None


def seed(url: str, fans: int, events: int, now: datetime, extra_campaigns: int = 5) -> Seeded:
    """Seed and commit; joined times repeat (whole seconds) so keyset ties are exercised."""
    rng = random.Random(18)
    with transaction(url) as session:
        campaign_id, artist_id = _campaigns(session, now, extra_campaigns)
        first = session.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0
        discord = [rng.random() < 0.3 for _ in range(fans)]
        joined = [now - timedelta(seconds=rng.randrange(30 * 86400)) for _ in range(fans)]
        _bulk(session, Fan.__table__, (
            {"id": first + 1 + n, "created_at": joined[n],
             "discord_user_id": str(600_000_000_000_000_000 + first + n) if discord[n] else None,
             "phone_e164": None if discord[n] else f"+1415{2_000_000 + first + n:07d}"}
            for n in range(fans)
        ))  # fmt: skip
        ids = range(first + 1, first + 1 + fans)
        channel = ["discord" if d else "sms" for d in discord]
        _bulk(session, Consent.__table__, (
            {"fan_id": f, "campaign_id": campaign_id, "channel": channel[n],
             "sender": "discord" if discord[n] else SENDER, "source": "bench", "at": joined[n],
             "status": "opted_out" if rng.random() < 0.04 else "opted_in"}
            for n, f in enumerate(ids)
        ))  # fmt: skip
        _bulk(session, FanLink.__table__, (
            {"code": secrets.token_urlsafe(16), "fan_id": f, "campaign_id": campaign_id,
             "source": channel[n], "created_at": joined[n]}
            for n, f in enumerate(ids)
        ))  # fmt: skip
        statuses = [_presave_status(rng) for _ in ids]
        _bulk(session, SpotifyGrant.__table__, (
            {"fan_id": f, "spotify_user_id": f"user{f}", "country": "GB" if n % 20 == 0 else "US",
             "status": "needs_reconnect" if statuses[n] == "needs_reconnect" else "active",
             "authorized_at": joined[n], "updated_at": joined[n]}
            for n, f in enumerate(ids) if statuses[n] is not None
        ))  # fmt: skip
        _bulk(session, PreSave.__table__, (
            {"campaign_id": campaign_id, "fan_id": f, "status": statuses[n], "attempts": 1,
             "market": "GB" if n % 20 == 0 else "US", "created_at": joined[n],
             "updated_at": now - timedelta(minutes=rng.randrange(40)),
             "saved_at": now - timedelta(seconds=rng.randrange(40 * 60))
             if statuses[n] == "saved" else None}
            for n, f in enumerate(ids) if statuses[n] is not None
        ))  # fmt: skip
        _messages(session, campaign_id, list(ids), channel, now, rng)
        _bulk(session, Event.__table__, (
            {"kind": EVENT_KINDS[i % len(EVENT_KINDS)], "campaign_id": campaign_id,
             "fan_id": first + 1 + (i % fans), "channel": channel[i % fans], "source": "bench",
             "at": joined[i % fans] + timedelta(seconds=i // fans * 600 + rng.randrange(600))}
            for i in range(events)
        ))  # fmt: skip
    return Seeded(campaign_id, artist_id, first + 1 + fans // 2)


def _messages(
    session: Session,
    campaign_id: int,
    ids: list[int],
    channel: list[str],
    now: datetime,
    rng: random.Random,
) -> None:
    """Two countdown messages and the drop message, each delivered to every fan."""
    message_ids = []
    for kind, ago in (("countdown", 3 * 86400), ("countdown", 86400), ("drop", 2400)):
        message = ScheduledMessage(
            campaign_id=campaign_id, kind=kind, template=f"{kind}_bench", channels="sms,discord",
            send_at=now - timedelta(seconds=ago), status="done",
        )  # fmt: skip
        session.add(message)
        session.flush()
        message_ids.append((message.id, now - timedelta(seconds=ago)))
    for message_id, at in message_ids:
        _bulk(session, Delivery.__table__, (
            {"message_id": message_id, "fan_id": f, "channel": channel[n],
             "status": (status := rng.choice(DELIVERY_MIX)), "attempts": 1,
             "sent_at": at if status != "queued" else None, "created_at": at, "updated_at": at}
            for n, f in enumerate(ids)
        ))  # fmt: skip

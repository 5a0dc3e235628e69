"""Grant health: refresh tokens die 6 months after authorization; ask fans to reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import Campaign, CampaignStatus, GrantStatus, PreSave, PreSaveStatus, SpotifyGrant
from core.providers.spotify import REFRESH_TOKEN_LIFETIME
from core.services.notify import ByChannel
from core.timeutil import utcnow

# Pre-saves that still need a working grant on release day.
WAITING = (
    PreSaveStatus.PENDING,
    PreSaveStatus.QUEUED_FOR_MARKET,
    PreSaveStatus.PENDING_SOURCE,
    PreSaveStatus.NEEDS_RECONNECT,
)


@dataclass(frozen=True)
class ExpiringGrant:
    """A fan whose grant dies before the release."""

    fan_id: int
    grant_id: int
    expires_at: datetime
    expired: bool


@dataclass(frozen=True)
class ReconnectRequests:
    """What `request_reconnects` marked."""

    expired: int  # grant and pre-save now `needs_reconnect`
    asked: int  # asked to reconnect now (the ask goes out 7 days before the release)
    fan_ids: tuple[int, ...]  # the fans asked now


def refresh_expires_at(grant: SpotifyGrant) -> datetime:
    """When the grant's refresh token stops working (authorization + 183 days)."""
    return grant.authorized_at + REFRESH_TOKEN_LIFETIME


def expiring_before_release(
    session: Session, campaign: Campaign, *, now: datetime | None = None
) -> list[ExpiringGrant]:
    """Fans waiting on this release whose grant expires before it."""
    current = now or utcnow()
    cutoff = campaign.release_at - REFRESH_TOKEN_LIFETIME
    rows = session.execute(
        select(SpotifyGrant)
        .join(PreSave, PreSave.fan_id == SpotifyGrant.fan_id)
        .where(
            PreSave.campaign_id == campaign.id,
            PreSave.status.in_(WAITING),
            SpotifyGrant.status.in_((GrantStatus.ACTIVE, GrantStatus.NEEDS_RECONNECT)),
            SpotifyGrant.refresh_token_enc.is_not(None),
            SpotifyGrant.authorized_at < cutoff,
        )
        .order_by(SpotifyGrant.fan_id)
    ).scalars()
    found = []
    for grant in rows:
        expires = refresh_expires_at(grant)
        found.append(ExpiringGrant(grant.fan_id, grant.id, expires, expires <= current))
    return found


def request_reconnects(
    session: Session, campaign: Campaign, *, now: datetime | None = None
) -> ReconnectRequests:
    """Mark those fans: expired grants `needs_reconnect`; from 7 days before the release,
    each not asked before gets `reconnect_requested_at` (the ask is sent once)."""
    from core.services.reconnect_asks import ask_from

    current = now or utcnow()
    expired = asked = 0
    fan_ids = []
    asking = current >= ask_from(campaign)
    for item in expiring_before_release(session, campaign, now=current):
        grant = session.get(SpotifyGrant, item.grant_id)
        assert grant is not None
        if item.expired and grant.status != GrantStatus.NEEDS_RECONNECT:
            expired += 1
            grant.status = GrantStatus.NEEDS_RECONNECT
            presave = session.scalar(
                select(PreSave).where(
                    PreSave.campaign_id == campaign.id, PreSave.fan_id == item.fan_id
                )
            )
            if presave is not None:
                presave.status = PreSaveStatus.NEEDS_RECONNECT
        if asking and grant.reconnect_requested_at is None:
            grant.reconnect_requested_at = current
            asked += 1
            fan_ids.append(item.fan_id)
    session.flush()
    return ReconnectRequests(expired, asked, tuple(fan_ids))


def check_open_campaigns(database_url: str, now: datetime) -> tuple[dict[str, int], ByChannel]:
    """`request_reconnects` for every open campaign not released yet: how many were marked,
    and the deliveries of the reconnect asks made now (to queue)."""
    from core.services import reconnect_asks

    totals = {"expired": 0, "asked": 0}
    told: ByChannel = {}
    with transaction(database_url) as session:
        open_campaigns = session.scalars(
            select(Campaign).where(
                Campaign.status == CampaignStatus.OPEN, Campaign.release_at > now
            )
        )
        for campaign in list(open_campaigns):
            marked = request_reconnects(session, campaign, now=now)
            totals["expired"] += marked.expired
            totals["asked"] += marked.asked
            made = reconnect_asks.ask(session, campaign, list(marked.fan_ids), now)
            for channel, ids in made.items():
                told.setdefault(channel, []).extend(ids)
    return totals, told

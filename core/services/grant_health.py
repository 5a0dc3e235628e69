"""Grant health: refresh tokens die 6 months after authorization; ask fans to reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import Campaign, CampaignStatus, GrantStatus, PreSave, PreSaveStatus, SpotifyGrant
from core.providers.spotify import REFRESH_TOKEN_LIFETIME
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
    asked: int  # still working: `reconnect_requested_at` set
    fan_ids: tuple[int, ...]


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
    """Mark those fans: expired grants `needs_reconnect`, the others `reconnect_requested_at`."""
    current = now or utcnow()
    expired = asked = 0
    fan_ids = []
    for item in expiring_before_release(session, campaign, now=current):
        grant = session.get(SpotifyGrant, item.grant_id)
        assert grant is not None
        fan_ids.append(item.fan_id)
        if item.expired:
            expired += 1
            grant.status = GrantStatus.NEEDS_RECONNECT
            presave = session.scalar(
                select(PreSave).where(
                    PreSave.campaign_id == campaign.id, PreSave.fan_id == item.fan_id
                )
            )
            if presave is not None:
                presave.status = PreSaveStatus.NEEDS_RECONNECT
        else:
            asked += 1
        if grant.reconnect_requested_at is None:
            grant.reconnect_requested_at = current
    session.flush()
    return ReconnectRequests(expired, asked, tuple(fan_ids))


def check_open_campaigns(database_url: str, now: datetime) -> dict[str, int]:
    """`request_reconnects` for every open campaign not released yet: how many were marked."""
    totals = {"expired": 0, "asked": 0}
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
    return totals

"""The artist's list of campaigns: where each one is, and its fans, authorized and saved.

Counts for every campaign come from a fixed number of grouped queries, however many
campaigns the artists have.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import (
    Artist,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    FanLink,
    PreSave,
    PreSaveStatus,
    ScheduledMessage,
)
from core.services.drop import DROP_KIND, WAITING

CAMPAIGN_STATES = ("upcoming", "live", "released", "closed")
# Not authorized (any more): disconnected, or never connected because of the app's cap.
NOT_AUTHORIZED = (PreSaveStatus.CANCELLED, PreSaveStatus.QUOTA)
UNSENT = (DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class CampaignRow:
    """One campaign on the campaigns page."""

    id: int
    slug: str
    title: str
    artist: str
    keyword: str
    status: str  # one of CAMPAIGN_STATES
    release_at: datetime  # UTC
    timezone: str  # the campaign's zone name, for showing release_at locally
    fans: int
    authorized: int
    saved: int


def campaign_state(
    campaign: Campaign, now: datetime, *, presaves_waiting: bool, drop_unsent: bool
) -> str:
    """upcoming, live (the drop's work is running), released (done) or closed."""
    if campaign.status == CampaignStatus.CLOSED:
        return "closed"
    if campaign.detected_at is None and now < campaign.release_at:
        return "upcoming"
    return "live" if presaves_waiting or drop_unsent else "released"


def presave_counts(session: Session, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Pre-saves per status of each campaign: one grouped query."""
    rows = session.execute(
        select(PreSave.campaign_id, PreSave.status, func.count())
        .where(PreSave.campaign_id.in_(campaign_ids))
        .group_by(PreSave.campaign_id, PreSave.status)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for campaign_id, status, n in rows:
        out[int(campaign_id)][str(status)] = int(n)
    return out


def _fan_counts(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(FanLink.campaign_id, func.count())
        .where(FanLink.campaign_id.in_(campaign_ids))
        .group_by(FanLink.campaign_id)
    )
    return {int(c): int(n) for c, n in rows}


def _drop_unsent(session: Session, campaign_ids: list[int]) -> set[int]:
    """Campaigns whose drop message still has deliveries waiting to go out."""
    rows = session.scalars(
        select(ScheduledMessage.campaign_id)
        .where(
            ScheduledMessage.campaign_id.in_(campaign_ids),
            ScheduledMessage.kind == DROP_KIND,
            select(Delivery.id)
            .where(Delivery.message_id == ScheduledMessage.id, Delivery.status.in_(UNSENT))
            .exists(),
        )
        .distinct()
    )
    return {int(c) for c in rows}


def overview(session: Session, artist_ids: list[int], now: datetime) -> list[CampaignRow]:
    """The campaigns of these artists, soonest release first, with their state and counts."""
    if not artist_ids:
        return []
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.artist_id.in_(artist_ids))
            .order_by(Campaign.release_at, Campaign.id)
        )
    )
    ids = [c.id for c in campaigns]
    if not ids:
        return []
    names = {
        int(i): str(n)
        for i, n in session.execute(select(Artist.id, Artist.name).where(Artist.id.in_(artist_ids)))
    }
    presaves = presave_counts(session, ids)
    fans = _fan_counts(session, ids)
    unsent = _drop_unsent(session, ids)
    rows = []
    for campaign in campaigns:
        by_status = presaves.get(campaign.id, {})
        waiting = any(by_status.get(s) for s in WAITING)
        rows.append(
            CampaignRow(
                id=campaign.id,
                slug=campaign.slug,
                title=campaign.title,
                artist=names[campaign.artist_id],
                keyword=campaign.keyword,
                status=campaign_state(
                    campaign, now, presaves_waiting=waiting, drop_unsent=campaign.id in unsent
                ),
                release_at=campaign.release_at,
                timezone=campaign.timezone,
                fans=fans.get(campaign.id, 0),
                authorized=sum(n for s, n in by_status.items() if s not in NOT_AUTHORIZED),
                saved=by_status.get(PreSaveStatus.SAVED, 0),
            )
        )
    return rows

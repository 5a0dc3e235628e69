"""Drop day as the artist's page polls it: where the release is live, the save pace, the
drop messages per channel; and what marking a market live would affect.

Every figure is an indexed count or a short range read, so polling every few seconds on a
campaign of 100,000 fans stays cheap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from core.markets import ANY, MARKET_RE
from core.models import (
    Campaign,
    Delivery,
    DeliveryStatus,
    PreSave,
    PreSaveStatus,
    ScheduledMessage,
    SpotifyGrant,
)
from core.services import release_watch
from core.services.campaign_overview import presave_counts
from core.services.drop import DROP_KIND, WAITING
from core.validation import ValidationError

PACE_MINUTES = 30
SENT = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
FAILED = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED, DeliveryStatus.UNDELIVERABLE)
UNSENT = (DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENDING)
# Could not be saved: Spotify refused, the grant died, or the fan never got to connect.
NOT_SAVED = (PreSaveStatus.FAILED, PreSaveStatus.NEEDS_RECONNECT, PreSaveStatus.QUOTA)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def saves_per_minute(
    session: Session, campaign_id: int, now: datetime, minutes: int = PACE_MINUTES
) -> list[dict[str, Any]]:
    """Saves in each of the last `minutes` whole minutes (the current one last), oldest first.

    One statement of one range count per minute: each counts entries of the
    (campaign, saved_at) index, with no per-row function and no sort.
    """
    end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    starts = [end - timedelta(minutes=minutes - i) for i in range(minutes)]
    counts = session.execute(
        select(
            *(
                select(func.count())
                .where(
                    PreSave.campaign_id == campaign_id,
                    PreSave.saved_at >= start,
                    PreSave.saved_at < start + timedelta(minutes=1),
                )
                .scalar_subquery()
                for start in starts
            )
        )
    ).one()
    return [{"minute": _iso(s), "saves": int(n or 0)} for s, n in zip(starts, counts, strict=True)]


def _messages(session: Session, campaign_id: int) -> dict[str, dict[str, int]]:
    """The drop message's deliveries per channel: sent, delivered, failed, waiting."""
    message_ids = list(
        session.scalars(
            select(ScheduledMessage.id).where(
                ScheduledMessage.campaign_id == campaign_id, ScheduledMessage.kind == DROP_KIND
            )
        )
    )
    # Grouped in the index's own order, so counting needs no sort.
    rows = session.execute(
        select(Delivery.message_id, Delivery.channel, Delivery.status, func.count())
        .where(Delivery.message_id.in_(message_ids))
        .group_by(Delivery.message_id, Delivery.channel, Delivery.status)
    )
    out: dict[str, dict[str, int]] = {}
    for _, channel, status, n in rows:
        figures = out.setdefault(
            str(channel), {"sent": 0, "delivered": 0, "failed": 0, "waiting": 0}
        )
        if status in SENT:
            figures["sent"] += int(n)
        if status == DeliveryStatus.DELIVERED:
            figures["delivered"] += int(n)
        elif status in FAILED:
            figures["failed"] += int(n)
        elif status in UNSENT:
            figures["waiting"] += int(n)
    return out


def status(session: Session, campaign_id: int, now: datetime) -> dict[str, Any]:
    """The drop-day figures of a campaign, JSON-ready; {} when there is no such campaign.

    `sent` counts messages handed to the provider (delivered ones included).
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return {}
    found = release_watch.found_markets(session, campaign_id)
    pending = sorted(waiting_markets(session, campaign_id) - set(found))
    if ANY in pending and found:
        pending.remove(ANY)  # live somewhere is all we can know for fans of no known market
    by_status = presave_counts(session, [campaign_id]).get(campaign_id, {})
    return {
        "campaign_id": campaign_id,
        "release_at": _iso(campaign.release_at),
        "detected_at": _iso(campaign.detected_at),
        "detected_market": campaign.detected_market,
        "markets": [{"market": m, "found_at": _iso(at)} for m, at in found.items()]
        + [{"market": m, "found_at": None} for m in pending],
        "saves_per_minute": saves_per_minute(session, campaign_id, now),
        "presaves": {
            "saved": by_status.get(PreSaveStatus.SAVED, 0),
            "pending": sum(by_status.get(s, 0) for s in WAITING),
            "failed": sum(by_status.get(s, 0) for s in NOT_SAVED),
            "by_status": dict(sorted(by_status.items())),
        },
        "messages": _messages(session, campaign_id),
        "as_of": _iso(now),
    }


def waiting_markets(session: Session, campaign_id: int) -> set[str]:
    """The markets of the fans whose save still waits (`*` for unknown countries), as the
    release watch names them; fans saved or given up on no longer make a market pending.

    The drop copies each fan's market onto the pre-save, so once it ran this reads the
    (campaign, status, market) index alone; the grants are read only for the others.
    """
    waiting = (PreSave.campaign_id == campaign_id, PreSave.status.in_(WAITING))
    known = session.scalars(
        select(PreSave.market).where(*waiting, PreSave.market.is_not(None)).distinct()
    )
    unknown = session.scalars(
        select(SpotifyGrant.country)
        .select_from(PreSave)
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == PreSave.fan_id)
        .where(*waiting, PreSave.market.is_(None))
        .distinct()
    )
    return {str(c).upper() if c else ANY for c in [*known, *unknown]}


def _waiting_in(markets: list[str], first_find: bool) -> ColumnElement[bool]:
    """Pre-saves whose fan market is one of `markets` (`*`: every market); on the first find,
    also those of no known market, which the drop saves once the release is live anywhere."""
    if ANY in markets:
        return true()
    country = func.upper(func.coalesce(SpotifyGrant.country, PreSave.market))
    return or_(country.in_(markets), country.is_(None)) if first_find else country.in_(markets)


def mark_live_summary(session: Session, campaign_id: int, market: str | None) -> tuple[str, int]:
    """What `mark live` would do: the market(s) it records and how many waiting fans' saves
    it starts. None: every fan market not found yet, as mark_live does without a market.

    An unknown campaign or a market that is neither a country code nor `*` raises
    ValidationError.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ValidationError("campaign", f"no campaign {campaign_id}")
    if market is not None and market != ANY and not MARKET_RE.fullmatch(market):
        raise ValidationError("market", "a two-letter country code such as US, or *")
    markets = [market.upper()] if market else release_watch.markets_to_watch(session, campaign)
    if not markets:
        return "", 0
    fans = session.scalar(
        select(func.count())
        .select_from(PreSave)
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == PreSave.fan_id)
        .where(
            PreSave.campaign_id == campaign_id,
            PreSave.status.in_(WAITING),
            _waiting_in(markets, first_find=campaign.detected_at is None),
        )
    )
    return ", ".join(markets), int(fans or 0)

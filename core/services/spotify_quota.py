"""Spotify's quota 429 (QUOTA_EXCEEDED): saving stops for the whole app until the reset.

A rate-limit 429 only pauses (the shared limiter, Retry-After). A quota 429 closes the
waiting pre-saves as `quota` with the reason, tells their fans now (the drop message with
the release link) and notes it in each campaign's history, once per stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.models import Artist, AuditEntry, Campaign, PreSave, PreSaveStatus
from core.services import audit, drop, notify
from core.services.library import QUOTA_STOP_PREFIX, quota_error
from core.services.notify import ByChannel
from core.timeutil import utcnow

ACTION = "spotify_quota_exceeded"
# Two jobs meeting the same stop note it once per campaign.
NOTE_ONCE_WITHIN = timedelta(hours=1)


def stop_saving(session: Session, until: datetime) -> ByChannel:
    """Close every unclaimed pending pre-save of a released campaign as `quota`; the
    deliveries created for their fans (the alert path), by channel. Claimed ones meet the
    stop in their own job; campaigns not out yet keep theirs."""
    now = utcnow()
    released = select(Campaign.id).where(Campaign.detected_at.is_not(None))
    closed = session.execute(
        update(PreSave)
        .where(
            PreSave.status == PreSaveStatus.PENDING,
            PreSave.campaign_id.in_(released),  # a later drop meets the stop if it still holds
            or_(PreSave.next_attempt_at.is_(None), PreSave.next_attempt_at <= now),
        )
        .values(status=PreSaveStatus.QUOTA, last_error=quota_error(until), next_attempt_at=None)
        .returning(PreSave.campaign_id, PreSave.fan_id),
        execution_options={"synchronize_session": False},
    ).all()
    fans: dict[int, list[int]] = {}
    for campaign_id, fan_id in closed:
        fans.setdefault(int(campaign_id), []).append(int(fan_id))
    told: ByChannel = {}
    for campaign_id, fan_ids in sorted(fans.items()):
        message_id = drop.drop_message_id(session, campaign_id)
        made = notify.create_deliveries(session, message_id, campaign_id, sorted(fan_ids))
        for channel, ids in made.items():
            told.setdefault(channel, []).extend(ids)
    return told


def note_for_artists(session: Session, campaign_ids: set[int], until: datetime) -> int:
    """An entry in the history of each campaign the stop hit (once an hour); how many."""
    if not campaign_ids:
        return 0
    since = utcnow() - NOTE_ONCE_WITHIN
    noted = set(
        session.scalars(
            select(AuditEntry.campaign_id).where(
                AuditEntry.campaign_id.in_(campaign_ids),
                AuditEntry.action == ACTION,
                AuditEntry.at >= since,
            )
        )
    )
    rows = session.execute(
        select(Campaign.id, Artist.team_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Campaign.id.in_(campaign_ids - noted))
    ).all()
    detail = (
        f"Spotify said the app's quota is used up (QUOTA_EXCEEDED): saving stopped until "
        f"{until.strftime('%Y-%m-%d %H:%M UTC')}; the fans still waiting get the release link"
    )
    made = 0
    for campaign_id, team_id in rows:
        if team_id is not None:
            audit.record(session, team_id, None, ACTION, campaign_id, detail)
            made += 1
    return made


def campaigns_hit(session: Session, presave_ids: list[int]) -> set[int]:
    """The campaigns of these pre-saves."""
    if not presave_ids:
        return set()
    query = select(PreSave.campaign_id).where(PreSave.id.in_(presave_ids)).distinct()
    return {int(c) for c in session.scalars(query)}


@dataclass(frozen=True)
class QuotaStopNotice:
    """What a campaign's page says about a quota stop that hit it."""

    fans: int  # pre-saves closed by the stop (their fans got the release link)
    detail: str  # the latest history entry's words


def notice(session: Session, campaign_id: int) -> QuotaStopNotice | None:
    """The campaign's quota-stop notice, or None when no stop hit it."""
    fans = session.scalar(
        select(func.count()).where(
            PreSave.campaign_id == campaign_id,
            PreSave.status == PreSaveStatus.QUOTA,
            PreSave.last_error.startswith(QUOTA_STOP_PREFIX),
        )
    )
    detail = session.scalar(
        select(AuditEntry.detail)
        .where(AuditEntry.campaign_id == campaign_id, AuditEntry.action == ACTION)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if not fans and detail is None:
        return None
    return QuotaStopNotice(fans=int(fans or 0), detail=detail or "")

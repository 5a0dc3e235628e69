"""Reconnect asks: a fan whose Spotify grant dies before a release is asked once, 7 days
before that release, to connect again (a campaign may be scheduled months out, and a
reconnect then gives a grant that outlives the release).

The ask is a message of the campaign (kind `reconnect`) with one delivery per fan and
channel, so it goes through the usual sending (consent at send time, quiet hours, the
daily cap) and is never sent twice; it expires at the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, MessageStatus, PreSave, ScheduledMessage, SpotifyGrant
from core.services import grant_health, notify
from core.services.notify import ByChannel

KIND = "reconnect"
TEMPLATE = "reconnect_ask"
ASK_AHEAD = timedelta(days=7)
BODY = (
    '{{ artist }}\'s "{{ title }}" comes out {{ release_local }}. Spotify needs you to '
    "reconnect so we can save it for you: {{ link }}"
)


def ask_from(campaign: Campaign) -> datetime:
    """When the campaign's reconnect asks go out."""
    return campaign.release_at - ASK_AHEAD


def _message_id(session: Session, campaign: Campaign, now: datetime) -> int:
    """The campaign's one reconnect message (created on first call)."""
    found = session.scalar(
        select(ScheduledMessage.id).where(
            ScheduledMessage.campaign_id == campaign.id, ScheduledMessage.kind == KIND
        )
    )
    if found is not None:
        return int(found)
    message = ScheduledMessage(
        campaign_id=campaign.id, kind=KIND, template=TEMPLATE, body=BODY,
        channels="sms,discord", send_at=now, expires_at=campaign.release_at,
        status=MessageStatus.SENDING,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message.id


def ask(session: Session, campaign: Campaign, fan_ids: list[int], now: datetime) -> ByChannel:
    """Deliveries of the reconnect ask for these fans (only the ones not made before)."""
    if not fan_ids:
        return {}
    message_id = _message_id(session, campaign, now)
    return notify.create_deliveries(session, message_id, campaign.id, sorted(fan_ids))


@dataclass(frozen=True)
class ReconnectCounts:
    """What a campaign's page says about grants that die before its release."""

    dying: int  # fans waiting on the release whose grant dies before it
    asked: int  # of them, those asked to reconnect
    ask_from: datetime


def counts(session: Session, campaign: Campaign, now: datetime) -> ReconnectCounts:
    """The campaign's reconnect counts (read only)."""
    dying = grant_health.expiring_before_release(session, campaign, now=now)
    asked = 0
    if dying:
        asked = int(
            session.scalar(
                select(func.count())
                .select_from(SpotifyGrant)
                .join(PreSave, PreSave.fan_id == SpotifyGrant.fan_id)
                .where(
                    PreSave.campaign_id == campaign.id,
                    SpotifyGrant.id.in_([d.grant_id for d in dying]),
                    SpotifyGrant.reconnect_requested_at.is_not(None),
                )
            )
            or 0
        )
    return ReconnectCounts(dying=len(dying), asked=asked, ask_from=ask_from(campaign))

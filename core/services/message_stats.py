"""What each scheduled message of a campaign did, and what it cost.

Per message: how many deliveries went out and how they ended, how many fans opted out
(STOP, /stopalerts, or a carrier opt-out) within 24 hours after it was sent to them on the
same channel, and how many opened their personal link or the release link within 24 hours
after it. Three queries per campaign, none a join with the event log: the messages, their
deliveries grouped by channel and status (read from one index alone), and the opt-outs and
clicks counted from `message_reactions` (kept current as events are recorded, see
core/services/message_reactions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus, MessageReaction, ScheduledMessage
from core.services import message_reactions

SENT, ARRIVED = "_sent", "_arrived"  # keys of the per-message counts beside the statuses
FAILED = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED, DeliveryStatus.UNDELIVERABLE)


@dataclass(frozen=True)
class MessageStats:
    """One scheduled message's numbers (deliveries, except opt-outs and clicks: fans)."""

    message_id: int
    kind: str  # countdown | drop
    template: str
    send_at: datetime
    sent: int = 0  # handed to the provider (whatever came of it after)
    delivered: int = 0  # the provider confirmed it arrived (SMS), or a Discord DM sent
    failed: int = 0  # failed, undelivered, or refused by the channel
    held: int = 0  # waiting for quiet hours or the daily cap to end
    skipped: int = 0  # no longer true when it could have gone out
    opt_outs: int = 0  # fans who opted out on that channel within 24 h after it
    clicks: int = 0  # fans who opened their link or the release within 24 h after it


def _reactions(session: Session, campaign_id: int) -> dict[tuple[int, str], int]:
    """(message, reaction) -> fans, counted from the rollup kept by message_reactions."""
    r = MessageReaction.__table__.c
    query = (
        select(r.message_id, r.kind, func.count())
        .join(ScheduledMessage, ScheduledMessage.id == r.message_id)
        .where(ScheduledMessage.campaign_id == campaign_id)
        .group_by(r.message_id, r.kind)
    )
    return {(int(m), str(k)): int(n) for m, k, n in session.execute(query)}


def _statuses(session: Session, campaign_id: int) -> dict[int, dict[str, int]]:
    """Per message: deliveries by status, how many were sent (`sent_at` set), and how
    many arrived (SMS `delivered`; a Discord DM sent has arrived: Discord says no more)."""
    query = (
        select(
            Delivery.message_id,
            Delivery.channel,
            Delivery.status,
            func.count(),
            func.count(Delivery.sent_at),
        )
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .where(ScheduledMessage.campaign_id == campaign_id)
        .group_by(Delivery.message_id, Delivery.channel, Delivery.status)
    )
    found: dict[int, dict[str, int]] = {}
    for message_id, channel, status, count, sent in session.execute(query):
        counts = found.setdefault(int(message_id), {})
        counts[str(status)] = counts.get(str(status), 0) + int(count)
        counts[SENT] = counts.get(SENT, 0) + int(sent)
        arrived = status == DeliveryStatus.DELIVERED or (
            channel == "discord" and status == DeliveryStatus.SENT
        )
        counts[ARRIVED] = counts.get(ARRIVED, 0) + (int(count) if arrived else 0)
    return found


def for_campaign(session: Session, campaign_id: int) -> list[MessageStats]:
    """Every scheduled message of the campaign, by send time, with its numbers."""
    messages = session.execute(
        select(
            ScheduledMessage.id,
            ScheduledMessage.kind,
            ScheduledMessage.template,
            ScheduledMessage.send_at,
        )
        .where(ScheduledMessage.campaign_id == campaign_id)
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    ).all()
    statuses = _statuses(session, campaign_id)
    reactions = _reactions(session, campaign_id)
    rows = []
    for message_id, kind, template, send_at in messages:
        counts = statuses.get(message_id, {})
        rows.append(
            MessageStats(
                message_id=message_id,
                kind=kind,
                template=template,
                send_at=send_at,
                sent=counts.get(SENT, 0),
                delivered=counts.get(ARRIVED, 0),
                failed=sum(counts.get(s, 0) for s in FAILED),
                held=counts.get(DeliveryStatus.HELD, 0),
                skipped=counts.get(DeliveryStatus.SKIPPED, 0),
                opt_outs=reactions.get((message_id, message_reactions.OPT_OUT), 0),
                clicks=reactions.get((message_id, message_reactions.CLICK), 0),
            )
        )
    return rows

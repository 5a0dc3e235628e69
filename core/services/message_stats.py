"""What each scheduled message of a campaign did, and what it cost.

Per message: how many deliveries went out and how they ended, how many fans opted out
(STOP, /stopalerts, or a carrier opt-out) within 24 hours after it was sent to them on the
same channel, and how many opened their personal link or the release link within 24 hours
after it. Three set-based queries per campaign, whatever its size: statuses grouped, then
the opt-outs and the clicks, each a join of the message's deliveries with the events in
their window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, and_, func, literal, select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus, Event, ScheduledMessage
from core.services import events

WINDOW = timedelta(hours=24)
OPT_OUT_KINDS = ("stop", "carrier_opt_out")
CLICK_KINDS = (events.LINK_OPENED, events.RELEASE_CLICKED)
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


def _window_end(session: Session, start: Any) -> Any:
    """`start` + 24 h in SQL: SQLite keeps timestamps as text, PostgreSQL as timestamptz."""
    if session.get_bind().dialect.name == "sqlite":
        hours = int(WINDOW.total_seconds() // 3600)
        return func.strftime("%Y-%m-%d %H:%M:%f", start, f"+{hours} hours")
    return start + literal(WINDOW, Interval())


def _fans_after(session: Session, campaign_id: int, match: ColumnElement[bool]) -> dict[int, int]:
    """Per message of the campaign: distinct fans with an event matching `match` within
    the window after their delivery was sent."""
    sent_at = Delivery.sent_at
    query = (
        select(Delivery.message_id, func.count(func.distinct(Delivery.fan_id)))
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .join(
            Event,
            and_(
                Event.fan_id == Delivery.fan_id,
                match,
                Event.at >= sent_at,
                Event.at < _window_end(session, sent_at),
            ),
        )
        .where(ScheduledMessage.campaign_id == campaign_id, sent_at.is_not(None))
        .group_by(Delivery.message_id)
    )
    return {int(m): int(n) for m, n in session.execute(query)}


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
    opt_outs = _fans_after(
        session,
        campaign_id,
        and_(Event.kind.in_(OPT_OUT_KINDS), Event.channel == Delivery.channel),
    )
    clicks = _fans_after(
        session,
        campaign_id,
        and_(Event.kind.in_(CLICK_KINDS), Event.campaign_id == ScheduledMessage.campaign_id),
    )
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
                opt_outs=opt_outs.get(message_id, 0),
                clicks=clicks.get(message_id, 0),
            )
        )
    return rows

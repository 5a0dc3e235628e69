"""Scheduled messages going out: due ones found, their deliveries made in chunks (one per
consenting fan and channel), and each marked done once nothing of it is left to send.

The database is the truth: a message stays `scheduled` until every delivery of it exists,
so a planning job that dies is simply run again (deliveries are unique).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    MessageStatus,
    ScheduledMessage,
)
from core.services import notify
from core.services.notify import ByChannel
from core.timeutil import utcnow

PLAN_CHUNK = 5000
COUNTDOWN = "countdown"
OPEN = (*notify.PENDING, DeliveryStatus.SENDING)


def due(session: Session, now: datetime) -> list[int]:
    """Countdown messages whose time has come, oldest first; those already past their
    moment (the clock was down until after the release) are skipped instead."""
    rows = session.execute(
        select(ScheduledMessage.id, ScheduledMessage.expires_at)
        .where(
            ScheduledMessage.kind == COUNTDOWN,
            ScheduledMessage.status == MessageStatus.SCHEDULED,
            ScheduledMessage.send_at <= now,
        )
        .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    ).all()
    late = [i for i, expires in rows if expires is not None and now >= expires]
    if late:
        session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id.in_(late))
            .values(status=MessageStatus.SKIPPED),
            execution_options={"synchronize_session": False},
        )
    return [i for i, expires in rows if i not in late]


def plan_chunk(session: Session, message_id: int, after_fan: int) -> tuple[ByChannel, int | None]:
    """Deliveries for the next chunk of consenting fans (fan id above `after_fan`); the ids
    made, and the last fan id of the chunk (None once every fan has one, or the message
    is no longer scheduled)."""
    message = session.get(ScheduledMessage, message_id)
    if message is None or message.status != MessageStatus.SCHEDULED:
        return {}, None
    channels = [c for c in message.channels.split(",") if c]
    fans = list(
        session.scalars(
            select(Consent.fan_id)
            .where(
                Consent.campaign_id == message.campaign_id,
                Consent.channel.in_(channels),
                Consent.status == ConsentStatus.OPTED_IN,
                Consent.fan_id > after_fan,
            )
            .group_by(Consent.fan_id)
            .order_by(Consent.fan_id)
            .limit(PLAN_CHUNK)
        )
    )
    if not fans:
        message.status = MessageStatus.SENDING
        return {}, None
    created = notify.create_deliveries(session, message_id, message.campaign_id, fans)
    return created, fans[-1]


def finish(session: Session) -> int:
    """Messages going out with no delivery left to send are done; returns how many."""
    pending = exists().where(Delivery.message_id == ScheduledMessage.id, Delivery.status.in_(OPEN))
    done = session.execute(
        update(ScheduledMessage)
        .where(
            ScheduledMessage.kind == COUNTDOWN,
            ScheduledMessage.status == MessageStatus.SENDING,
            ~pending,
        )
        .values(status=MessageStatus.DONE),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(done, "rowcount", 0) or 0)


def cancel(session: Session, message: ScheduledMessage) -> int:
    """Cancel a message and what of it is still waiting; returns the deliveries cancelled."""
    message.status = MessageStatus.CANCELLED
    cancelled = session.execute(
        update(Delivery)
        .where(Delivery.message_id == message.id, Delivery.status.in_(notify.PENDING))
        .values(
            status=DeliveryStatus.CANCELLED, error="cancelled by the artist", updated_at=utcnow()
        ),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(cancelled, "rowcount", 0) or 0)


def with_counts(
    session: Session, campaign_id: int
) -> list[tuple[ScheduledMessage, dict[str, int]]]:
    """The campaign's messages, soonest first, each with its deliveries by status."""
    messages = list(
        session.scalars(
            select(ScheduledMessage)
            .where(ScheduledMessage.campaign_id == campaign_id)
            .order_by(ScheduledMessage.send_at, ScheduledMessage.id)
        )
    )
    counts: dict[int, dict[str, int]] = {}
    # Grouped in the order of the (message_id, channel, status) index, so the count walks
    # the index instead of sorting every delivery; the channels are summed here.
    rows = session.execute(
        select(Delivery.message_id, Delivery.channel, Delivery.status, func.count())
        .where(Delivery.message_id.in_([m.id for m in messages]))
        .group_by(Delivery.message_id, Delivery.channel, Delivery.status)
    )
    for message_id, _channel, status, n in rows:
        by_status = counts.setdefault(message_id, {})
        by_status[str(status)] = by_status.get(str(status), 0) + int(n)
    return [(m, counts.get(m.id, {})) for m in messages]


def listing(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's messages, soonest first, with their deliveries by status."""
    return [
        {
            "id": m.id, "kind": m.kind, "template": m.template, "send_at": m.send_at.isoformat(),
            "channels": m.channels.split(","), "status": m.status, "deliveries": counts,
        }
        for m, counts in with_counts(session, campaign_id)
    ]  # fmt: skip

"""Delivery status from the provider: move forward only, and honour opt-outs it reports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus
from core.services import consent, events, funnel_events

TWILIO_OPTED_OUT = "21610"
# Twilio's message statuses mapped to ours; None: in flight, nothing to record.
TWILIO_STATUSES: dict[str, DeliveryStatus | None] = {
    "queued": None,
    "accepted": None,
    "scheduled": None,
    "sending": None,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.CANCELLED,
}
# A later callback never moves a delivery backwards (callbacks can arrive out of order).
RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.HELD: 0,
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.UNDELIVERED: 2,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.CANCELLED: 2,
    DeliveryStatus.UNDELIVERABLE: 2,
}


class UnknownStatus(ValueError):
    """Not one of Twilio's documented message statuses."""


def _reported(session: Session, message_sid: str, delivery_id: int | None) -> Delivery | None:
    """The delivery a callback is about: by its Sid, or by the id our StatusCallback URL
    carries (the callback can come before the send batch has stored the Sid: it is stored
    now, unless that delivery already went out as another message)."""
    # Locked (PostgreSQL): two callbacks for one message settle one after the other, so a
    # repeated `delivered` finds it delivered and records no second event.
    by_sid = select(Delivery).where(Delivery.provider_id == message_sid).with_for_update()
    delivery = session.scalar(by_sid)
    if delivery is not None or delivery_id is None:
        return delivery
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.channel != "sms" or delivery.provider_id is not None:
        return None
    delivery.provider_id = message_sid
    return delivery


def apply_twilio_status(
    session: Session,
    message_sid: str,
    status: str,
    error_code: str | None,
    sender: str,
    delivery_id: int | None = None,
) -> Delivery | None:
    """Update the delivery Twilio reports on (`delivery_id`: ours, from the callback URL);
    None when we sent no such message."""
    if status not in TWILIO_STATUSES:
        raise UnknownStatus(status)
    delivery = _reported(session, message_sid, delivery_id)
    if delivery is None:
        return None
    new = TWILIO_STATUSES[status]
    if new is not None and RANK[new] > RANK[DeliveryStatus(delivery.status)]:
        delivery.status = new
        if new is DeliveryStatus.DELIVERED:
            funnel_events.on_delivered(session, delivery.id)
    if error_code:
        delivery.error_code = error_code[:16]
    if error_code == TWILIO_OPTED_OUT:
        consent.opt_out(session, delivery.fan_id, delivery.channel, sender, reason="twilio_21610")
        events.record(session, "carrier_opt_out", fan_id=delivery.fan_id, channel=delivery.channel)
    return delivery

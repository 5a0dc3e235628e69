"""Rows the funnel-event tests make by hand: a fan opted in with a personal link, and a
message delivered to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Delivery, DeliveryStatus, Event, ScheduledMessage
from core.services import consent, fans, links
from core.services.fans import Place
from core.timeutil import utcnow


def opted_in_fan(
    session: Session,
    campaign_id: int,
    phone: str,
    *,
    channel: str = "sms",
    source: str = "tiktok",
    country: str | None = "US",
    region: str | None = None,
) -> tuple[int, str]:
    """A fan opted in to the campaign on `channel` from `source`; (fan id, link code)."""
    column = "phone_e164" if channel == "sms" else "discord_user_id"
    fan_id, _ = fans.fan_id_for(session, column, phone, Place(country=country, region=region))
    consent.opt_in(session, fan_id, campaign_id, channel, "+15005550006", source)
    code, _ = links.issue_code(session, fan_id, campaign_id, source)
    session.commit()
    return fan_id, code


def message(session: Session, campaign_id: int, kind: str, send_at: datetime | None = None) -> int:
    """A scheduled message of the campaign (kind: drop | countdown), being sent."""
    row = ScheduledMessage(
        campaign_id=campaign_id,
        kind=kind,
        template="drop_alert" if kind == "drop" else "countdown-1d",
        send_at=send_at or utcnow(),
        status="sending",
    )
    session.add(row)
    session.commit()
    return row.id


def delivery(
    session: Session,
    message_id: int,
    fan_id: int,
    channel: str = "sms",
    *,
    status: str = DeliveryStatus.SENDING,
    sid: str | None = None,
    sent_at: datetime | None = None,
) -> int:
    """One delivery of the message to the fan."""
    row = Delivery(
        message_id=message_id,
        fan_id=fan_id,
        channel=channel,
        status=status,
        provider_id=sid,
        sent_at=sent_at,
    )
    session.add(row)
    session.commit()
    return row.id


def events_of(session: Session, kind: str) -> list[tuple[object, ...]]:
    """(campaign, fan, channel, source, country, region) of every `kind` event, in order."""
    rows = session.execute(
        select(
            Event.campaign_id,
            Event.fan_id,
            Event.channel,
            Event.source,
            Event.country,
            Event.region,
        )
        .where(Event.kind == kind)
        .order_by(Event.id)
    )
    return [tuple(row) for row in rows]

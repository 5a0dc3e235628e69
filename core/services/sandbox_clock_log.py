"""What the workers did for one campaign, newest first, for the sandbox clock's live log:
texts and DMs sent (phone numbers masked), fans who joined or connected, saves, the drop's
detection; and where the campaign stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Delivery, Event, Fan, ScheduledMessage
from core.services import campaigns
from core.services.events import AUTHORIZED, OPT_IN, SAVED
from core.services.fans import mask_phone
from core.services.release_watch import EVENT_KIND as DETECTED

LIMIT = 40
EVENTS = {OPT_IN: "joined", AUTHORIZED: "connected Spotify", SAVED: "saved the release",
          DETECTED: "release found live"}  # fmt: skip
JOINED_VIA = {"sms": "by text", "discord": "on Discord", "web": "on the web"}
CHANNELS = {"sms": "text", "discord": "Discord DM"}
SHOWN_STATUSES = ("sent", "delivered", "undelivered", "failed", "undeliverable", "held")


def who(phone: str | None, discord_user_id: str | None) -> str:
    """A fan as the log names them: masked phone, else Discord user, else "a fan"."""
    if phone:
        return mask_phone(phone)
    if discord_user_id:
        return f"Discord user {discord_user_id}"
    return "a fan"


def _deliveries(session: Session, campaign_id: int) -> list[tuple[datetime, str]]:
    rows = session.execute(
        select(
            Delivery.status,
            Delivery.channel,
            Delivery.sent_at,
            Delivery.updated_at,
            ScheduledMessage.template,
            ScheduledMessage.kind,
            Fan.phone_e164,
            Fan.discord_user_id,
        )
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .join(Fan, Fan.id == Delivery.fan_id)
        .where(ScheduledMessage.campaign_id == campaign_id, Delivery.status.in_(SHOWN_STATUSES))
        .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(LIMIT)
    )
    found = []
    for status, channel, sent_at, updated_at, template, kind, phone, discord_id in rows:
        what = "drop alert" if kind == "drop" else f"countdown {template}"
        to = who(phone if channel == "sms" else None, discord_id if channel != "sms" else None)
        line = f"{CHANNELS.get(channel, channel)} {status}: {what} to {to}"
        found.append((sent_at or updated_at, line))
    return found


def _events(session: Session, campaign_id: int) -> list[tuple[datetime, str]]:
    rows = session.execute(
        select(
            Event.kind, Event.at, Event.channel, Event.country, Fan.phone_e164, Fan.discord_user_id
        )
        .outerjoin(Fan, Fan.id == Event.fan_id)
        .where(Event.campaign_id == campaign_id, Event.kind.in_(EVENTS))
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(LIMIT)
    )
    found = []
    for kind, at, channel, country, phone, discord_id in rows:
        fan = who(phone, discord_id)
        if kind == DETECTED:
            line = f"release found live in {country or 'some market'}: the drop starts"
        elif kind == OPT_IN:
            line = f"{fan} joined {JOINED_VIA.get(channel or '', '')}".rstrip()
        else:
            line = f"{fan} {EVENTS[kind]}"
        found.append((at, line))
    return found


def status(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Where the campaign stands: release, detection, fans, saves, messages."""
    counts = campaigns.campaign_counts(session, campaign.id)
    return {
        "campaign": campaign.id,
        "title": campaign.title,
        "release_at": campaign.release_at.isoformat(),
        "detected_at": campaign.detected_at.isoformat() if campaign.detected_at else None,
        "live_in": sorted(campaigns.campaign_drop(session, campaign)["markets"]),
        "fans": counts["fans"],
        "presaves": counts["presaves"],
        "deliveries": counts["deliveries"],
    }


def log(session: Session, campaign: Campaign) -> dict[str, Any]:
    """The live log's JSON: `status` and the latest `entries` ({at, text}), newest first."""
    merged = sorted(
        _deliveries(session, campaign.id) + _events(session, campaign.id),
        key=lambda row: row[0],
        reverse=True,
    )[:LIMIT]
    entries = [{"at": at.isoformat(), "text": text} for at, text in merged]
    return {"status": status(session, campaign), "entries": entries}

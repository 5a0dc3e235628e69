"""What each claimed delivery says, and whether it may go out now.

In order: a fan whose Discord DMs are closed is not tried; a message no longer true (a
countdown after the release) is skipped; an SMS outside the fan's 08:00-21:00 (20:00 in
Florida) is held to the next allowed time; a countdown beyond 3 messages per campaign,
fan and channel in 24 hours (one kept for the drop alert when the release is within a day)
is held until one leaves the window. A hold that would end after the message stops being
true skips it instead. Consent is checked by the sender right before each message goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import (
    Artist,
    Campaign,
    Delivery,
    DeliveryStatus,
    Fan,
    FanLink,
    PreSave,
    PreSaveStatus,
    ScheduledMessage,
)
from core.quiet_hours import hold_until, number_zone
from core.services import notify
from core.services.links import link_url
from core.services.notify import Outgoing
from messages import catalog, render, render_string

CAP = 3
CAP_WINDOW = timedelta(hours=24)
COUNTED = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
DISCORD_FOOTER = "\n\n(`/stopalerts` stops these messages.)"


def sms_text(program: str, body: str) -> str:
    """An SMS as it goes out: it names the program and says how to stop (CTIA)."""
    text = body if body.startswith(f"{program}:") else f"{program}: {body}"
    return text if "STOP" in text.upper() else f"{text} Reply STOP to opt out."


def for_channel(channel: str, program: str, body: str) -> str:
    """A scheduled message's text on its channel."""
    return sms_text(program, body) if channel == "sms" else body + DISCORD_FOOTER


Recent = dict[tuple[int, int, str], list[datetime]]  # send times by (fan, campaign, channel)


@dataclass(frozen=True)
class _Row:
    delivery: Delivery
    fan: Fan
    message: ScheduledMessage
    campaign: Campaign
    artist: str
    presave: str | None
    code: str | None


def _rows(session: Session, ids: Sequence[int]) -> list[_Row]:
    rows = session.execute(
        select(Delivery, Fan, ScheduledMessage, Campaign, Artist.name, PreSave.status, FanLink.code)
        .join(Fan, Fan.id == Delivery.fan_id)
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .join(Campaign, Campaign.id == ScheduledMessage.campaign_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .outerjoin(PreSave, (PreSave.campaign_id == Campaign.id) & (PreSave.fan_id == Fan.id))
        .outerjoin(FanLink, (FanLink.campaign_id == Campaign.id) & (FanLink.fan_id == Fan.id))
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
    )
    return [_Row(*row) for row in rows]


def _recent(
    session: Session, rows: list[_Row], now: datetime
) -> dict[tuple[int, int, str], list[datetime]]:
    """Send times in the last 24 hours per (fan, campaign, channel), for the countdowns here."""
    keys = {(r.fan.id, r.campaign.id) for r in rows if r.message.kind != "drop"}
    if not keys:
        return {}
    when = func.coalesce(Delivery.sent_at, Delivery.updated_at)
    found = session.execute(
        select(Delivery.fan_id, ScheduledMessage.campaign_id, Delivery.channel, when)
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .where(
            Delivery.fan_id.in_({fan for fan, _ in keys}),
            ScheduledMessage.campaign_id.in_({c for _, c in keys}),
            Delivery.status.in_(COUNTED),
            Delivery.id.not_in([r.delivery.id for r in rows]),
            when > now - CAP_WINDOW,
        )
    )
    recent: dict[tuple[int, int, str], list[datetime]] = {}
    for fan, campaign, channel, at in found:
        recent.setdefault((fan, campaign, channel), []).append(at)
    return recent


def _cap_hold(row: _Row, sent: list[datetime], now: datetime) -> datetime | None:
    """When a countdown may go without passing the daily cap (None: now)."""
    keep = 1 if row.campaign.release_at - now < CAP_WINDOW else 0  # room for the drop alert
    over = len(sent) + keep + 1 - CAP
    if over <= 0:
        return None
    return sorted(sent)[over - 1] + CAP_WINDOW


def _zone(row: _Row) -> str:
    return row.fan.timezone or number_zone(row.fan.phone_e164) or row.campaign.timezone


def _text(row: _Row, public_url: str, program: str, now: datetime) -> str:
    """The delivery's words for this fan."""
    campaign, message, channel = row.campaign, row.message, row.delivery.channel
    release = f"https://open.spotify.com/album/{campaign.release_album_id}"
    if message.kind == "drop" and message.body is None:
        reconnect = row.presave == PreSaveStatus.NEEDS_RECONNECT and row.code is not None
        return render(
            "drop_alert_discord" if channel == "discord" else "drop_alert",
            program=program, artist=row.artist, title=campaign.title, release_link=release,
            saved=row.presave == PreSaveStatus.SAVED,
            reconnect_link=link_url(public_url, row.code) if reconnect and row.code else None,
        )  # fmt: skip
    fan_link = link_url(public_url, row.code) if row.code else f"{public_url}/c/{campaign.slug}"
    link = release if message.kind == "drop" else fan_link
    filled = values(campaign, row.artist, link, _zone(row), now, row.presave == PreSaveStatus.SAVED)
    return for_channel(channel, program, render_string(message.body or "", **filled))


def values(
    campaign: Campaign, artist: str, link: str, zone: str | None, now: datetime, saved: bool
) -> dict[str, Any]:
    """A scheduled message's variables for one fan at `now`."""
    return {
        "artist": artist,
        "title": campaign.title,
        "link": link,
        "time_left": catalog.time_left(campaign.release_at - now),
        "release_local": catalog.release_local(campaign.release_at, zone, campaign.timezone),
        "saved": saved,
    }


def _hold(row: _Row, recent: Recent, now: datetime) -> tuple[datetime | None, str]:
    """Until when the delivery must wait (None: it may go now), and why."""
    fan, channel = row.fan, row.delivery.channel
    if channel == "sms":
        held = hold_until(now, fan.phone_e164, fan.timezone, fan.region, fan.country)
        if held is not None:
            return held, "quiet hours in the fan's time zone"
    if row.message.kind == "drop":
        return None, ""
    sent = recent.get((fan.id, row.campaign.id, channel), [])
    return _cap_hold(row, sent, now), f"at most {CAP} messages a day per campaign"


def _set_aside(session: Session, row: _Row, recent: Recent, now: datetime) -> bool:
    """Hold, skip or give up on a delivery that may not go now; False when it may."""
    delivery, message = row.delivery, row.message
    if delivery.channel == "discord" and not notify.dm_open(row.fan, now):
        error = "Discord refuses DMs to this fan (50007); tried again once they run a command"
        notify.set_status(session, delivery.id, DeliveryStatus.UNDELIVERABLE, error=error)
        return True
    expires = message.expires_at if message.kind != "drop" else None
    if expires is not None and (now >= expires or row.campaign.detected_at is not None):
        why = "the release is out: this message is no longer true"
        notify.set_status(session, delivery.id, DeliveryStatus.SKIPPED, error=why)
        return True
    held, why = _hold(row, recent, now)
    if held is None:
        return False
    if expires is not None and held >= expires:
        notify.set_status(
            session, delivery.id, DeliveryStatus.SKIPPED, error=f"{why} until the release"
        )
    else:
        notify.set_status(session, delivery.id, DeliveryStatus.HELD, not_before=held)
    return True


def prepare(
    session: Session, delivery_ids: Sequence[int], public_url: str, program: str, now: datetime
) -> list[Outgoing]:
    """The claimed deliveries that may go out now, worded; the others held or set aside."""
    rows = _rows(session, delivery_ids)
    recent = _recent(session, rows, now)
    ready = []
    for row in rows:
        if _set_aside(session, row, recent, now):
            continue
        fan, channel = row.fan, row.delivery.channel
        to = (fan.discord_user_id if channel == "discord" else fan.phone_e164) or ""
        dm_channel = fan.discord_dm_channel_id if channel == "discord" else None
        body = _text(row, public_url, program, now)
        ready.append(
            Outgoing(row.delivery.id, fan.id, row.campaign.id, channel, to, body, dm_channel)
        )
    return ready

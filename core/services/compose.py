"""What each claimed delivery says, and whether it may go out now.

In order: a fan whose Discord DMs are closed is not tried; a message no longer true (a
countdown after the release) is skipped; an SMS outside the fan's window (08:00-21:00
local, narrower in some states: core.quiet_hours) is held to the next allowed time; a
countdown beyond 3 messages per campaign, fan and channel in any rolling 24 hours (one kept
for the drop alert when the release is within a day) is held until one leaves the window.
A hold that would end after the message stops being true skips it instead. Consent is
checked by the sender right before each message goes out.
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
from core.services.campaigns import campaign_public_link
from core.services.drop import DROP_KIND
from core.services.links import album_link, link_url
from core.services.notify import Outgoing
from core.services.release_link import release_link
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


def _recent(session: Session, rows: list[_Row], now: datetime) -> Recent:
    """Send times in the last 24 hours per (fan, campaign, channel), for the countdowns here."""
    keys = {(r.fan.id, r.campaign.id) for r in rows if r.message.kind != DROP_KIND}
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
    recent: Recent = {}
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


def fan_link(public_url: str, campaign: Campaign, code: str | None) -> str:
    """The fan's own link, or the campaign's page for a fan who has none."""
    return link_url(public_url, code) if code else campaign_public_link(public_url, campaign)


def fan_zone(fan: Fan) -> str | None:
    """The fan's time zone: the one kept for them, else their number's (None: unknown)."""
    return fan.timezone or number_zone(fan.phone_e164)


@dataclass(frozen=True)
class Words:
    """What a scheduled text is filled with for one fan on one channel."""

    campaign: Campaign
    artist: str
    channel: str
    link: str  # the fan's own link, or the release for drop-live
    zone: str | None
    saved: bool


def scheduled_text(words: Words, program: str, body: str, now: datetime) -> str:
    """A scheduled message's text for one fan at `now`, as it goes out on its channel."""
    filled = values(words.campaign, words.artist, words.link, words.zone, now, words.saved)
    return for_channel(words.channel, program, render_string(body, **filled))


def _text(row: _Row, public_url: str, program: str, now: datetime) -> str:
    """The delivery's words for this fan."""
    campaign, message, channel = row.campaign, row.message, row.delivery.channel
    release = album_link(campaign.release_album_id or "")
    if row.code:  # through /r/<code>, which counts the click
        release = release_link(public_url, row.code, channel)
    saved = row.presave == PreSaveStatus.SAVED
    if message.kind == DROP_KIND and message.body is None:
        reconnect = row.code if row.presave == PreSaveStatus.NEEDS_RECONNECT else None
        return render(
            "drop_alert_discord" if channel == "discord" else "drop_alert",
            program=program, artist=row.artist, title=campaign.title, release_link=release,
            saved=saved, reconnect_link=link_url(public_url, reconnect) if reconnect else None,
        )  # fmt: skip
    link = release if message.kind == DROP_KIND else fan_link(public_url, campaign, row.code)
    zone = fan_zone(row.fan) or campaign.timezone
    words = Words(campaign, row.artist, channel, link, zone, saved)
    return scheduled_text(words, program, message.body or "", now)


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
            return held, "quiet hours in the fan's state and time zone"
    if row.message.kind == DROP_KIND:
        return None, ""
    sent = recent.get((fan.id, row.campaign.id, channel), [])
    return _cap_hold(row, sent, now), f"at most {CAP} messages a day per campaign"


def _set_aside(row: _Row, recent: Recent, now: datetime) -> notify.SetAside | None:
    """Why a delivery may not go now (held, skipped or undeliverable); None when it may."""
    delivery, message = row.delivery, row.message
    if delivery.channel == "discord" and not notify.dm_open(row.fan, now):
        error = "Discord refuses DMs to this fan (50007); tried again once they run a command"
        return notify.SetAside(delivery.id, DeliveryStatus.UNDELIVERABLE, error=error)
    expires = message.expires_at  # None for the drop alert
    if expires is not None and (now >= expires or row.campaign.detected_at is not None):
        why = "the release is out: this message is no longer true"
        return notify.SetAside(delivery.id, DeliveryStatus.SKIPPED, error=why)
    held, why = _hold(row, recent, now)
    if held is None:
        return None
    if expires is not None and held >= expires:
        why = f"{why} until the release"
        return notify.SetAside(delivery.id, DeliveryStatus.SKIPPED, error=why)
    return notify.SetAside(delivery.id, DeliveryStatus.HELD, not_before=held)


def text_as_claimed(
    session: Session, delivery_id: int, public_url: str, program: str
) -> str | None:
    """The words a delivery still `sending` went out with: rendered as at its claim, as
    `prepare` did then (reconcile looks for exactly them at the provider); None if gone."""
    rows = _rows(session, [delivery_id])
    return _text(rows[0], public_url, program, rows[0].delivery.updated_at) if rows else None


def prepare(
    session: Session, delivery_ids: Sequence[int], public_url: str, program: str, now: datetime
) -> list[Outgoing]:
    """The claimed deliveries that may go out now, worded; the others held or set aside."""
    rows = _rows(session, delivery_ids)
    recent = _recent(session, rows, now)
    ready, aside = [], []
    for row in rows:
        decision = _set_aside(row, recent, now)
        if decision is not None:
            aside.append(decision)
            continue
        fan, channel = row.fan, row.delivery.channel
        to = (fan.discord_user_id if channel == "discord" else fan.phone_e164) or ""
        dm_channel = fan.discord_dm_channel_id if channel == "discord" else None
        body = _text(row, public_url, program, now)
        ready.append(
            Outgoing(row.delivery.id, fan.id, row.campaign.id, channel, to, body, dm_channel)
        )
    notify.set_aside(session, aside)
    return ready

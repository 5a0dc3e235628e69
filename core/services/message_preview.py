"""What a countdown message would be, before the artist schedules it (the messages page).

Nothing is written. The checks are `presave schedule add`'s own (schedule_checks.verdict),
returned as lists. The texts are what a sample fan gets on each channel; the quiet-hours
spread and the send duration are worked out from the campaign's opted-in fans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, ConsentStatus, Fan
from core.quiet_hours import hold_until, number_zone
from core.services import campaigns, compose, schedule_checks, send_plan
from core.services.message_timeline import MessageRow, timeline
from core.settings import Settings
from core.validation import ValidationError
from messages import count_segments

__all__ = ["MessagePreview", "MessageRequest", "MessageRow", "preview", "timeline"]
UNKNOWN_ZONE = "unknown"


@dataclass(frozen=True)
class MessageRequest:
    """What the artist is composing, unchecked (the fields of `presave schedule add`)."""

    template: str
    before: str | None = None
    at: str | None = None
    channels: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Problem:
    """One refusal: the field it is about and what would pass."""

    field: str
    message: str


@dataclass(frozen=True)
class ChannelText:
    """The message as a fan sees it on one channel (SMS: its segments and encoding)."""

    channel: str
    text: str
    segments: int | None = None
    encoding: str | None = None  # GSM-7 or UCS-2


@dataclass(frozen=True)
class ZoneSpread:
    """SMS fans of one time zone and when quiet hours let the message reach them."""

    zone: str  # an IANA name, or "unknown"
    fans: int
    held_until: datetime | None  # UTC; None: at the send time
    held_until_local: datetime | None  # the same moment in the zone


@dataclass(frozen=True)
class MessagePreview:
    """A message as it would go out, with every check's refusals and warnings."""

    campaign_id: int
    timezone: str  # the campaign's zone
    channels: tuple[str, ...]
    send_at: datetime | None  # UTC; None when the moment was refused
    send_at_local: datetime | None  # in the campaign's zone
    texts: list[ChannelText]
    sms_fans: int
    discord_fans: int
    sms_at_send: int  # SMS fans it reaches at the send time
    sms_held: int  # SMS fans it reaches later, quiet hours over
    spread: list[ZoneSpread]
    mps: float  # the SMS sender's messages per second (TWILIO_MPS, else its kind's)
    discord_rps: float  # the Discord budget (DISCORD_MAX_RPS)
    sms_seconds: float  # SMS fans / MPS (waits for quiet hours are in `spread`)
    discord_seconds: float  # Discord fans / the Discord budget
    errors: list[Problem]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        """Whether `presave schedule add` would take it."""
        return not self.errors


def _texts(
    campaign: Campaign, seen: schedule_checks.Verdict, settings: Settings, now: datetime
) -> list[ChannelText]:
    """The sample fan's message on each channel."""
    if seen.body is None or not seen.channels:
        return []
    body, when = seen.body, seen.send_at or now
    try:
        words = schedule_checks.sample(campaign, settings.public_url, body, when, seen.drop)
    except ValidationError:  # among the verdict's errors already
        return []
    texts = []
    for channel in seen.channels:
        text = compose.for_channel(channel, settings.program_name, words)
        if channel == "sms":
            info = count_segments(text)
            texts.append(ChannelText(channel, text, info.segments, info.encoding))
        else:
            texts.append(ChannelText(channel, text))
    return texts


def _fans(session: Session, campaign_id: int, channel: str) -> int:
    query = select(func.count(func.distinct(Consent.fan_id))).where(
        Consent.campaign_id == campaign_id,
        Consent.channel == channel,
        Consent.status == ConsentStatus.OPTED_IN,
    )
    return int(session.scalar(query) or 0)


def _local(moment: datetime | None, zone: str) -> datetime | None:
    try:
        return moment.astimezone(ZoneInfo(zone)) if moment is not None else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def spread(session: Session, campaign_id: int, when: datetime) -> list[ZoneSpread]:
    """The campaign's SMS fans by time zone and by when quiet hours let `when`'s message
    reach them (the send rules' own hold_until), soonest first."""
    rows = session.execute(
        select(Fan.phone_e164, Fan.timezone, Fan.region, Fan.country)
        .join(Consent, Consent.fan_id == Fan.id)
        .where(
            Consent.campaign_id == campaign_id,
            Consent.channel == "sms",
            Consent.status == ConsentStatus.OPTED_IN,
        )
    )
    groups: dict[tuple[str, datetime | None], int] = {}
    for phone, zone, region, country in rows:
        shown = zone or number_zone(phone, when) or UNKNOWN_ZONE
        held = hold_until(when, phone, zone, region, country)
        groups[(shown, held)] = groups.get((shown, held), 0) + 1
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1] is not None, kv[0][1], kv[0][0]))
    return [
        ZoneSpread(zone, fans, held, _local(held, zone)) for (zone, held), fans in ordered
    ]  # fmt: skip


def _expiring(zones: list[ZoneSpread], release_at: datetime, drop: bool) -> list[str]:
    """A countdown expires at the release: fans whose quiet hours last past it never get it."""
    late = sum(z.fans for z in zones if z.held_until is not None and z.held_until >= release_at)
    if drop or not late:
        return []
    fans = "1 SMS fan is" if late == 1 else f"{late:,} SMS fans are"
    return [f"{fans} in quiet hours until after the release: they will not get this countdown"]


def preview(
    session: Session, campaign_id: int, request: MessageRequest, settings: Settings, now: datetime
) -> MessagePreview:
    """The message `request` describes for the campaign, checked as `presave schedule add`
    checks it, without writing anything."""
    campaign = campaigns.by_id(session, campaign_id)
    asked = schedule_checks.Request(
        campaign.slug, request.template, request.before, request.at, request.channels, request.text
    )
    seen = schedule_checks.verdict(
        session, campaign, settings.public_url, settings.program_name, asked, now,
        settings.twilio_mps_override,
    )  # fmt: skip
    texts = _texts(campaign, seen, settings, now)
    channels = seen.channels or ()
    sms = _fans(session, campaign.id, "sms") if "sms" in channels else 0
    discord = _fans(session, campaign.id, "discord") if "discord" in channels else 0
    zones = spread(session, campaign.id, seen.send_at) if sms and seen.send_at else []
    at_send = sum(z.fans for z in zones if z.held_until is None)
    warnings = [*seen.warnings, *_expiring(zones, campaign.release_at, seen.drop)]
    mps = send_plan.campaign_rate(campaign, settings.twilio_mps_override)
    return MessagePreview(
        campaign_id=campaign.id, timezone=campaign.timezone, channels=channels,
        send_at=seen.send_at, send_at_local=_local(seen.send_at, campaign.timezone),
        texts=texts, sms_fans=sms, discord_fans=discord, sms_at_send=at_send,
        sms_held=sum(z.fans for z in zones) - at_send, spread=zones,
        mps=mps, discord_rps=settings.discord_max_rps,
        sms_seconds=sms / mps, discord_seconds=discord / settings.discord_max_rps,
        errors=[Problem(e.field, e.accepted) for e in seen.errors], warnings=warnings,
    )  # fmt: skip

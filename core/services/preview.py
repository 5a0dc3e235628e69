"""What a template says to a campaign's real fans (their own links), and its SMS length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Consent, ConsentStatus, Fan, FanLink
from core.services import compose, schedule, schedule_checks
from core.services.fans import mask_phone
from messages import catalog, count_segments
from messages.segments import SegmentInfo

FANS_SHOWN = 3


@dataclass(frozen=True)
class Shown:
    """One fan's message as it would go out."""

    fan: str  # masked for SMS, the Discord user id otherwise; "sample" with no fans yet
    channel: str
    text: str
    segments: SegmentInfo | None


def _masked(fan: Fan, channel: str) -> str:
    if channel == "discord":
        return f"discord:{fan.discord_user_id}"
    return mask_phone(fan.phone_e164 or "")


def preview(
    session: Session, public_url: str, program: str, slug: str, name: str, text: str | None,
    now: datetime,
) -> list[Shown]:  # fmt: skip
    """The template (or `text`) for up to three of the campaign's fans, at its moment."""
    campaign = schedule.open_campaign(session, slug)
    template = schedule.template_named(name)
    body = schedule_checks.text_of(template, text)
    moment = max(now, campaign.release_at - template.offset)
    rows = session.execute(
        select(Fan, Consent.channel, FanLink.code)
        .join(Consent, Consent.fan_id == Fan.id)
        .outerjoin(FanLink, (FanLink.fan_id == Fan.id) & (FanLink.campaign_id == campaign.id))
        .where(
            Consent.campaign_id == campaign.id,
            Consent.status == ConsentStatus.OPTED_IN,
            Consent.channel.in_(template.channels),
        )
        .order_by(Fan.id, Consent.channel)
        .limit(FANS_SHOWN)
    ).all()
    shown = []
    drop = template.name == catalog.DROP
    for fan, channel, code in rows:
        link = (
            schedule_checks.release_link(campaign)
            if drop
            else compose.fan_link(public_url, campaign, code)
        )
        zone = compose.fan_zone(fan)
        fill = compose.Words(campaign, campaign.artist.name, channel, link, zone, True)
        with schedule.refused_as("text"):
            words = compose.scheduled_text(fill, program, body, moment)
        segments = count_segments(words) if channel == "sms" else None
        shown.append(Shown(_masked(fan, channel), channel, words, segments))
    if not shown:
        words = compose.sms_text(program, schedule.sample(campaign, public_url, body, moment, drop))
        shown.append(Shown("sample", "sms", words, count_segments(words)))
    return shown

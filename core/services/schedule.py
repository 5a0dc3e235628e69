"""An artist schedules a message from a template (or their own text), lists and cancels them.

Everything is checked before anything is written, by schedule_checks.verdict (the checks
the artist's message preview shows too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, MessageStatus, ScheduledMessage
from core.services import broadcast, campaigns
from core.services.drop import DROP_KIND
from core.services.schedule_checks import Request, must_be_open, verdict
from core.services.schedule_checks import refused_as as refused_as
from core.services.schedule_checks import sample as sample
from core.services.schedule_checks import template_named as template_named
from core.services.send_plan import SendPlan
from core.validation import ValidationError
from messages import catalog
from messages.segments import SegmentInfo

__all__ = ["Request", "Scheduled", "add", "cancel", "open_campaign"]
MESSAGE_ID, MAX_ID = re.compile(r"[0-9]{1,19}"), 2**63 - 1  # a row id: a signed 64-bit integer


@dataclass(frozen=True)
class Scheduled:
    """The message written, its SMS length and what the artist should know."""

    message: ScheduledMessage
    segments: SegmentInfo | None
    warnings: list[str] = field(default_factory=list)
    plan: SendPlan | None = None  # the SMS send: how long it takes


def open_campaign(session: Session, slug: str) -> Campaign:
    """The campaign `slug`, which must still accept messages."""
    campaign = campaigns.named(session, slug)
    must_be_open(campaign)
    return campaign


def add(
    session: Session, public_url: str, program: str, request: Request, now: datetime,
    mps_override: float | None = None,
) -> Scheduled:  # fmt: skip
    """Check the request and schedule the message (nothing written when a check fails).

    drop-live is the drop alert: it goes out when the release is found live, so it takes
    no moment; scheduling it sets the alert's text and channels. `mps_override` is
    TWILIO_MPS when set.
    """
    campaign = campaigns.named(session, request.slug)
    seen = verdict(session, campaign, public_url, program, request, now, mps_override)
    if seen.errors:
        raise seen.errors[0]
    assert seen.template and seen.body is not None and seen.channels and seen.send_at
    template, body, channels, when = seen.template, seen.body, seen.channels, seen.send_at
    if seen.drop:
        message = _drop_text(session, campaign, body, channels)
        return Scheduled(message, seen.segments, seen.warnings, seen.plan)
    message = ScheduledMessage(
        campaign_id=campaign.id, kind=broadcast.COUNTDOWN, template=template.name, body=body,
        channels=",".join(channels), send_at=when, expires_at=campaign.release_at,
        status=MessageStatus.SCHEDULED,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return Scheduled(message, seen.segments, seen.warnings, seen.plan)


def _drop_text(
    session: Session, campaign: Campaign, body: str, channels: tuple[str, ...]
) -> ScheduledMessage:
    """The campaign's drop alert, with the artist's text, before it goes out."""
    message = session.scalar(
        select(ScheduledMessage).where(
            ScheduledMessage.campaign_id == campaign.id, ScheduledMessage.kind == DROP_KIND
        )
    )
    if message is not None and message.status != MessageStatus.SCHEDULED:
        raise ValidationError("template", "the release was found live: its drop alert went out")
    if message is None:
        message = ScheduledMessage(
            campaign_id=campaign.id, kind=DROP_KIND, status=MessageStatus.SCHEDULED
        )
        session.add(message)
    message.template, message.body, message.channels = catalog.DROP, body, ",".join(channels)
    message.send_at = campaign.release_at
    session.flush()
    return message


def cancel(
    session: Session, message_id: str | int, campaign_id: int | None = None
) -> tuple[ScheduledMessage, int]:
    """Cancel a scheduled (or going-out) countdown; (message, deliveries cancelled). Given
    `campaign_id` (a page's campaign), a message of another campaign is not found."""
    message_id = str(message_id)
    if not MESSAGE_ID.fullmatch(message_id.strip()) or int(message_id) > MAX_ID:
        raise ValidationError("id", f"{message_id!r} is not a message id (presave schedule list)")
    message = session.get(ScheduledMessage, int(message_id))
    if message is None or (campaign_id is not None and message.campaign_id != campaign_id):
        raise ValidationError("id", f"no message {message_id}; see presave schedule list")
    if message.kind != broadcast.COUNTDOWN:
        raise ValidationError("id", f"message {message_id} is the drop alert: it is not cancelled")
    if message.status not in (MessageStatus.SCHEDULED, MessageStatus.SENDING):
        raise ValidationError("id", f"message {message_id} is {message.status} already")
    return message, broadcast.cancel(session, message)

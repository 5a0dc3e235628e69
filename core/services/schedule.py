"""An artist schedules a message from a template (or their own text), lists and cancels them.

Everything is checked before anything is written: the campaign, the template, the moment
(before the release, not in the past), the channels, the variables the text uses, and the
SMS length (a warning above 2 segments, refused above 10).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    Campaign,
    CampaignStatus,
    MessageStatus,
    ScheduledMessage,
)
from core.services import broadcast, campaigns, compose
from core.services.compose import CAP, CAP_WINDOW, sms_text
from core.services.drop import DROP_KIND
from core.services.links import link_url
from core.timeutil import as_utc
from core.validation import ValidationError
from messages import MessageTemplateError, catalog, count_segments, render_string
from messages.catalog import MessageTemplate, TemplateProblem
from messages.segments import SegmentInfo

WARN_SEGMENTS, MAX_SEGMENTS = 2, 10
SAMPLE_CODE = "x" * 22  # a personal link code has 22 characters
LIVE = (MessageStatus.SCHEDULED, MessageStatus.SENDING, MessageStatus.DONE)
MESSAGE_ID, MAX_ID = re.compile(r"[0-9]{1,19}"), 2**63 - 1  # a row id: a signed 64-bit integer


@dataclass(frozen=True)
class Request:
    """What the artist asked for, unchecked."""

    slug: str
    template: str
    before: str | None = None
    at: str | None = None
    channels: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Scheduled:
    """The message written, its SMS length and what the artist should know."""

    message: ScheduledMessage
    segments: SegmentInfo | None
    warnings: list[str] = field(default_factory=list)


def open_campaign(session: Session, slug: str) -> Campaign:
    """The campaign `slug`, which must still accept messages."""
    campaign = campaigns.named(session, slug)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError("slug", f"campaign {slug!r} is closed")
    return campaign


def template_named(name: str) -> MessageTemplate:
    """A built-in template, or ValidationError listing them."""
    found = catalog.builtins().get(name)
    if found is None:
        names = ", ".join(sorted(catalog.builtins()))
        raise ValidationError("template", f"no template {name!r}; one of {names}")
    return found


def sample(campaign: Campaign, public_url: str, body: str, send_at: datetime) -> str:
    """The text as a fan would get it at `send_at` (a link of the real length)."""
    link = link_url(public_url, SAMPLE_CODE)
    filled = compose.values(campaign, campaign.artist.name, link, None, send_at, True)
    with refused_as("text"):
        return render_string(body, **filled)


@contextmanager
def refused_as(field_name: str) -> Iterator[None]:
    """A text that fails to render (unsafe, too much work, an error) as a ValidationError."""
    try:
        yield
    except MessageTemplateError as exc:
        raise ValidationError(field_name, f"the text cannot be rendered: {exc.reason}") from None


def _moment(
    campaign: Campaign, template: MessageTemplate, request: Request, now: datetime
) -> datetime:
    if request.before is not None and request.at is not None:
        raise ValidationError("at", "give --before or --at, not both")
    if request.at is not None:
        field_name = "at"
        if request.at.strip().lower() == "now":
            when = now
        else:
            try:
                parsed = datetime.fromisoformat(request.at.strip())
            except ValueError:
                raise ValidationError("at", "an ISO 8601 time with a UTC offset, or now") from None
            if parsed.tzinfo is None:
                raise ValidationError("at", "needs a UTC offset, e.g. 2026-12-03T18:00:00-05:00")
            when = as_utc(parsed)
    else:
        field_name = "before"
        try:
            offset = catalog.parse_offset(request.before) if request.before else template.offset
        except TemplateProblem as exc:
            raise ValidationError("before", str(exc)) from None
        when = campaign.release_at - offset
    if when < now - timedelta(minutes=1):
        raise ValidationError(field_name, f"{when.isoformat()} has passed")
    if when >= campaign.release_at:
        release = campaign.release_at.isoformat()
        raise ValidationError(field_name, f"a countdown goes out before the release ({release})")
    return when


def _crowding(session: Session, campaign: Campaign, when: datetime) -> str | None:
    """A warning when fans would get more than CAP messages within a day around `when`."""
    others = list(
        session.scalars(
            select(ScheduledMessage.send_at).where(
                ScheduledMessage.campaign_id == campaign.id,
                ScheduledMessage.kind == broadcast.COUNTDOWN,
                ScheduledMessage.status.in_(LIVE),
            )
        )
    )
    times = sorted([*others, when, campaign.release_at])
    for start in times:
        inside = [t for t in times if start <= t < start + CAP_WINDOW]
        if len(inside) > CAP and when in inside:
            return (
                f"{len(inside)} messages (the drop alert included) fall within 24 hours from "
                f"{start.isoformat()}; fans get at most {CAP} a day, so the later countdowns are "
                "held and skipped if their moment passes"
            )
    return None


def _text_and_channels(template: MessageTemplate, request: Request) -> tuple[str, tuple[str, ...]]:
    body = request.text if request.text is not None else template.body
    try:
        catalog.check(body, template.allowed)
    except TemplateProblem as exc:
        raise ValidationError("text", str(exc)) from None
    if request.channels is None:
        return body, template.channels
    try:
        return body, catalog.parse_channels(request.channels)
    except TemplateProblem as exc:
        raise ValidationError("--channels", str(exc)) from None


def _segments(sample_text: str, program: str) -> tuple[SegmentInfo, list[str]]:
    """The SMS length of a message; ValidationError above MAX_SEGMENTS."""
    info = count_segments(sms_text(program, sample_text))
    if info.segments > MAX_SEGMENTS:
        raise ValidationError("text", f"{info.segments} SMS segments; at most {MAX_SEGMENTS}")
    if info.segments > WARN_SEGMENTS:
        return info, [f"{info.segments} SMS segments ({info.encoding}): each costs a message"]
    return info, []


def add(
    session: Session, public_url: str, program: str, request: Request, now: datetime
) -> Scheduled:
    """Check the request and schedule the message (nothing written when a check fails).

    drop-live is the drop alert: it goes out when the release is found live, so it takes
    no moment; scheduling it sets the alert's text and channels.
    """
    campaign = open_campaign(session, request.slug)
    template = template_named(request.template)
    body, channels = _text_and_channels(template, request)
    drop = template.name == catalog.DROP
    if drop and (request.before is not None or request.at is not None):
        raise ValidationError("at", "drop-live goes out when the release is found live")
    when = campaign.release_at if drop else _moment(campaign, template, request, now)
    segments: SegmentInfo | None = None
    warnings: list[str] = []
    if "sms" in channels:
        segments, warnings = _segments(sample(campaign, public_url, body, when), program)
    if drop:
        return Scheduled(_drop_text(session, campaign, body, channels), segments, warnings)
    crowded = _crowding(session, campaign, when)
    warnings += [crowded] if crowded else []
    message = ScheduledMessage(
        campaign_id=campaign.id, kind=broadcast.COUNTDOWN, template=template.name, body=body,
        channels=",".join(channels), send_at=when, expires_at=campaign.release_at,
        status=MessageStatus.SCHEDULED,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return Scheduled(message, segments, warnings)


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


def cancel(session: Session, message_id: str) -> tuple[ScheduledMessage, int]:
    """Cancel a scheduled (or going-out) countdown; (message, deliveries cancelled)."""
    if not MESSAGE_ID.fullmatch(message_id.strip()) or int(message_id) > MAX_ID:
        raise ValidationError("id", f"{message_id!r} is not a message id (presave schedule list)")
    message = session.get(ScheduledMessage, int(message_id))
    if message is None:
        raise ValidationError("id", f"no message {message_id}; see presave schedule list")
    if message.kind != broadcast.COUNTDOWN:
        raise ValidationError("id", f"message {message_id} is the drop alert: it is not cancelled")
    if message.status not in (MessageStatus.SCHEDULED, MessageStatus.SENDING):
        raise ValidationError("id", f"message {message_id} is {message.status} already")
    return message, broadcast.cancel(session, message)

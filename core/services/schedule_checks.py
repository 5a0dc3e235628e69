"""Every check of a message an artist schedules, shared by `presave schedule add` and the
artist's message preview: the campaign open, the template, the text and the variables it
uses, the channels, the moment (before the release, not in the past), the SMS length (a
warning above 2 segments, refused above 10), the 3-a-day cap (a warning) and the SMS send
plan (send_plan: refused when it cannot reach every fan inside their allowed hours, or
needs more texts than the sender's daily cap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, CampaignStatus, MessageStatus, ScheduledMessage
from core.services import broadcast, compose, send_plan
from core.services.compose import CAP, CAP_WINDOW, sms_text
from core.services.links import album_link, link_url
from core.timeutil import as_utc
from core.validation import ValidationError
from messages import MessageTemplateError, catalog, count_segments, render_string
from messages.catalog import MessageTemplate, TemplateProblem
from messages.segments import SegmentInfo

WARN_SEGMENTS, MAX_SEGMENTS = 2, 10
SAMPLE_CODE = "x" * 22  # a personal link code has 22 characters
LIVE = (MessageStatus.SCHEDULED, MessageStatus.SENDING, MessageStatus.DONE)
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """What the artist asked for, unchecked."""

    slug: str
    template: str
    before: str | None = None
    at: str | None = None
    channels: str | None = None
    text: str | None = None


def must_be_open(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError("slug", f"campaign {campaign.slug!r} is closed")


def template_named(name: str) -> MessageTemplate:
    """A built-in template, or ValidationError listing them."""
    found = catalog.builtins().get(name)
    if found is None:
        names = ", ".join(sorted(catalog.builtins()))
        raise ValidationError("template", f"no template {name!r}; one of {names}")
    return found


def release_link(campaign: Campaign) -> str:
    """The link drop-live gives: the album found live, else the one planned (else a link of
    the same length, so SMS segments count right)."""
    return album_link(campaign.release_album_id or campaign.spotify_album_id or SAMPLE_CODE)


def sample(
    campaign: Campaign, public_url: str, body: str, send_at: datetime, drop: bool = False
) -> str:
    """The text as a fan would get it at `send_at`: a personal link of the real length, or
    for the drop alert the release's link (the album planned until one is found live)."""
    link = release_link(campaign) if drop else link_url(public_url, SAMPLE_CODE)
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


def text_of(template: MessageTemplate, text: str | None) -> str:
    """The artist's text (else the template's), its variables checked."""
    body = text if text is not None else template.body
    try:
        catalog.check(body, template.allowed)
    except TemplateProblem as exc:
        raise ValidationError("text", str(exc)) from None
    return body


def _channels(template: MessageTemplate, request: Request) -> tuple[str, ...]:
    if request.channels is None:
        return template.channels
    try:
        return catalog.parse_channels(request.channels)
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


@dataclass
class Verdict:
    """Every check of a request: the refusals (in the order `add` meets them), the warnings,
    and what was worked out on the way (None where a check failed)."""

    campaign: Campaign
    errors: list[ValidationError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    template: MessageTemplate | None = None
    body: str | None = None
    channels: tuple[str, ...] | None = None
    send_at: datetime | None = None
    segments: SegmentInfo | None = None
    plan: send_plan.SendPlan | None = None  # the SMS send, when it goes by SMS

    @property
    def drop(self) -> bool:
        """Whether this is the drop alert (sent when the release is found live)."""
        return self.template is not None and self.template.name == catalog.DROP

    def attempt(self, check: Callable[[], T]) -> T | None:
        """The check's result, or None with its refusal kept."""
        try:
            return check()
        except ValidationError as exc:
            self.errors.append(exc)
            return None


def verdict(
    session: Session, campaign: Campaign, public_url: str, program: str, request: Request,
    now: datetime, mps_override: float | None = None,
) -> Verdict:  # fmt: skip
    """Run every check `add` makes on `request` for `campaign`; nothing is written.
    `mps_override` is TWILIO_MPS when set (the SMS rate, whatever the campaign's sender)."""
    seen = Verdict(campaign)
    seen.attempt(lambda: must_be_open(campaign))
    template = seen.template = seen.attempt(lambda: template_named(request.template))
    if template is None:
        return seen
    seen.body = seen.attempt(lambda: text_of(template, request.text))
    seen.channels = seen.attempt(lambda: _channels(template, request))
    if seen.drop and (request.before is not None or request.at is not None):
        seen.errors.append(
            ValidationError("at", "drop-live goes out when the release is found live")
        )
    elif seen.drop:
        seen.send_at = campaign.release_at
    else:
        seen.send_at = seen.attempt(lambda: _moment(campaign, template, request, now))
    body, when = seen.body, seen.send_at
    if body is not None and when is not None and seen.channels:  # every channel renders it
        text = seen.attempt(lambda: sample(campaign, public_url, body, when, seen.drop))
        if text is not None and "sms" in seen.channels:
            counted = seen.attempt(lambda: _segments(text, program))
            if counted is not None:
                seen.segments, seen.warnings = counted[0], [*seen.warnings, *counted[1]]
    if when is not None and not seen.drop:
        crowded = _crowding(session, campaign, when)
        seen.warnings += [crowded] if crowded else []
    if when is not None and seen.channels and "sms" in seen.channels:
        _plan(session, seen, when, mps_override, "at" if request.at is not None else "before", now)
    return seen


def _plan(
    session: Session, seen: Verdict, when: datetime, override: float | None, field_name: str,
    now: datetime,
) -> None:  # fmt: skip
    """The SMS send planned; what keeps it from every fan's hours refuses a countdown (the
    drop alert, sent when the release is found live, is only warned about)."""
    campaign = seen.campaign
    rate = send_plan.campaign_rate(campaign, override)
    expires = None if seen.drop else campaign.release_at
    seen.plan, refused = send_plan.problems(session, campaign, when, rate, expires, now)
    if seen.drop:
        seen.warnings += refused
    else:
        seen.errors += [ValidationError(field_name, reason) for reason in refused]

"""The artist app's messages pages: the form's fields as a message request, scheduling and
cancelling a message with its audit entry, and the words the preview uses.

Scheduling goes through message_preview (every check `presave schedule add` makes) first:
nothing is written unless the preview has no error, and then schedule.add writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from core.services import audit, campaigns, schedule
from core.services.message_preview import MessagePreview, MessageRequest, MessageRow
from core.services.message_preview import preview as check_message
from core.services.message_timeline import timeline
from core.settings import Settings
from messages import catalog

BEFORE, AT = "before", "at"
# Which form field each check's refusal is about; "" is the whole form (a closed campaign).
FIELD_OF = {
    "template": "template", "text": "text", "--channels": "channels", "before": "before",
    "at": "at", "slug": "",
}  # fmt: skip


class UnknownMessage(LookupError):
    """No such message in this campaign (another campaign's id included): a 404."""


@dataclass(frozen=True)
class Compose:
    """The new-message form as typed: `at` is a local date-time in the campaign's zone."""

    template: str
    when: str = BEFORE  # before | at
    before: str = ""
    at: str = ""
    channels: tuple[str, ...] = ()
    text: str = ""


def local_iso(text: str, zone: str) -> str:
    """A date-time typed in the campaign's zone (a datetime-local field: no offset) as ISO
    8601 with the zone's offset; anything else is passed on for the checks to refuse."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):
        return text
    return moment.isoformat()


def request_of(form: Compose, zone: str) -> MessageRequest:
    """The request `presave schedule add` would get for these fields. The drop alert takes
    no moment (it goes out when the release is found live), so the when-fields are left out."""
    drop = form.template.strip() == catalog.DROP
    before = (form.before.strip() or None) if form.when != AT and not drop else None
    at = local_iso(form.at, zone) if form.when == AT and not drop else None
    return MessageRequest(
        template=form.template.strip(), before=before, at=at,
        channels=",".join(form.channels), text=form.text if form.text.strip() else None,
    )  # fmt: skip


def field_errors(shown: MessagePreview) -> dict[str, list[str]]:
    """The preview's refusals by the form field they are about ("" for the whole form)."""
    found: dict[str, list[str]] = {}
    for problem in shown.errors:
        found.setdefault(FIELD_OF.get(problem.field, ""), []).append(problem.message)
    return found


def preview(
    session: Session, campaign_id: int, form: Compose, settings: Settings, now: datetime
) -> MessagePreview:
    """The message the form describes, checked, nothing written."""
    zone = campaigns.by_id(session, campaign_id).timezone
    return check_message(session, campaign_id, request_of(form, zone), settings, now)


def schedule_message(
    session: Session, team_id: int, user_id: int, campaign_id: int, form: Compose,
    settings: Settings, now: datetime,
) -> tuple[MessagePreview, int | None]:  # fmt: skip
    """Preview the form's message and, when nothing is refused, schedule it and record
    `scheduled`: (the preview, the new message's id or None when it was refused)."""
    campaign = campaigns.by_id(session, campaign_id)
    asked = request_of(form, campaign.timezone)
    shown = check_message(session, campaign_id, asked, settings, now)
    if not shown.ok:
        return shown, None
    request = schedule.Request(
        campaign.slug, asked.template, asked.before, asked.at, asked.channels, asked.text
    )
    done = schedule.add(
        session, settings.public_url, settings.program_name, request, now,
        settings.twilio_mps_override,
    )  # fmt: skip
    when = done.message.send_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    detail = f"{done.message.template} for {when} on {done.message.channels}"
    audit.record(session, team_id, user_id, "scheduled", campaign_id, detail)
    return shown, done.message.id


def message_row(session: Session, campaign_id: int, message_id: int) -> MessageRow:
    """One message of the campaign's timeline; UnknownMessage when it is not this campaign's."""
    found = [row for row in timeline(session, campaign_id) if row.id == message_id]
    if not found:
        raise UnknownMessage(f"no message {message_id} in campaign {campaign_id}")
    return found[0]


def cancel_message(
    session: Session, team_id: int, user_id: int, campaign_id: int, message_id: int
) -> tuple[MessageRow, int]:
    """Cancel the campaign's message and record `cancelled`: (the message as it was, the
    waiting deliveries cancelled). UnknownMessage for another campaign's message;
    ValidationError for one that cannot be cancelled (the drop alert, sent already)."""
    row = message_row(session, campaign_id, message_id)
    _, cancelled = schedule.cancel(session, message_id, campaign_id)
    when = row.send_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    audit.record(session, team_id, user_id, "cancelled", campaign_id, f"{row.template} for {when}")
    return row, cancelled


def duration_words(seconds: float) -> str:
    """How long sending takes, as people say it: `under a second`, `about 40 s`,
    `about 3 min`, `about 2 h 5 min`."""
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"about {round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"


def rate_words(rate: float, unit: str) -> str:
    """A sending pace: `1 message/s`, `0.5 messages/s`, `50 requests/s`."""
    shown = f"{rate:g}"
    return f"{shown} {unit}/s" if shown == "1" else f"{shown} {unit}s/s"

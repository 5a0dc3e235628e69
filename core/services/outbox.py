"""One-off texts (the web opt-in's confirmation): queued in the database, sent by a job.

The row is written with the opt-in, so the promise the page makes ("a text will follow")
holds when Redis is down or flushed, or Twilio fails for a while: reconcile queues what is
due again, and settles a text whose worker died after handing it to Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from core.models import DeliveryStatus, InboundMessage, OutboundText
from core.timeutil import utcnow

MAX_ATTEMPTS = 8
# The intent recorded for an inbound STOP (bot.intents.IntentKind.STOP).
STOP_INTENT = "stop"


@dataclass(frozen=True)
class Claimed:
    """A text this worker may now send."""

    id: int
    fan_id: int
    to: str
    body: str


def queue(
    session: Session,
    fan_id: int,
    campaign_id: int | None,
    to: str,
    body: str,
    answers_sid: str | None = None,
) -> int:
    """Keep a text to send as soon as a worker can; its id. `answers_sid`: the inbound
    text this one answers (a reply given later, the database having been down)."""
    text = OutboundText(
        fan_id=fan_id, campaign_id=campaign_id, to_number=to, body=body, answers_sid=answers_sid
    )
    session.add(text)
    session.flush()
    return text.id


def confirms_stop(session: Session, text_id: int) -> bool:
    """Whether the text answers the fan's own STOP: its one confirmation, which goes to a
    number that has just opted out."""
    query = (
        select(InboundMessage.intent)
        .join(OutboundText, OutboundText.answers_sid == InboundMessage.message_sid)
        .where(OutboundText.id == text_id)
    )
    return session.scalar(query) == STOP_INTENT


def _is_due(now: datetime) -> ColumnElement[bool]:
    return (OutboundText.status == DeliveryStatus.QUEUED) & or_(
        OutboundText.not_before.is_(None), OutboundText.not_before <= now
    )


def claim(session: Session, text_id: int) -> Claimed | None:
    """Move a due text to `sending` for this worker only; None when it is not due or gone."""
    now = utcnow()
    row = session.execute(
        update(OutboundText)
        .where(OutboundText.id == text_id, _is_due(now))
        .values(status=DeliveryStatus.SENDING, attempts=OutboundText.attempts + 1, updated_at=now)
        .returning(OutboundText.id, OutboundText.fan_id, OutboundText.to_number, OutboundText.body),
        execution_options={"synchronize_session": False},
    ).first()
    return Claimed(*row) if row is not None else None


def _set(session: Session, text_id: int, **values: object) -> None:
    session.execute(
        update(OutboundText)
        .where(OutboundText.id == text_id)
        .values(updated_at=utcnow(), **values),
        execution_options={"synchronize_session": False},
    )


def mark_sent(session: Session, text_id: int, sid: str) -> None:
    """Twilio took it."""
    _set(session, text_id, status=DeliveryStatus.SENT, provider_id=sid, sent_at=utcnow())


def give_up(session: Session, text_id: int, status: DeliveryStatus, reason: str) -> None:
    """It will not go out: failed (Twilio refused it) or cancelled (the number said STOP)."""
    _set(session, text_id, status=status, error=reason[:500])


def retry_later(session: Session, text_id: int, seconds: float, error: str) -> bool:
    """Back to queued for another try after `seconds`; False (and failed) after the last."""
    attempts = session.scalar(select(OutboundText.attempts).where(OutboundText.id == text_id))
    if attempts is not None and attempts >= MAX_ATTEMPTS:
        give_up(session, text_id, DeliveryStatus.FAILED, f"gave up after {attempts}: {error}")
        return False
    not_before = utcnow() + timedelta(seconds=seconds)
    _set(session, text_id, status=DeliveryStatus.QUEUED, not_before=not_before, error=error[:500])
    return True


def body_of(session: Session, text_id: int) -> str | None:
    """The words of a text (reconcile looks for exactly them at Twilio)."""
    return session.scalar(select(OutboundText.body).where(OutboundText.id == text_id))


def due(session: Session, limit: int = 10_000) -> list[int]:
    """Queued texts whose time has come (for reconcile)."""
    query = select(OutboundText.id).where(_is_due(utcnow()))
    return list(session.scalars(query.order_by(OutboundText.id).limit(limit)))


def stuck_sending(session: Session, older_than: timedelta) -> list[tuple[int, str, datetime]]:
    """(id, to, claimed at) of texts handed to Twilio by a worker that never came back."""
    query = select(OutboundText.id, OutboundText.to_number, OutboundText.updated_at).where(
        OutboundText.status == DeliveryStatus.SENDING,
        OutboundText.updated_at < utcnow() - older_than,
    )
    return [(i, to, at) for i, to, at in session.execute(query.limit(1000))]

"""One-off texts (the web opt-in's confirmation): queued in the database, sent by a job.

The row is written with the opt-in, so the promise the page makes ("a text will follow")
holds when Redis is down or flushed, or Twilio fails for a while: reconcile queues what is
due again, and settles a text whose worker died after handing it to Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import DeliveryStatus, InboundMessage, OutboundText
from core.services import send_state

MAX_ATTEMPTS = 8
TEXTS = send_state.SendTable(OutboundText, pending=(DeliveryStatus.QUEUED,))
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


def claim(session: Session, text_id: int) -> Claimed | None:
    """Hold a due text for this worker only; None when it is not due or gone."""
    if not send_state.claim(session, TEXTS, [text_id]):
        return None
    query = select(OutboundText.id, OutboundText.fan_id, OutboundText.to_number, OutboundText.body)
    row = session.execute(query.where(OutboundText.id == text_id)).one()
    return Claimed(*row)


def words_of(session: Session, text_id: int) -> tuple[str | None, str | None]:
    """The number and words of a text (reconcile looks for exactly them at Twilio)."""
    query = select(OutboundText.to_number, OutboundText.body).where(OutboundText.id == text_id)
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else (None, None)

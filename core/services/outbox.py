"""One-off texts (the web opt-in's confirmation): queued in the database, sent by a job.

The row is written with the opt-in, so the promise the page makes ("a text will follow")
holds when Redis is down or flushed, or Twilio fails for a while: reconcile queues what is
due again, and settles a text whose worker died after handing it to Twilio.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import DeliveryStatus, InboundMessage, OutboundText
from core.services import consent, send_state
from core.services.notify import Outgoing

MAX_ATTEMPTS = 8
TEXTS = send_state.SendTable(OutboundText, pending=(DeliveryStatus.QUEUED,))
# The intent recorded for an inbound STOP (bot.intents.IntentKind.STOP).
STOP_INTENT = "stop"


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


def claim(session: Session, text_id: int) -> Outgoing | None:
    """Hold a due text for this worker only; None when it is not due or gone. An outbox
    text goes out as one SMS (campaign 0 when it answers no campaign)."""
    if not send_state.claim(session, TEXTS, [text_id]):
        return None
    m = OutboundText
    query = select(m.id, m.fan_id, m.campaign_id, m.to_number, m.body).where(m.id == text_id)
    row = session.execute(query).one()
    return Outgoing(row.id, row.fan_id, row.campaign_id or 0, "sms", row.to_number, row.body)


def settle(
    session: Session,
    text: Outgoing,
    state: str,
    error: str,
    *,
    sid: str | None = None,
    delay: float = 0.0,
    sender: str,
) -> str:
    """Record what became of a claimed text (a send's state: sent, retry, no_consent,
    opted_out, unknown or failed) and say it as the job reports it: sent, retry, cancelled,
    failed, or unknown (left `sending`: reconcile asks Twilio before anything goes again).
    A retry after MAX_ATTEMPTS fails; Twilio's 21610 opts the number out of our sender."""
    if state == "sent":
        send_state.mark_sent(session, TEXTS, [(text.delivery_id, sid)])
    if state in ("sent", "unknown"):
        return state
    if state == "retry":
        again = send_state.retry_later(
            session, TEXTS, text.delivery_id, delay, error, max_attempts=MAX_ATTEMPTS
        )
        return "retry" if again else "failed"
    if state == "opted_out":
        consent.opt_out(session, text.fan_id, "sms", sender, reason="twilio_21610")
    cancelled = state in ("no_consent", "opted_out")
    status = send_state.CANCELLED if cancelled else send_state.FAILED
    send_state.give_up(session, TEXTS, text.delivery_id, status, error)
    return "cancelled" if cancelled else "failed"


def words_of(session: Session, text_id: int) -> tuple[str | None, str | None]:
    """The number and words of a text (reconcile looks for exactly them at Twilio)."""
    query = select(OutboundText.to_number, OutboundText.body).where(OutboundText.id == text_id)
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else (None, None)

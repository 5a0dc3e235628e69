"""Answer the inbound texts kept while the database was down, as the webhook would have.

The reply goes out as an outbox text (the normal outbound path) instead of TwiML. Each
text is answered in one transaction with its reply queued, and forgotten after: a text
answered already (a second run, a retry that reached the webhook) gets no second reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from sqlalchemy.orm import Session

from bot.sms import BadInbound, answer_inbound, parse_inbound
from core.db import UNAVAILABLE_ERRORS, transaction
from core.services import inbound_backlog, outbox
from core.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Replayed:
    """What a replay run did: texts answered, outbox texts to send, texts still kept."""

    answered: int = 0
    text_ids: list[int] = field(default_factory=list)
    left: int = 0


def answer_kept(session: Session, settings: Settings, fields: dict[str, str]) -> int | None:
    """Answer one kept text; the id of the outbox text carrying the reply, if any."""
    sms = parse_inbound(fields)
    answered = answer_inbound(session, settings, sms)
    if not answered.fresh or not answered.reply or answered.fan_id is None:
        return None
    return outbox.queue(
        session,
        answered.fan_id,
        answered.campaign_id,
        sms.from_number,
        answered.reply,
        answers_sid=sms.message_sid,
    )


def replay(connection: redis.Redis, settings: Settings) -> Replayed:
    """Answer kept texts oldest first; stop at the first the database still cannot take."""
    done = Replayed()
    for entry in inbound_backlog.kept(connection):
        try:
            with transaction(settings.database_url) as session:
                text_id = answer_kept(session, settings, entry.fields)
        except BadInbound as exc:  # checked before it was kept; cannot be answered
            log.error("kept text %s dropped: %s", entry.sid, exc)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("kept texts wait: database still unavailable (%s)", type(exc).__name__)
            break
        else:
            done.answered += 1
            if text_id is not None:
                done.text_ids.append(text_id)
        inbound_backlog.forget(connection, entry.sid)
    done.left = inbound_backlog.count(connection)
    return done

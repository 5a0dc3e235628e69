"""Inbound texts, answered once per MessageSid: the record of each, its answer, and the
stored reply a retry of it gets."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, bindparam, select, update

from core.db import Db
from core.models import InboundMessage
from core.timeutil import utcnow
from core.upsert import insert_ignore

# A number texting words we do not understand is told how to get help at most this often.
UNKNOWN_REPLY_EVERY = timedelta(hours=24)
PENDING = "pending"
_TABLE: Table = InboundMessage.__table__  # type: ignore[assignment]
# Built once: every inbound text runs them (SQLAlchemy caches their SQL).
_STORED_REPLY = select(_TABLE.c.reply).where(_TABLE.c.message_sid == bindparam("sid"))
_SAVE_ANSWER = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("record_id"))
    .values(intent=bindparam("intent"), reply=bindparam("reply"))
)


def record(db: Db, message_sid: str, from_number: str, to_number: str) -> int | None:
    """Record the text as being answered; its id, or None when the MessageSid was seen
    (a retry: answered already, or being answered in a transaction this one waited for)."""
    values = {
        "message_sid": message_sid,
        "from_number": from_number,
        "to_number": to_number,
        "intent": PENDING,
        "at": utcnow(),
    }
    return insert_ignore(db, _TABLE, values, InboundMessage.id)


def stored_reply(db: Db, message_sid: str) -> str | None:
    """What the text with this MessageSid was answered ("" for silence); None if unknown."""
    return db.scalar(_STORED_REPLY, {"sid": message_sid})


def save_answer(db: Db, record_id: int, intent: str, reply: str | None) -> None:
    """Keep what the recorded text meant and the reply it got, for retries and audit."""
    db.execute(_SAVE_ANSWER, {"record_id": record_id, "intent": intent, "reply": reply or ""})


def replied_unknown_recently(db: Db, from_number: str) -> bool:
    """Whether this number got a reply to an unknown text within UNKNOWN_REPLY_EVERY."""
    query = select(InboundMessage.id).where(
        InboundMessage.from_number == from_number,
        InboundMessage.intent == "unknown",
        InboundMessage.reply != "",
        InboundMessage.at > utcnow() - UNKNOWN_REPLY_EVERY,
    )
    return db.scalar(query.limit(1)) is not None

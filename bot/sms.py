"""The SMS front end: check a Twilio inbound message, answer it once, reply in TwiML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from xml.sax.saxutils import escape as xml_escape

from sqlalchemy import bindparam, select, update

from bot.commands import Inbound, handle_text
from core.db import Db
from core.fastsql import Fast
from core.models import InboundMessage
from core.services.fans import InvalidPhone, Place, normalize_phone
from core.settings import Settings
from core.timeutil import utcnow
from core.upsert import insert_ignore

MAX_BODY_CHARS = 1600
UNKNOWN_REPLY_EVERY = timedelta(hours=24)


_SET_ANSWER = Fast(
    update(InboundMessage.__table__)  # type: ignore[arg-type]
    .where(InboundMessage.__table__.c.id == bindparam("record_id"))
    .values(intent=bindparam("intent"), reply=bindparam("reply"))
)
_STORED_REPLY = Fast(
    select(InboundMessage.reply).where(InboundMessage.message_sid == bindparam("sid"))
)


class BadInbound(ValueError):
    """The webhook's form is not a usable inbound message; the text says why."""


@dataclass(frozen=True)
class InboundSms:
    """The fields of a Twilio inbound webhook we use, checked."""

    message_sid: str
    from_number: str
    to_number: str
    body: str
    place: Place


def _field(form: Mapping[str, str], name: str, limit: int = 64) -> str:
    value = form.get(name)
    if value is None or (name != "Body" and not value.strip()):
        raise BadInbound(f"missing {name}")
    if len(value) > limit:
        raise BadInbound(f"{name} longer than {limit} characters")
    return value


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """Check the form Twilio posted; raise BadInbound naming the problem."""
    sid = _field(form, "MessageSid").strip()
    raw_from = _field(form, "From")
    body = _field(form, "Body", MAX_BODY_CHARS)
    try:
        from_number = normalize_phone(raw_from)
    except InvalidPhone:
        raise BadInbound("From is not a valid phone number") from None
    place = Place(
        country=(form.get("FromCountry") or "").strip()[:2] or None,
        region=(form.get("FromState") or "").strip()[:64] or None,
        city=(form.get("FromCity") or "").strip()[:64] or None,
    )
    to_number = (form.get("To") or "").strip()[:64] or "unknown"
    return InboundSms(sid, from_number, to_number, body, place)


_TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(reply: str | None) -> str:
    """A TwiML document with one message, or an empty <Response /> for silence.

    Written out rather than built with twilio's MessagingResponse, which costs 30 µs an
    answer through ElementTree; the test suite checks both give the same document.
    """
    if not reply:
        return _TWIML_HEAD + "<Response />"
    return f"{_TWIML_HEAD}<Response><Message>{xml_escape(reply)}</Message></Response>"


def _replied_unknown_recently(session: Db, from_number: str) -> bool:
    query = select(InboundMessage.id).where(
        InboundMessage.from_number == from_number,
        InboundMessage.intent == "unknown",
        InboundMessage.reply != "",
        InboundMessage.at > utcnow() - UNKNOWN_REPLY_EVERY,
    )
    return session.scalar(query.limit(1)) is not None


def kept_fields(sms: InboundSms) -> dict[str, str]:
    """The checked message as form fields `parse_inbound` reads back (to keep it for later)."""
    return {
        "MessageSid": sms.message_sid,
        "From": sms.from_number,
        "To": sms.to_number,
        "Body": sms.body,
        "FromCountry": sms.place.country or "",
        "FromState": sms.place.region or "",
        "FromCity": sms.place.city or "",
    }


@dataclass(frozen=True)
class Answered:
    """What we answered: the reply, and whether this MessageSid was new (not a retry)."""

    reply: str | None
    fresh: bool
    fan_id: int | None = None
    campaign_id: int | None = None


def handle_inbound(session: Db, settings: Settings, sms: InboundSms) -> str:
    """Answer the message once per MessageSid; a retry gets the stored reply, changing nothing."""
    return twiml(answer_inbound(session, settings, sms).reply)


def answer_inbound(session: Db, settings: Settings, sms: InboundSms) -> Answered:
    """`handle_inbound`'s decision, before it is written as TwiML."""
    record_id = insert_ignore(
        session,
        InboundMessage.__table__,  # type: ignore[arg-type]
        {
            "message_sid": sms.message_sid,
            "from_number": sms.from_number,
            "to_number": sms.to_number,
            "intent": "pending",
            "at": utcnow(),
        },
        InboundMessage.id,
    )
    if record_id is None:  # a retry: answered (or being answered, and waited for) already
        return Answered(_STORED_REPLY.scalar(session, {"sid": sms.message_sid}), fresh=False)
    answer = handle_text(
        session,
        settings,
        Inbound(
            channel="sms",
            address=sms.from_number,
            sender=sms.to_number,
            body=sms.body,
            place=sms.place,
            may_answer_unknown=lambda: not _replied_unknown_recently(session, sms.from_number),
        ),
    )
    _SET_ANSWER.execute(
        session,
        {"record_id": record_id, "intent": answer.intent.value, "reply": answer.reply or ""},
    )
    return Answered(answer.reply, True, answer.fan_id, answer.campaign_id)

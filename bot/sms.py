"""The SMS front end: check a Twilio inbound message, answer it once, reply in TwiML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from bot.commands import Inbound, handle_text
from core.db import Db
from core.services import inbound_texts
from core.services.fans import InvalidPhone, Place, normalize_phone
from core.services.phone_place import place_of
from core.settings import Settings

MAX_BODY_CHARS = 1600


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
    given = Place(
        country=(form.get("FromCountry") or "").strip()[:2] or None,
        region=(form.get("FromState") or "").strip()[:64] or None,
        city=(form.get("FromCity") or "").strip()[:64] or None,
    )
    place = place_of(from_number, given)  # no FromState: a US number's area code says
    to_number = (form.get("To") or "").strip()[:64] or "unknown"
    return InboundSms(sid, from_number, to_number, body, place)


_TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(reply: str | None) -> str:
    """A TwiML document with one message, or an empty <Response /> for silence.

    Written out: the document is this small and fixed (the test suite checks it matches
    what twilio's MessagingResponse builds).
    """
    if not reply:
        return _TWIML_HEAD + "<Response />"
    return f"{_TWIML_HEAD}<Response><Message>{xml_escape(reply)}</Message></Response>"


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
    record_id = inbound_texts.record(session, sms.message_sid, sms.from_number, sms.to_number)
    if record_id is None:  # a retry: answered (or being answered, and waited for) already
        return Answered(inbound_texts.stored_reply(session, sms.message_sid), fresh=False)
    answer = handle_text(
        session,
        settings,
        Inbound(
            channel="sms",
            address=sms.from_number,
            sender=sms.to_number,
            body=sms.body,
            place=sms.place,
            may_answer_unknown=lambda: (
                not inbound_texts.replied_unknown_recently(session, sms.from_number)
            ),
        ),
    )
    inbound_texts.save_answer(session, record_id, answer.intent.value, answer.reply)
    return Answered(answer.reply, True, answer.fan_id, answer.campaign_id)

"""The public page's "text me on drop day" form: a double opt-in started from the web.

A number typed on the page is not consent: anyone can type anyone's number. So the number
gets one text asking its owner to reply YES (`sms_optin_request`), and only a YES (or the
campaign's keyword) from that number records the consent and sends the personal link, as
a texted keyword would. Only numbers that can receive texts are asked (mobile, or
fixed-line-or-mobile where a country does not tell them apart); a number asked within
RESEND_AFTER is not texted again. Each step is an event: `web_optin_requested` (texted),
`web_optin_repeat` (asked again, not texted), `web_optin_confirmed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.db import Db
from core.models import Artist, Campaign, CampaignStatus, Fan, PhoneConfirmation
from core.services import campaigns, consent, events, fans, optin, outbox
from core.services.consent import OptInResult
from core.services.fans import InvalidPhone, Place
from core.services.form_limits import Verdict
from core.services.link_pages import CampaignCard, campaign_card
from core.services.phone_place import place_of
from core.services.sms_text import request_text
from core.settings import Settings
from core.timeutil import utcnow
from core.upsert import insert_ignore

CHANNEL = "sms"
REQUESTED = "web_optin_requested"
REPEAT = "web_optin_repeat"
CONFIRMED = "web_optin_confirmed"
REGION_LENGTH = 2
# A number asked this recently is not texted again (the page says a text was sent).
RESEND_AFTER = timedelta(hours=24)
# A YES this long after the request no longer confirms it (it means START, as always).
PENDING_FOR = timedelta(days=7)
# Number types that can receive our texts. VOIP is refused: libphonenumber marks as VOIP
# ranges that are mostly not reachable by SMS (UK 056, nomadic services), while the VoIP
# services fans text from (Google Voice in the US) are fixed-line-or-mobile numbers.
TEXTABLE = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class WebOptInStatus(StrEnum):
    """How a phone opt-in request from the page ended."""

    SENT = "sent"  # the YES request is queued as `text_id`; no consent yet
    PENDING = "pending"  # asked within RESEND_AFTER already: no second text
    ALREADY = "already"  # the number is opted in to this campaign: no text
    INVALID = "invalid"  # not a phone number: nothing written
    NOT_TEXTABLE = "not_textable"  # toll-free, premium, landline, ...: nothing written
    NOT_FOUND = "not_found"  # no such campaign: nothing written
    CLOSED = "closed"  # the campaign takes no opt-ins any more: nothing written
    LIMITED = "limited"  # this number was asked for too often lately: nothing written
    BUSY = "busy"  # this network asked for too many numbers lately: nothing written
    UNAVAILABLE = "unavailable"  # the limits cannot be checked now: nothing written
    BLOCKED = "blocked"  # the number said STOP to our sender: no text


@dataclass(frozen=True)
class WebOptIn:
    """What the request did; `phone` is E.164, `text` the YES request when one is due,
    kept in the outbox as `text_id` in the same transaction as the request."""

    status: WebOptInStatus
    card: CampaignCard | None = None
    phone: str | None = None
    text: str | None = None
    text_id: int | None = None

    @property
    def masked(self) -> str:
        """The number as the page shows it back: country code and the last four digits."""
        return display_phone(self.phone or "")


@dataclass(frozen=True)
class Pending:
    """A request waiting for the number's YES."""

    id: int
    campaign_id: int
    source: str
    artist: str
    title: str


def sender_of(settings: Settings) -> str:
    """The SMS sender consents are recorded against (as in the keyword flow)."""
    return settings.twilio_from_number or settings.twilio_messaging_service_sid or "web"


def display_phone(e164: str) -> str:
    """`+14155551234` -> `+1 ••• •• 12 34` (enough for the fan to recognise it, no more)."""
    try:
        code = phonenumbers.parse(e164).country_code
    except phonenumbers.NumberParseException:
        return ""
    last = e164[-4:]
    return f"+{code} \u2022\u2022\u2022 \u2022\u2022 {last[:2]} {last[2:]}"


def _region(raw: str | None) -> str | None:
    cleaned = (raw or "").strip().upper()
    return cleaned if len(cleaned) == REGION_LENGTH and cleaned.isalpha() else None


def read_number(raw_phone: str, region: str | None) -> str | WebOptInStatus:
    """The typed number in E.164 when we could text it; else why not (no I/O)."""
    try:
        e164 = fans.normalize_phone(raw_phone[:64], _region(region))
    except InvalidPhone:
        return WebOptInStatus.INVALID
    if phonenumbers.number_type(phonenumbers.parse(e164)) not in TEXTABLE:
        return WebOptInStatus.NOT_TEXTABLE
    return e164


def may_text(session: Session, settings: Settings, to: str, text_id: int) -> bool:
    """The send-time check for an outbox text: the number has not said STOP to our sender,
    or the text is the one confirming that STOP."""
    fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == to))
    if fan_id is None or not consent.opted_out(session, fan_id, CHANNEL, sender_of(settings)):
        return True
    return outbox.confirms_stop(session, text_id)


_LIMITED = {
    Verdict.UNAVAILABLE: WebOptInStatus.UNAVAILABLE,
    Verdict.NETWORK: WebOptInStatus.BUSY,
    Verdict.NUMBER: WebOptInStatus.LIMITED,
}


def request_phone_optin(
    session: Session,
    settings: Settings,
    campaign_slug: str,
    number: str | WebOptInStatus,
    source: str,
    verdict: Verdict,
) -> WebOptIn:
    """Ask the number (from `read_number`, counted by `form_limits.take`) for its YES."""
    campaign = campaigns.get_by_slug(session, campaign_slug)
    if campaign is None:
        return WebOptIn(WebOptInStatus.NOT_FOUND)
    card = campaign_card(campaign)
    if not card.is_open:
        return WebOptIn(WebOptInStatus.CLOSED, card)
    if isinstance(number, WebOptInStatus):
        return WebOptIn(number, card)
    if verdict in _LIMITED:
        return WebOptIn(_LIMITED[verdict], card, number)
    place = place_of(number)
    fan_id, new_fan = fans.fan_id_for(session, "phone_e164", number, place)
    sender, now = sender_of(settings), utcnow()
    if not new_fan and consent.opted_out(session, fan_id, CHANNEL, sender):
        return WebOptIn(WebOptInStatus.BLOCKED, card, number)
    if consent.is_opted_in(session, fan_id, card.id, CHANNEL):
        return WebOptIn(WebOptInStatus.ALREADY, card, number)
    source = source or "web"
    texting = _claim_request(session, fan_id, card.id, sender, source, place, now)
    events.record(
        session,
        REQUESTED if texting else REPEAT,
        campaign_id=card.id,
        fan_id=fan_id,
        channel=CHANNEL,
        source=source,
        country=place.country,
        region=place.region,
    )
    if not texting:
        return WebOptIn(WebOptInStatus.PENDING, card, number)
    text = request_text(settings.program_name, card.artist, card.title)
    text_id = outbox.queue(session, fan_id, card.id, number, text)
    return WebOptIn(WebOptInStatus.SENT, card, number, text, text_id)


def _claim_request(
    session: Session,
    fan_id: int,
    campaign_id: int,
    sender: str,
    source: str,
    place: Place,
    now: datetime,
) -> bool:
    """Record that we text the number now; False when it was asked within RESEND_AFTER."""
    values = {"sender": sender, "source": source, "country": place.country, "texted_at": now}
    created = insert_ignore(
        session,
        PhoneConfirmation.__table__,  # type: ignore[arg-type]
        {"fan_id": fan_id, "campaign_id": campaign_id, **values},
        PhoneConfirmation.id,
    )
    if created is not None:
        return True
    renewed = session.execute(
        update(PhoneConfirmation)
        .where(
            PhoneConfirmation.fan_id == fan_id,
            PhoneConfirmation.campaign_id == campaign_id,
            (PhoneConfirmation.texted_at <= now - RESEND_AFTER)
            | PhoneConfirmation.confirmed_at.is_not(None),
        )
        .values(confirmed_at=None, **values),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(renewed, "rowcount", 0))


def pending(session: Db, fan_id: int, campaign_id: int | None = None) -> Pending | None:
    """The number's latest request still waiting for its YES (for an open campaign)."""
    query = (
        select(
            PhoneConfirmation.id,
            PhoneConfirmation.campaign_id,
            PhoneConfirmation.source,
            Artist.name,
            Campaign.title,
        )
        .join(Campaign, Campaign.id == PhoneConfirmation.campaign_id)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(
            PhoneConfirmation.fan_id == fan_id,
            PhoneConfirmation.confirmed_at.is_(None),
            PhoneConfirmation.texted_at > utcnow() - PENDING_FOR,
            Campaign.status == CampaignStatus.OPEN,
        )
        .order_by(PhoneConfirmation.texted_at.desc(), PhoneConfirmation.id.desc())
        .limit(1)
    )
    if campaign_id is not None:
        query = query.where(PhoneConfirmation.campaign_id == campaign_id)
    row = session.execute(query).first()
    return Pending(*row) if row is not None else None


def confirmed(session: Db, request: Pending, fan_id: int, place: Place) -> None:
    """The number's owner said YES (or texted the keyword): close the request, note it."""
    session.execute(
        update(PhoneConfirmation)
        .where(PhoneConfirmation.id == request.id)
        .values(confirmed_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    events.record(
        session,
        CONFIRMED,
        campaign_id=request.campaign_id,
        fan_id=fan_id,
        channel=CHANNEL,
        source=request.source,
        country=place.country,
        region=place.region,
    )


def confirm(
    session: Db, public_url: str, request: Pending, fan_id: int, sender: str, place: Place
) -> optin.OptInOutcome:
    """A YES to a pending request: the consent, link and events of a keyword opt-in."""
    outcome = optin.opt_in(
        session,
        public_url=public_url,
        fan_id=fan_id,
        campaign_id=request.campaign_id,
        channel=CHANNEL,
        sender=sender,
        source=request.source,
        place=place,
    )
    if outcome.result is not OptInResult.BLOCKED:
        confirmed(session, request, fan_id, place)
    return outcome


def forget_pending(session: Db, fan_id: int) -> None:
    """A STOP: the number's requests waiting for YES are dropped (a later YES is a START)."""
    session.execute(
        delete(PhoneConfirmation.__table__).where(  # type: ignore[arg-type]
            PhoneConfirmation.fan_id == fan_id, PhoneConfirmation.confirmed_at.is_(None)
        )
    )

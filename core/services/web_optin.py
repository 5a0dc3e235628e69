"""The public page's "text me on drop day" form: the SMS opt-in flow, started from the web.

The same consent, personal link and confirmation text as a keyword texted to our number,
plus a `web_phone_optin` event per request, which also caps how often one number can ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Event, Fan
from core.services import campaigns, consent, events, fans, optin, outbox
from core.services.consent import OptInResult
from core.services.fans import InvalidPhone, Place
from core.services.link_pages import CampaignCard, campaign_card
from core.services.sms_text import confirmation_text
from core.settings import Settings
from core.timeutil import utcnow

CHANNEL = "sms"
EVENT = "web_phone_optin"
MAX_REQUESTS_PER_HOUR = 3
REGION_LENGTH = 2


class WebOptInStatus(StrEnum):
    """How a phone opt-in request from the page ended."""

    SENT = "sent"  # consent recorded (or already there); `text_id` is the queued text
    INVALID = "invalid"  # not a phone number: nothing written
    NOT_FOUND = "not_found"  # no such campaign: nothing written
    CLOSED = "closed"  # the campaign takes no opt-ins any more: nothing written
    LIMITED = "limited"  # this number asked too often lately: nothing written
    BLOCKED = "blocked"  # the number said STOP to our sender: no consent, no text


@dataclass(frozen=True)
class WebOptIn:
    """What the request did; `phone` is E.164, `text` the confirmation SMS when one is due,
    kept in the outbox as `text_id` in the same transaction as the consent."""

    status: WebOptInStatus
    card: CampaignCard | None = None
    phone: str | None = None
    text: str | None = None
    link: str | None = None
    duplicate: bool = False
    text_id: int | None = None

    @property
    def masked(self) -> str:
        """The number as the page shows it back: country code and the last four digits."""
        return display_phone(self.phone or "")


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


def _recent_requests(session: Session, e164: str) -> int:
    since = utcnow() - timedelta(hours=1)
    query = (
        select(func.count(Event.id))
        .join(Fan, Fan.id == Event.fan_id)
        .where(Fan.phone_e164 == e164, Event.kind == EVENT, Event.at >= since)
    )
    return int(session.scalar(query) or 0)


def may_text(session: Session, settings: Settings, to: str) -> bool:
    """The send-time check for a confirmation: the number has not said STOP to our sender."""
    fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == to))
    return fan_id is None or not consent.opted_out(session, fan_id, CHANNEL, sender_of(settings))


def request_phone_optin(
    session: Session,
    settings: Settings,
    campaign_slug: str,
    raw_phone: str,
    source: str,
    region: str | None = None,
) -> WebOptIn:
    """Opt a phone number in from the campaign page; see WebOptInStatus for the outcomes."""
    try:
        e164 = fans.normalize_phone(raw_phone[:64], _region(region))
    except InvalidPhone:
        return WebOptIn(WebOptInStatus.INVALID)
    campaign = campaigns.get_by_slug(session, campaign_slug)
    if campaign is None:
        return WebOptIn(WebOptInStatus.NOT_FOUND)
    card = campaign_card(campaign)
    if not card.is_open:
        return WebOptIn(WebOptInStatus.CLOSED, card)
    if _recent_requests(session, e164) >= MAX_REQUESTS_PER_HOUR:
        return WebOptIn(WebOptInStatus.LIMITED, card, e164)
    place = Place(country=phonenumbers.region_code_for_number(phonenumbers.parse(e164)))
    fan_id, new_fan = fans.fan_id_for(session, "phone_e164", e164, place)
    source = source or "web"
    events.record(
        session,
        EVENT,
        campaign_id=card.id,
        fan_id=fan_id,
        channel=CHANNEL,
        source=source,
        country=place.country,
    )
    outcome = optin.opt_in(
        session,
        public_url=settings.public_url,
        fan_id=fan_id,
        campaign_id=card.id,
        channel=CHANNEL,
        sender=sender_of(settings),
        source=source,
        place=place,
        new_fan=new_fan,
    )
    if outcome.result is OptInResult.BLOCKED or outcome.link is None:
        return WebOptIn(WebOptInStatus.BLOCKED, card, e164)
    duplicate = outcome.result is OptInResult.DUPLICATE
    text = confirmation_text(
        settings.program_name, card.artist, card.title, outcome.link, duplicate=duplicate
    )
    text_id = outbox.queue(session, fan_id, card.id, e164, text)
    return WebOptIn(WebOptInStatus.SENT, card, e164, text, outcome.link, duplicate, text_id)

"""Channel-neutral conversation: decide what a fan's text means, act, and word the answer."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.intents import Intent, IntentKind, classify
from core.models import Campaign, Fan
from core.services import consent, events, fans, optin
from core.services.consent import OptInResult
from core.services.fans import Place
from core.settings import Settings
from messages import count_segments, render

MAX_CONFIRMATION_SEGMENTS = 2
DEFAULT_SOURCE = {"sms": "sms", "discord": "discord"}


@dataclass(frozen=True)
class Inbound:
    """One text from a fan: who, to which of our senders, what, and from where."""

    channel: str
    address: str
    sender: str
    body: str
    place: Place = field(default_factory=Place)
    replied_unknown_recently: bool = False


@dataclass(frozen=True)
class Answer:
    """What we decided: the intent, the reply (None: send nothing) and the campaign."""

    intent: IntentKind
    reply: str | None
    campaign_id: int | None = None
    fan_id: int | None = None


def _shorten(text: str, keep: int) -> str:
    return text if len(text) <= keep else text[: max(1, keep - 3)].rstrip() + "..."


def gsm_fold(text: str) -> str:
    """`text` without accents and without what GSM-7 lacks ("Sigur Rós" -> "Sigur Ros")."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    kept = "".join(c for c in stripped if count_segments(c).encoding == "GSM-7")
    return " ".join(kept.split())


def _name_variants(artist: str, title: str) -> list[tuple[str, str]]:
    """The names as given, then folded to GSM-7 when that keeps them recognisable."""
    variants = [(artist, title)]
    folded = (gsm_fold(artist), gsm_fold(title))
    if folded != (artist, title) and all(
        len(f) >= max(1, len(o) // 2) for f, o in zip(folded, (artist, title), strict=True)
    ):
        variants.append(folded)
    return variants


def confirmation_text(program: str, campaign: Campaign, link: str, *, duplicate: bool) -> str:
    """The opt-in reply, shortened (then folded to GSM-7, then minimal) to fit two segments."""
    names = (
        ["sms_optin_duplicate"] if duplicate else ["sms_optin_confirm", "sms_optin_confirm_short"]
    )
    for artist, title in _name_variants(campaign.artist.name, campaign.title):
        for limit in (200, 60, 40, 24, 12):
            for name in names:
                text = render(
                    name,
                    program=_shorten(program, 40),
                    artist=_shorten(artist, limit),
                    title=_shorten(title, limit),
                    link=link,
                )
                if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
                    return text
    minimal = "sms_optin_duplicate_minimal" if duplicate else "sms_optin_confirm_minimal"
    for keep in (40, 20, 10):
        text = render(minimal, program=_shorten(program, keep), link=link)
        if count_segments(text).segments <= MAX_CONFIRMATION_SEGMENTS:
            break
    return text


def _opt_in(
    session: Session, settings: Settings, fan: Fan, inbound: Inbound, intent: Intent
) -> Answer:
    campaign = next(c for c in optin.open_campaigns(session) if c.keyword == intent.keyword)
    source = intent.source or DEFAULT_SOURCE.get(inbound.channel, inbound.channel)
    outcome = optin.opt_in(
        session,
        public_url=settings.public_url,
        fan=fan,
        campaign=campaign,
        channel=inbound.channel,
        sender=inbound.sender,
        source=source,
        place=inbound.place,
    )
    if outcome.result is OptInResult.BLOCKED:
        reply = (
            None
            if settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
            else render(
                "sms_optin_blocked", program=settings.program_name, keyword=campaign.keyword
            )
        )
        return Answer(IntentKind.OPTIN, reply, campaign.id, fan.id)
    assert outcome.link is not None
    reply = confirmation_text(
        settings.program_name,
        campaign,
        outcome.link,
        duplicate=outcome.result is OptInResult.DUPLICATE,
    )
    return Answer(IntentKind.OPTIN, reply, campaign.id, fan.id)


def _record_per_campaign(
    session: Session, kind: str, fan: Fan, inbound: Inbound, campaign_ids: list[int]
) -> None:
    for campaign_id in campaign_ids or [None]:  # type: ignore[list-item]
        events.record(
            session,
            kind,
            campaign_id=campaign_id,
            fan_id=fan.id,
            channel=inbound.channel,
            source=inbound.channel,
            country=inbound.place.country,
            region=inbound.place.region,
        )


def _stop(session: Session, settings: Settings, fan: Fan, inbound: Inbound) -> Answer:
    affected = optin.active_campaigns_of_sender(session, fan.id, inbound.channel, inbound.sender)
    consent.opt_out(session, fan.id, inbound.channel, inbound.sender, reason="stop")
    _record_per_campaign(session, "stop", fan, inbound, affected)
    handled = settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
    reply = None if handled else render("sms_stop", program=settings.program_name)
    return Answer(IntentKind.STOP, reply, None, fan.id)


def _start(session: Session, settings: Settings, fan: Fan, inbound: Inbound) -> Answer:
    consent.opt_back_in(session, fan.id, inbound.channel, inbound.sender)
    affected = optin.active_campaigns_of_sender(session, fan.id, inbound.channel, inbound.sender)
    _record_per_campaign(session, "start", fan, inbound, affected)
    handled = settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
    reply = None if handled else render("sms_start", program=settings.program_name)
    return Answer(IntentKind.START, reply, None, fan.id)


def handle_text(session: Session, settings: Settings, inbound: Inbound) -> Answer:
    """Classify the text, change what it asks for, and return the reply to send."""
    campaigns = optin.open_campaigns(session)
    intent = classify(inbound.body, [c.keyword for c in campaigns])
    lookup = fans.by_phone if inbound.channel == "sms" else fans.by_discord
    fan, _ = lookup(session, inbound.address, inbound.place)
    matched = next((c.id for c in campaigns if c.keyword == intent.keyword), None)
    events.record(
        session,
        f"{inbound.channel}_in",
        campaign_id=matched,
        fan_id=fan.id,
        channel=inbound.channel,
        source=intent.source or DEFAULT_SOURCE.get(inbound.channel, inbound.channel),
        country=inbound.place.country,
        region=inbound.place.region,
    )
    if intent.kind is IntentKind.OPTIN:
        return _opt_in(session, settings, fan, inbound, intent)
    if intent.kind is IntentKind.STOP:
        return _stop(session, settings, fan, inbound)
    if intent.kind is IntentKind.START:
        return _start(session, settings, fan, inbound)
    if intent.kind is IntentKind.HELP:
        _record_per_campaign(session, "help", fan, inbound, [])
        reply = render("sms_help", program=settings.program_name, contact=settings.program_contact)
        return Answer(IntentKind.HELP, reply, None, fan.id)
    _record_per_campaign(session, "unknown", fan, inbound, [])
    if inbound.replied_unknown_recently:
        return Answer(IntentKind.UNKNOWN, None, None, fan.id)
    keywords = [c.keyword for c in campaigns][:3]
    reply = render("sms_unknown", program=settings.program_name, keywords=keywords)
    return Answer(IntentKind.UNKNOWN, reply, None, fan.id)

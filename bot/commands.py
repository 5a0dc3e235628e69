"""Channel-neutral conversation: decide what a fan's text means, act, and word the answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.intents import Intent, IntentKind, classify
from core.db import Db
from core.services import consent, events, fans, optin, web_optin
from core.services.consent import OptInResult
from core.services.fans import Place
from core.services.optin import OpenCampaign
from core.services.sms_text import confirmation_text
from core.settings import Settings
from messages import render

DEFAULT_SOURCE = {"sms": "sms", "discord": "discord"}


@dataclass(frozen=True)
class Inbound:
    """One text from a fan: who, to which of our senders, what, and from where."""

    channel: str
    address: str
    sender: str
    body: str
    place: Place = field(default_factory=Place)
    # Asked only for texts we do not understand (the SMS front end rate-limits those replies).
    may_answer_unknown: Callable[[], bool] = lambda: True


@dataclass(frozen=True)
class Answer:
    """What we decided: the intent, the reply (None: send nothing) and the campaign."""

    intent: IntentKind
    reply: str | None
    campaign_id: int | None = None
    fan_id: int | None = None


def _opt_in(
    session: Db,
    settings: Settings,
    fan_id: int,
    inbound: Inbound,
    intent: Intent,
    campaign: OpenCampaign,
    new_fan: bool,
) -> Answer:
    asked = None if new_fan else web_optin.pending(session, fan_id, campaign.id)
    default = asked.source if asked and inbound.channel == "sms" else None
    source = intent.source or default or DEFAULT_SOURCE.get(inbound.channel, inbound.channel)
    outcome = optin.opt_in(
        session,
        public_url=settings.public_url,
        fan_id=fan_id,
        campaign_id=campaign.id,
        channel=inbound.channel,
        sender=inbound.sender,
        source=source,
        place=inbound.place,
        new_fan=new_fan,
    )
    if outcome.result is OptInResult.BLOCKED:
        reply = (
            None
            if settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
            else render(
                "sms_optin_blocked", program=settings.program_name, keyword=campaign.keyword
            )
        )
        return Answer(IntentKind.OPTIN, reply, campaign.id, fan_id)
    assert outcome.link is not None
    if asked is not None and inbound.channel == "sms":  # the keyword answers the web's ask
        web_optin.confirmed(session, asked, fan_id, inbound.place)
    reply = confirmation_text(
        settings.program_name,
        campaign.artist,
        campaign.title,
        outcome.link,
        duplicate=outcome.result is OptInResult.DUPLICATE,
    )
    return Answer(IntentKind.OPTIN, reply, campaign.id, fan_id)


def _record_per_campaign(
    session: Db, kind: str, fan_id: int, inbound: Inbound, campaign_ids: list[int]
) -> None:
    for campaign_id in campaign_ids or [None]:  # type: ignore[list-item]
        events.record(
            session,
            kind,
            campaign_id=campaign_id,
            fan_id=fan_id,
            channel=inbound.channel,
            source=inbound.channel,
            country=inbound.place.country,
            region=inbound.place.region,
        )


def _stop(session: Db, settings: Settings, fan_id: int, inbound: Inbound) -> Answer:
    affected = optin.active_campaigns_of_sender(session, fan_id, inbound.channel, inbound.sender)
    consent.opt_out(session, fan_id, inbound.channel, inbound.sender, reason="stop")
    if inbound.channel == "sms":
        web_optin.forget_pending(session, fan_id)
    _record_per_campaign(session, "stop", fan_id, inbound, affected)
    handled = settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
    reply = None if handled else render("sms_stop", program=settings.program_name)
    return Answer(IntentKind.STOP, reply, None, fan_id)


def _start(session: Db, settings: Settings, fan_id: int, inbound: Inbound) -> Answer:
    consent.opt_back_in(session, fan_id, inbound.channel, inbound.sender)
    affected = optin.active_campaigns_of_sender(session, fan_id, inbound.channel, inbound.sender)
    _record_per_campaign(session, "start", fan_id, inbound, affected)
    handled = settings.twilio_opt_out_handled_by_twilio and inbound.channel == "sms"
    reply = None if handled else render("sms_start", program=settings.program_name)
    return Answer(IntentKind.START, reply, None, fan_id)


def _confirm(
    session: Db, settings: Settings, fan_id: int, inbound: Inbound, asked: web_optin.Pending
) -> Answer:
    """YES to the text the web form sent: it lifts a STOP as START does, then opts the
    number in to the campaign it was asked about and sends its link."""
    consent.opt_back_in(session, fan_id, inbound.channel, inbound.sender)
    outcome = web_optin.confirm(
        session, settings.public_url, asked, fan_id, inbound.sender, inbound.place
    )
    assert outcome.link is not None, "the STOP was lifted just above"
    reply = confirmation_text(
        settings.program_name,
        asked.artist,
        asked.title,
        outcome.link,
        duplicate=outcome.result is OptInResult.DUPLICATE,
    )
    return Answer(IntentKind.OPTIN, reply, asked.campaign_id, fan_id)


def handle_text(session: Db, settings: Settings, inbound: Inbound) -> Answer:
    """Classify the text, change what it asks for, and return the reply to send."""
    campaigns = optin.open_campaigns(session)
    intent = classify(inbound.body, [c.keyword for c in campaigns])
    column = "phone_e164" if inbound.channel == "sms" else "discord_user_id"
    fan_id, new_fan = fans.fan_id_for(session, column, inbound.address, inbound.place)
    matched = next((c for c in campaigns if c.keyword == intent.keyword), None)
    events.record(
        session,
        f"{inbound.channel}_in",
        campaign_id=matched.id if matched else None,
        fan_id=fan_id,
        channel=inbound.channel,
        source=intent.source or DEFAULT_SOURCE.get(inbound.channel, inbound.channel),
        country=inbound.place.country,
        region=inbound.place.region,
    )
    if intent.kind is IntentKind.OPTIN and matched is not None:
        return _opt_in(session, settings, fan_id, inbound, intent, matched, new_fan)
    if intent.kind is IntentKind.STOP:
        return _stop(session, settings, fan_id, inbound)
    if intent.kind is IntentKind.START:
        asked = (
            web_optin.pending(session, fan_id)
            if intent.confirms and inbound.channel == "sms" and not new_fan
            else None
        )
        if asked is not None:
            return _confirm(session, settings, fan_id, inbound, asked)
        return _start(session, settings, fan_id, inbound)
    if intent.kind is IntentKind.HELP:
        _record_per_campaign(session, "help", fan_id, inbound, [])
        reply = render("sms_help", program=settings.program_name, contact=settings.program_contact)
        return Answer(IntentKind.HELP, reply, None, fan_id)
    _record_per_campaign(session, "unknown", fan_id, inbound, [])
    if not inbound.may_answer_unknown():
        return Answer(IntentKind.UNKNOWN, None, None, fan_id)
    keywords = [c.keyword for c in campaigns][:3]
    reply = render("sms_unknown", program=settings.program_name, keywords=keywords)
    return Answer(IntentKind.UNKNOWN, reply, None, fan_id)

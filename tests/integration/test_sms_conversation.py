"""The SMS conversation through the real webhook: opt-in, repeat, STOP, START, HELP, other."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    Fan,
    FanLink,
    InboundMessage,
    ScheduledMessage,
)
from core.services.campaigns import campaign_json
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, inbound, post_signed
from web import create_app

LINK_RE = re.compile(r"https://presave\.example\.test/p/([A-Za-z0-9_-]{22})")


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    return settings.with_overrides(twilio_auth_token=AUTH_TOKEN, program_name="Mira Vale Alerts")


@pytest.fixture
def sms_app(sms_settings: Settings) -> Flask:
    return create_app(sms_settings)


@pytest.fixture
def sms(sms_app: Flask) -> FlaskClient:
    return sms_app.test_client()


@pytest.fixture
def campaign_id(db: Session) -> Iterator[int]:
    yield make_campaign(db, "DROP").id


def text(client: FlaskClient, settings: Settings, body: str, **kw: str) -> TestResponse:
    response = post_signed(client, settings.public_url, "/webhooks/twilio/sms", inbound(body, **kw))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return response


def reply_of(response: TestResponse) -> str:
    body = response.get_data(as_text=True)
    found = re.search(r"<Message>(.*)</Message>", body, re.S)
    return found.group(1).replace("&amp;", "&").replace("&quot;", '"') if found else ""


def counts(db: Session, settings: Settings, campaign_id: int) -> dict[str, object]:
    from core.models import Campaign

    db.expire_all()
    campaign = db.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign_json(db, campaign, settings.public_url)["counts"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "body", ["DROP", "drop", " Drop ", "drop!", "DROP 🔥", "🔥drop🔥", "Drop."]
)
def test_keyword_variants_opt_in_with_a_personal_link(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int, body: str
) -> None:
    reply = reply_of(text(sms, sms_settings, body))
    assert "Mira Vale Alerts" in reply
    assert "Msg & data rates may apply" in reply
    assert "Reply HELP for help, STOP to opt out" in reply
    assert "Up to 3 msgs/day" in reply
    match = LINK_RE.search(reply)
    assert match, reply
    link = db.scalar(select(FanLink).where(FanLink.code == match.group(1)))
    assert link is not None and link.campaign_id == campaign_id
    fan = db.get(Fan, link.fan_id)
    assert fan is not None
    assert (fan.phone_e164, fan.country, fan.region) == ("+14155550101", "US", "CA")
    consent = db.scalar(select(Consent).where(Consent.fan_id == fan.id))
    assert consent is not None
    assert (consent.channel, consent.source, consent.status) == ("sms", "sms", "opted_in")
    c = counts(db, sms_settings, campaign_id)
    assert c["events"] == {"sms_in": 1, "optin": 1}
    assert c["consents"] == {"sms": 1} and c["fans"] == 1


def test_word_after_keyword_is_the_source(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    text(sms, sms_settings, "DROP tiktok")
    consent = db.scalar(select(Consent))
    assert consent is not None and consent.source == "tiktok"
    assert counts(db, sms_settings, campaign_id)["sources"] == {"tiktok": 1}  # one fan (two events)


def test_keyword_again_same_link_no_duplicate(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    first = LINK_RE.search(reply_of(text(sms, sms_settings, "DROP")))
    second_reply = reply_of(text(sms, sms_settings, "drop"))
    second = LINK_RE.search(second_reply)
    assert first and second and first.group(1) == second.group(1)
    assert "already in" in second_reply
    assert db.scalar(select(func.count()).select_from(Consent)) == 1
    assert db.scalar(select(func.count()).select_from(FanLink)) == 1
    assert counts(db, sms_settings, campaign_id)["events"] == {
        "sms_in": 2,
        "optin": 1,
        "duplicate_optin": 1,
    }


def test_codes_are_unguessable_and_per_fan(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    codes = {
        LINK_RE.search(
            reply_of(text(sms, sms_settings, "DROP", from_number=f"+1415555{n:04d}"))
        ).group(1)  # type: ignore[union-attr]
        for n in range(101, 111)
    }
    assert len(codes) == 10  # 22 url-safe chars from 16 random bytes = 128 bits


@pytest.mark.parametrize(
    "word",
    ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit", "REVOKE", "optout",
     "stop please", "Unsubscribe me", "STOP!!"],
)  # fmt: skip
def test_stop_words_opt_out_of_every_campaign_and_cancel_queued(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int, word: str
) -> None:
    other = make_campaign(db, "BLOOM").id
    text(sms, sms_settings, "DROP")
    text(sms, sms_settings, "BLOOM")
    fan = db.scalar(select(Fan))
    assert fan is not None
    message = ScheduledMessage(
        campaign_id=campaign_id, kind="countdown", template="x", send_at=utcnow()
    )
    db.add(message)
    db.flush()
    db.add(Delivery(message_id=message.id, fan_id=fan.id, channel="sms"))
    db.commit()
    reply = reply_of(text(sms, sms_settings, word))
    assert "unsubscribed" in reply and "START" in reply
    db.expire_all()
    assert set(db.scalars(select(Consent.status))) == {ConsentStatus.OPTED_OUT}
    assert db.scalar(select(Delivery.status)) == DeliveryStatus.CANCELLED
    assert counts(db, sms_settings, campaign_id)["events"]["stop"] == 1  # type: ignore[index]
    assert counts(db, sms_settings, other)["events"]["stop"] == 1  # type: ignore[index]


def test_stop_is_silent_when_twilio_handles_opt_outs(
    sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    client = create_app(sms_settings.with_overrides(twilio_opt_out_handled_by_twilio=True))
    c = client.test_client()
    text(c, sms_settings, "DROP")
    response = text(c, sms_settings, "STOP")
    assert "<Message>" not in response.get_data(as_text=True)
    assert "<Response" in response.get_data(as_text=True)
    assert set(db.scalars(select(Consent.status))) == {ConsentStatus.OPTED_OUT}
    blocked = text(c, sms_settings, "DROP")  # Twilio blocks replies anyway: stay silent
    assert "<Message>" not in blocked.get_data(as_text=True)


def test_stop_keyword_start_keyword(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    link = LINK_RE.search(reply_of(text(sms, sms_settings, "DROP")))
    text(sms, sms_settings, "STOP")
    blocked = reply_of(text(sms, sms_settings, "DROP"))
    assert LINK_RE.search(blocked) is None
    assert "START" in blocked
    db.expire_all()
    assert set(db.scalars(select(Consent.status))) == {ConsentStatus.OPTED_OUT}
    assert db.scalar(select(func.count()).select_from(Consent)) == 1
    started = reply_of(text(sms, sms_settings, "START"))
    assert "subscribed again" in started
    db.expire_all()
    assert set(db.scalars(select(Consent.status))) == {ConsentStatus.OPTED_IN}
    again = LINK_RE.search(reply_of(text(sms, sms_settings, "drop")))
    assert link and again and link.group(1) == again.group(1)
    events = counts(db, sms_settings, campaign_id)["events"]
    assert events == {
        "sms_in": 3,
        "optin": 1,
        "stop": 1,
        "optin_blocked": 1,
        "start": 1,
        "duplicate_optin": 1,
    }


def test_stop_from_a_number_never_seen_still_blocks_later_keywords(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    text(sms, sms_settings, "STOP")
    assert "START" in reply_of(text(sms, sms_settings, "DROP"))
    assert db.scalar(select(func.count()).select_from(Consent)) == 0


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_words(sms: FlaskClient, sms_settings: Settings, campaign_id: int, word: str) -> None:
    assert "subscribed again" in reply_of(text(sms, sms_settings, word))


@pytest.mark.parametrize("word", ["HELP", "info", "help?"])
def test_help_names_program_and_contact(
    sms: FlaskClient, sms_settings: Settings, campaign_id: int, word: str
) -> None:
    reply = reply_of(text(sms, sms_settings, word))
    assert "Mira Vale Alerts" in reply and sms_settings.program_contact in reply
    assert "STOP" in reply


def test_unknown_text_gets_help_once_per_day(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    make_campaign(db, "BLOOM")
    first = reply_of(text(sms, sms_settings, "hello?"))
    assert "DROP" in first and "BLOOM" in first
    assert reply_of(text(sms, sms_settings, "what is this")) == ""
    assert reply_of(text(sms, sms_settings, "hi", from_number="+14155550199")) != ""
    db.execute(update(InboundMessage).values(at=utcnow() - timedelta(hours=25)))
    db.commit()
    assert "DROP" in reply_of(text(sms, sms_settings, "anyone?"))


def test_replayed_message_sid_same_reply_no_change(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int
) -> None:
    params = inbound("DROP ig", sid="SM" + "a" * 32)
    first = post_signed(sms, sms_settings.public_url, "/webhooks/twilio/sms", params)
    before = json.dumps(counts(db, sms_settings, campaign_id), sort_keys=True)
    again = post_signed(sms, sms_settings.public_url, "/webhooks/twilio/sms", params)
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert json.dumps(counts(db, sms_settings, campaign_id), sort_keys=True) == before
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 1


@pytest.mark.parametrize(
    "number",
    ["+447911123456", "+819012345678", "+5511961234567", "+4915123456789", "+61412345678"],
)
def test_any_valid_e164_number_is_accepted(
    sms: FlaskClient, sms_settings: Settings, db: Session, campaign_id: int, number: str
) -> None:
    assert LINK_RE.search(reply_of(text(sms, sms_settings, "DROP", from_number=number)))
    assert db.scalar(select(Fan.phone_e164)) == number

"""Fields Twilio never sends (a NUL, an over-long value, a Sid that is not letters and
digits) get the same one-line 400 on SQLite and PostgreSQL, and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cli import migrate
from core.db import transaction
from core.models import (
    Campaign,
    Consent,
    Delivery,
    DeliveryStatus,
    Event,
    Fan,
    InboundMessage,
    ScheduledMessage,
)
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, OUR_NUMBER, inbound, post_signed
from web import create_app

SMS, STATUS = "/webhooks/twilio/sms", "/webhooks/twilio/status"
SID = "SM" + "b" * 32


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    if request.param == "sqlite":
        yield settings.database_url
        return
    pg_url: str = request.getfixturevalue("pg_url")
    migrate.upgrade(pg_url)
    yield pg_url


@pytest.fixture
def app_settings(settings: Settings, url: str) -> Settings:
    with transaction(url) as session:
        make_campaign(session, "DROP")
    return settings.with_overrides(database_url=url, twilio_auth_token=AUTH_TOKEN)


@pytest.fixture
def client(app_settings: Settings) -> FlaskClient:
    return create_app(app_settings).test_client()


def counts(url: str) -> list[int]:
    with transaction(url) as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (InboundMessage, Event, Fan, Consent)
        ]


INBOUND_CASES = [
    ({"MessageSid": "SM\x00" + "a" * 31}, "MessageSid contains a NUL character"),
    ({"Body": "DROP\x00"}, "Body contains a NUL character"),
    ({"From": "+14155550101\x00"}, "From contains a NUL character"),
    ({"FromCity": "SAN\x00FRANCISCO"}, "FromCity contains a NUL character"),
    ({"MessageSid": "SM" + "a" * 63}, "MessageSid longer than 64 characters"),
    ({"To": "+1" + "5" * 63}, "To longer than 64 characters"),
    ({"MessageSid": "SM<script>"}, "MessageSid must be letters and digits"),
    ({"MessageSid": "SMé" + "a" * 31}, "MessageSid must be letters and digits"),
]


@pytest.mark.parametrize(("change", "reason"), INBOUND_CASES)
def test_inbound_sms_refuses_what_twilio_never_sends(
    client: FlaskClient, app_settings: Settings, url: str, change: dict[str, str], reason: str
) -> None:
    params = inbound("DROP")
    params.update(change)
    response = post_signed(client, app_settings.public_url, SMS, params)
    assert response.status_code == 400
    assert response.get_data(as_text=True) == reason + "\n"
    assert counts(url) == [0, 0, 0, 0]


STATUS_CASES = [
    ({"MessageSid": SID[:-1] + "\x00"}, "MessageSid contains a NUL character"),
    ({"MessageStatus": "delivered\x00"}, "MessageStatus contains a NUL character"),
    ({"ErrorCode": "30003\x00"}, "ErrorCode contains a NUL character"),
    ({"MessageSid": SID + "c" * 31}, "MessageSid longer than 64 characters"),
    ({"ErrorCode": "3" * 17}, "ErrorCode longer than 16 characters"),
    ({"MessageSid": SID + " OR 1=1"}, "MessageSid must be letters and digits"),
]


@pytest.mark.parametrize(("change", "reason"), STATUS_CASES)
def test_status_callback_refuses_what_twilio_never_sends(
    client: FlaskClient, app_settings: Settings, url: str, change: dict[str, str], reason: str
) -> None:
    with transaction(url) as session:
        fan = Fan(phone_e164="+14155550101")
        message = ScheduledMessage(
            campaign_id=session.scalar(select(Campaign.id)), kind="drop", template="t",
            send_at=utcnow(),
        )  # fmt: skip
        session.add_all([fan, message])
        session.flush()
        session.add(Delivery(message_id=message.id, fan_id=fan.id, channel="sms", provider_id=SID))
    params = {"MessageSid": SID, "MessageStatus": "delivered", "From": OUR_NUMBER}
    params.update(change)
    response = post_signed(client, app_settings.public_url, STATUS, params)
    assert response.status_code == 400
    assert response.get_data(as_text=True) == reason + "\n"
    with transaction(url) as session:
        assert session.scalar(select(Delivery.status)) == DeliveryStatus.QUEUED
        assert session.scalar(select(Delivery.error_code)) is None

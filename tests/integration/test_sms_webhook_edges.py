"""The webhook's edges: signatures (query string, proxy), bad input, size, status callbacks."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    ConsentStatus,
    Delivery,
    DeliveryStatus,
    Event,
    Fan,
    InboundMessage,
    OptOut,
    ScheduledMessage,
)
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.sms_helpers import AUTH_TOKEN, OUR_NUMBER, inbound, post_signed, sign
from web import create_app

PATH = "/webhooks/twilio/sms"


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    return settings.with_overrides(twilio_auth_token=AUTH_TOKEN)


@pytest.fixture
def app_(sms_settings: Settings, db: Session) -> Flask:
    make_campaign(db, "DROP")
    return create_app(sms_settings)


@pytest.fixture
def c(app_: Flask) -> FlaskClient:
    return app_.test_client()


def nothing_recorded(db: Session) -> bool:
    db.expire_all()
    return all(
        db.scalar(select(func.count()).select_from(model)) == 0
        for model in (InboundMessage, Event, Fan, Consent)
    )


def test_missing_signature_403(c: FlaskClient, db: Session) -> None:
    response = c.post(PATH, data=inbound("DROP"))
    assert response.status_code == 403
    assert nothing_recorded(db)


def test_wrong_signature_403(c: FlaskClient, sms_settings: Settings, db: Session) -> None:
    params = inbound("DROP")
    forged = sign(sms_settings.public_url + PATH, params, token="not-the-token")
    response = c.post(PATH, data=params, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403
    tampered = dict(params, Body="DROP tiktok")
    good_for_other = sign(sms_settings.public_url + PATH, params)
    response = c.post(PATH, data=tampered, headers={"X-Twilio-Signature": good_for_other})
    assert response.status_code == 403
    assert nothing_recorded(db)


def test_signature_covers_the_query_string(c: FlaskClient, sms_settings: Settings) -> None:
    path = PATH + "?campaign=drop&v=2"
    ok = post_signed(c, sms_settings.public_url, path, inbound("DROP"))
    assert ok.status_code == 200
    params = inbound("DROP")
    without_query = sign(sms_settings.public_url + PATH, params)
    response = c.post(path, data=params, headers={"X-Twilio-Signature": without_query})
    assert response.status_code == 403


def test_behind_a_proxy_the_public_url_is_what_counts(
    c: FlaskClient, sms_settings: Settings
) -> None:
    """Twilio signs https://presave.example.test/...; the app sees http://10.0.0.5:8000/..."""
    params = inbound("DROP")
    response = post_signed(
        c, sms_settings.public_url, PATH, params, base_url="http://10.0.0.5:8000"
    )
    assert response.status_code == 200
    params = inbound("DROP")
    internal = sign("http://10.0.0.5:8000" + PATH, params)
    response = c.post(
        PATH, data=params, headers={"X-Twilio-Signature": internal}, base_url="http://10.0.0.5:8000"
    )
    assert response.status_code == 403


def test_a_signature_over_the_url_with_its_default_port_is_accepted(
    c: FlaskClient, sms_settings: Settings, db: Session
) -> None:
    """Twilio signs with or without the port at times; validate() accepts either."""
    params = inbound("DROP")
    with_port = sms_settings.public_url.replace(".test", ".test:443") + PATH
    assert with_port.startswith("https://presave.example.test:443/")
    response = c.post(PATH, data=params, headers={"X-Twilio-Signature": sign(with_port, params)})
    assert response.status_code == 200
    assert db.scalar(select(func.count()).select_from(Consent)) == 1


def test_a_multipart_form_is_read_too(c: FlaskClient, sms_settings: Settings, db: Session) -> None:
    params = inbound("DROP")
    signature = sign(sms_settings.public_url + PATH, params)
    response = c.post(
        PATH,
        data=params,
        content_type="multipart/form-data",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert db.scalar(select(func.count()).select_from(Consent)) == 1


def test_a_repeated_field_counts_once_its_first_value(
    c: FlaskClient, sms_settings: Settings, db: Session
) -> None:
    params = inbound("DROP")
    body = "&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B")
    body += "&Body=STOP"  # a second Body: the first one is the message, as werkzeug reads it
    response = c.post(
        PATH,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(sms_settings.public_url + PATH, params)},
    )
    assert response.status_code == 200
    assert "/p/" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("drop", "change", "reason"),
    [
        ("From", {}, "missing From"),
        ("Body", {}, "missing Body"),
        ("MessageSid", {}, "missing MessageSid"),
        (None, {"From": "not-a-number"}, "From is not a valid phone number"),
        (None, {"From": "+1555"}, "From is not a valid phone number"),
        (None, {"From": "+10000000000"}, "From is not a valid phone number"),
        (None, {"Body": "x" * 1601}, "Body longer than 1600 characters"),
    ],
)
def test_bad_input_400_and_nothing_recorded(
    c: FlaskClient,
    sms_settings: Settings,
    db: Session,
    drop: str | None,
    change: dict[str, str],
    reason: str,
) -> None:
    params = inbound("DROP")
    if drop:
        del params[drop]
    params.update(change)
    response = post_signed(c, sms_settings.public_url, PATH, params)
    assert response.status_code == 400
    assert response.get_data(as_text=True).strip() == reason
    assert nothing_recorded(db)


def test_body_of_exactly_1600_characters_is_accepted(
    c: FlaskClient, sms_settings: Settings
) -> None:
    response = post_signed(c, sms_settings.public_url, PATH, inbound("x" * 1600))
    assert response.status_code == 200


def test_request_over_64_kib_413(c: FlaskClient, sms_settings: Settings, db: Session) -> None:
    params = inbound("DROP", Padding="p" * (64 * 1024))
    response = post_signed(c, sms_settings.public_url, PATH, params)
    assert response.status_code == 413
    assert nothing_recorded(db)


def test_unset_auth_token_in_production_refuses_everything(
    sms_settings: Settings, db: Session
) -> None:
    app = create_app(sms_settings.with_overrides(twilio_auth_token=None, env="production"))
    params = inbound("DROP")
    response = app.test_client().post(
        PATH,
        data=params,
        headers={"X-Twilio-Signature": sign(sms_settings.public_url + PATH, params, "sandbox")},
    )
    assert response.status_code == 403
    assert nothing_recorded(db)


def _delivery(db: Session, fan_phone: str = "+14155550101") -> Delivery:
    fan = Fan(phone_e164=fan_phone)
    db.add(fan)
    db.flush()
    campaign_id = db.scalar(select(Consent.campaign_id)) or make_campaign(db, "OTHER").id
    db.add(
        Consent(
            fan_id=fan.id, campaign_id=campaign_id, channel="sms", sender=OUR_NUMBER, source="sms"
        )
    )
    message = ScheduledMessage(campaign_id=campaign_id, kind="drop", template="t", send_at=utcnow())
    db.add(message)
    db.flush()
    delivery = Delivery(
        message_id=message.id, fan_id=fan.id, channel="sms", provider_id="SM" + "b" * 32
    )
    db.add(delivery)
    db.commit()
    return delivery


def status(c: FlaskClient, settings: Settings, **fields: str) -> int:
    params = {"MessageSid": "SM" + "b" * 32, "From": OUR_NUMBER, "To": "+14155550101"}
    params.update(fields)
    return post_signed(c, settings.public_url, "/webhooks/twilio/status", params).status_code


def test_status_callback_moves_the_delivery_forward_only(
    c: FlaskClient, sms_settings: Settings, db: Session
) -> None:
    delivery = _delivery(db)
    assert status(c, sms_settings, MessageStatus="sent") == 204
    assert status(c, sms_settings, MessageStatus="delivered") == 204
    assert status(c, sms_settings, MessageStatus="sent") == 204  # late, out of order
    db.expire_all()
    assert db.get(Delivery, delivery.id).status == DeliveryStatus.DELIVERED  # type: ignore[union-attr]


def test_status_21610_marks_the_number_opted_out(
    c: FlaskClient, sms_settings: Settings, db: Session
) -> None:
    delivery = _delivery(db)
    assert status(c, sms_settings, MessageStatus="failed", ErrorCode="21610") == 204
    db.expire_all()
    row = db.get(Delivery, delivery.id)
    assert row is not None and (row.status, row.error_code) == (DeliveryStatus.FAILED, "21610")
    assert db.scalar(select(OptOut.reason)) == "twilio_21610"
    assert set(db.scalars(select(Consent.status))) == {ConsentStatus.OPTED_OUT}


def test_status_for_an_unknown_message_changes_nothing(
    c: FlaskClient, sms_settings: Settings, db: Session
) -> None:
    assert status(c, sms_settings, MessageStatus="delivered", MessageSid="SM" + "c" * 32) == 204
    assert db.scalar(select(func.count()).select_from(Delivery)) == 0


def test_status_bad_input(c: FlaskClient, sms_settings: Settings, db: Session) -> None:
    _delivery(db)
    assert status(c, sms_settings, MessageStatus="exploded") == 400
    assert status(c, sms_settings) == 400
    params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    assert c.post("/webhooks/twilio/status", data=params).status_code == 403
    db.expire_all()
    assert db.scalar(select(Delivery.status)) == DeliveryStatus.QUEUED

"""Twilio's status callback can come before the send batch has stored the MessageSid: it is
applied all the same (the callback URL names the delivery), and `campaign show` counts it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

import cli
from core.db import transaction
from core.models import Campaign, Consent, ConsentStatus, Delivery, DeliveryStatus, OptOut
from core.providers import twilio_sms
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts
from tests.integration.sms_helpers import post_signed
from web import create_app
from workers.send_jobs import send_deliveries

SENT_THEN_DELIVERED = [{"MessageStatus": "sent"}, {"MessageStatus": "delivered"}]
CARRIER_OPT_OUT = [{"MessageStatus": "failed", "ErrorCode": "21610"}]


def callbacks_first(
    world: DropWorld, monkeypatch: pytest.MonkeyPatch, fields: list[dict[str, str]]
) -> list[int]:
    """Twilio answers the send, then posts these status callbacks to our webhook before
    the send batch records the MessageSid (as a fast handset's receipt does)."""
    real_send = twilio_sms.send
    answers: list[int] = []

    def send(*args: Any, **kwargs: Any) -> twilio_sms.SentSms:
        sent = real_send(*args, **kwargs)
        callback = args[4]
        assert callback.startswith(world.settings.public_url)
        path = callback[len(world.settings.public_url) :]
        for extra in fields:
            form = {"MessageSid": sent.sid, "From": "+15005550006", **extra}
            client = create_app(world.settings).test_client()
            reply = post_signed(
                client, world.settings.public_url, path, form, token=world.env["TWILIO_AUTH_TOKEN"]
            )
            answers.append(reply.status_code)
        return sent

    monkeypatch.setattr(twilio_sms, "send", send)
    return answers


def campaign_deliveries(world: DropWorld, campaign_id: int, capsys: Any) -> dict[str, int]:
    """`presave campaign show SLUG --json`: its delivery counts."""
    with transaction(world.settings.database_url) as session:
        slug = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
    assert slug is not None
    capsys.readouterr()
    assert cli.main(["campaign", "show", slug, "--json"]) == 0
    counts: dict[str, int] = json.loads(capsys.readouterr().out)["counts"]["deliveries"]
    return counts


def test_delivered_before_the_sid_is_stored_is_counted(
    drop_world: DropWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = drop_world
    seeded, ids = drop_alerts(world.settings, world, 2)
    answers = callbacks_first(world, monkeypatch, SENT_THEN_DELIVERED)
    assert send_deliveries(world.settings, world.redis, ids).get("sent") == 2
    assert answers == [204] * 4
    assert campaign_deliveries(world, seeded.campaign_id, capsys) == {"delivered": 2}
    # A late `sent` (callbacks come out of order) does not undo `delivered`.
    with transaction(world.settings.database_url) as session:
        rows = session.execute(select(Delivery.id, Delivery.provider_id)).all()
    for delivery_id, sid in rows:
        path = f"/webhooks/twilio/status?d={delivery_id}"
        form = {"MessageSid": str(sid), "MessageStatus": "sent", "From": "+15005550006"}
        client = create_app(world.settings).test_client()
        token = world.env["TWILIO_AUTH_TOKEN"]
        assert (
            post_signed(client, world.settings.public_url, path, form, token=token).status_code
            == 204
        )
    assert campaign_deliveries(world, seeded.campaign_id, capsys) == {"delivered": 2}


def test_a_carrier_opt_out_before_the_sid_is_stored_opts_out(
    drop_world: DropWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = drop_world
    _, ids = drop_alerts(world.settings, world, 1)
    answers = callbacks_first(world, monkeypatch, CARRIER_OPT_OUT)
    send_deliveries(world.settings, world.redis, ids)
    assert answers == [204]
    with transaction(world.settings.database_url) as session:
        delivery = session.get(Delivery, ids[0])
        assert delivery is not None
        assert (delivery.status, delivery.error_code) == (DeliveryStatus.FAILED, "21610")
        assert delivery.provider_id is not None
        assert session.scalar(select(OptOut.reason)) == "twilio_21610"
        assert set(session.scalars(select(Consent.status))) == {ConsentStatus.OPTED_OUT}


def test_a_callback_naming_a_delivery_sent_as_another_message_changes_nothing(
    drop_world: DropWorld,
) -> None:
    world = drop_world
    _, ids = drop_alerts(world.settings, world, 1)
    assert send_deliveries(world.settings, world.redis, ids).get("sent") == 1
    client = create_app(world.settings).test_client()
    form = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "failed", "From": "+15005550006"}
    path, token = f"/webhooks/twilio/status?d={ids[0]}", world.env["TWILIO_AUTH_TOKEN"]
    assert (
        post_signed(client, world.settings.public_url, path, form, token=token).status_code == 204
    )
    bad = post_signed(
        client, world.settings.public_url, "/webhooks/twilio/status?d=x1", form, token=token
    )
    assert bad.status_code == 400 and b"d: expected a delivery id" in bad.data
    with transaction(world.settings.database_url) as session:
        assert session.scalar(select(Delivery.status)) == DeliveryStatus.SENT

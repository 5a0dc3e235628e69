"""Reconcile settles an SMS a dead worker left `sending` as sent only when Twilio has that
very message (our sender, its words): another campaign's text to the same number is not it."""

from __future__ import annotations

from sqlalchemy import select

from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan
from core.providers import twilio_sms
from core.services import notify, send_state
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts, left_sending, status_and_provider_id
from workers import reconcile
from workers.send_jobs import send_deliveries


def test_another_campaigns_text_to_the_number_does_not_make_it_sent(
    drop_world: DropWorld,
) -> None:
    world = drop_world
    _, [delivery_id] = drop_alerts(world.settings, world, 1)
    with transaction(world.settings.database_url) as session:
        assert send_state.claim(session, notify.DELIVERIES, [delivery_id]) == [delivery_id]
        phone = session.scalar(select(Fan.phone_e164).join(Delivery, Delivery.fan_id == Fan.id))
    assert phone is not None
    left_sending(world, delivery_id)  # the worker died before sending anything
    other = "Presave alerts: Another Artist's new single is out! Reply STOP to opt out."
    twilio_sms.send(twilio_sms.client(world.settings), world.settings, phone, other)
    counts = reconcile.settle_stuck(world.settings, world.redis)
    assert (counts["sms_settled_sent"], counts["sms_requeued"]) == (0, 1)
    assert status_and_provider_id(world, delivery_id) == (DeliveryStatus.QUEUED, None)


def test_its_own_text_makes_it_sent(drop_world: DropWorld) -> None:
    world = drop_world
    _, [delivery_id] = drop_alerts(world.settings, world, 1)
    assert send_deliveries(world.settings, world.redis, [delivery_id]).get("sent") == 1
    _, sid = status_and_provider_id(world, delivery_id)
    left_sending(world, delivery_id)  # the worker died after Twilio took the text
    counts = reconcile.settle_stuck(world.settings, world.redis)
    assert (counts["sms_settled_sent"], counts["sms_requeued"]) == (1, 0)
    assert status_and_provider_id(world, delivery_id) == (DeliveryStatus.SENT, sid)

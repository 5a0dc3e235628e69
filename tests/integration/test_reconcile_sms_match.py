"""Reconcile settles an SMS a dead worker left `sending` as sent only when Twilio has that
very message (our sender, its words): another campaign's text to the same number is not it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan
from core.providers import twilio_sms
from core.services import notify
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts
from workers import reconcile
from workers.send_jobs import send_deliveries


def left_sending(world: DropWorld, delivery_id: int) -> None:
    """As if the worker died a minute ago between Twilio's answer and recording it."""
    with transaction(world.settings.database_url) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                status=DeliveryStatus.SENDING,
                provider_id=None,
                sent_at=None,
                updated_at=utcnow() - timedelta(minutes=1),
            )
        )


def status_and_sid(world: DropWorld, delivery_id: int) -> tuple[str, str | None]:
    with transaction(world.settings.database_url) as session:
        row = session.execute(
            select(Delivery.status, Delivery.provider_id).where(Delivery.id == delivery_id)
        ).one()
        return str(row[0]), row[1]


def test_another_campaigns_text_to_the_number_does_not_make_it_sent(
    drop_world: DropWorld,
) -> None:
    world = drop_world
    _, [delivery_id] = drop_alerts(world.settings, world, 1)
    with transaction(world.settings.database_url) as session:
        assert notify.claim(session, [delivery_id]) == [delivery_id]
        phone = session.scalar(select(Fan.phone_e164).join(Delivery, Delivery.fan_id == Fan.id))
    assert phone is not None
    left_sending(world, delivery_id)  # the worker died before sending anything
    other = "Presave alerts: Another Artist's new single is out! Reply STOP to opt out."
    twilio_sms.send(twilio_sms.client(world.settings), world.settings, phone, other)
    counts = reconcile.settle_stuck(world.settings)
    assert (counts["settled_sent"], counts["requeued"]) == (0, 1)
    assert status_and_sid(world, delivery_id) == (DeliveryStatus.QUEUED, None)


def test_its_own_text_makes_it_sent(drop_world: DropWorld) -> None:
    world = drop_world
    _, [delivery_id] = drop_alerts(world.settings, world, 1)
    assert send_deliveries(world.settings, world.redis, [delivery_id]).get("sent") == 1
    _, sid = status_and_sid(world, delivery_id)
    left_sending(world, delivery_id)  # the worker died after Twilio took the text
    counts = reconcile.settle_stuck(world.settings)
    assert (counts["settled_sent"], counts["requeued"]) == (1, 0)
    assert status_and_sid(world, delivery_id) == (DeliveryStatus.SENT, sid)

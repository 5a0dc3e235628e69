"""Sending through the real send job in tests: settings at a given TWILIO_MPS, and drop
alerts waiting to go out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bench.seed import SeededDrop, sandbox_users, seed
from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan
from core.services import drop, notify
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld


def settings_at(world: DropWorld, mps: str | None) -> Settings:
    """The world's settings with TWILIO_MPS as given (None: unset, the default)."""
    env = {k: v for k, v in world.env.items() if k != "TWILIO_MPS"}
    if mps is not None:
        env["TWILIO_MPS"] = mps
    return load_settings(env, dotenv_path=world.settings.instance_path / "no.env")


def drop_alerts(settings: Settings, world: DropWorld, fans: int) -> tuple[SeededDrop, list[int]]:
    """A campaign with `fans` new SMS fans, and a drop alert delivery for each (not sent)."""
    seeded = seed(settings, sandbox_users(world.sandbox_url, fans), expired=False)
    with transaction(settings.database_url) as session:
        fan_ids = list(session.scalars(select(Fan.id).where(Fan.phone_e164.in_(seeded.phones))))
        message_id = drop.drop_message_id(session, seeded.campaign_id)
        made = notify.create_deliveries(session, message_id, seeded.campaign_id, fan_ids)
    return seeded, made["sms"]


def left_sending(world: DropWorld, delivery_id: int) -> None:
    """As if the worker died a minute ago, after claiming the delivery and before recording
    the provider's answer."""
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


def status_and_provider_id(world: DropWorld, delivery_id: int) -> tuple[str, str | None]:
    """A delivery's status and the provider's id for it."""
    with transaction(world.settings.database_url) as session:
        row = session.execute(
            select(Delivery.status, Delivery.provider_id).where(Delivery.id == delivery_id)
        ).one()
        return str(row[0]), row[1]

"""Sending through the real send job in tests: settings at a given TWILIO_MPS, and drop
alerts waiting to go out."""

from __future__ import annotations

from sqlalchemy import select

from bench.seed import SeededDrop, sandbox_users, seed
from core.db import transaction
from core.models import Fan
from core.services import drop, notify
from core.settings import Settings, load_settings
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

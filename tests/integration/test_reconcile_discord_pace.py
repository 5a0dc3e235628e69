"""Reconcile's Discord lookups (settling DMs a dead worker left `sending`) keep the bot's
shared budget, DISCORD_MAX_RPS, and stop while the invalid-request guard says so."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select, update

from bench.seed import seed_discord
from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan
from core.services import drop, notify, send_state
from core.timeutil import utcnow
from tests.integration.discord_helpers import CHANNEL, GUILD, ROLE, seed_guild
from tests.integration.drop_fixtures import DropWorld
from workers import reconcile
from workers.discord_guard import HALT_KEY, InvalidBudget


def stuck_dms(world: DropWorld, fans: int) -> list[int]:
    """Drop DMs to `fans` Discord fans, claimed a minute ago by a worker that died."""
    seeded = seed_discord(
        world.settings, fans, guild=GUILD, channel=CHANNEL, role=ROLE, keyword="DISCO"
    )
    seed_guild(world.sandbox_url, members=tuple(seeded.user_ids))
    with transaction(world.settings.database_url) as session:
        fan_ids = list(
            session.scalars(select(Fan.id).where(Fan.discord_user_id.in_(seeded.user_ids)))
        )
        message_id = drop.drop_message_id(session, seeded.campaign_id)
        ids = notify.create_deliveries(session, message_id, seeded.campaign_id, fan_ids)
        claimed = send_state.claim(session, notify.DELIVERIES, ids["discord"])
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(claimed))
            .values(updated_at=utcnow() - timedelta(minutes=1))
        )
    return claimed


def test_settling_stuck_dms_keeps_discord_max_rps(drop_world: DropWorld) -> None:
    world = drop_world
    settings = dataclasses.replace(world.settings, discord_max_rps=5.0)
    ids = stuck_dms(world, 6)
    lease = timedelta(seconds=30)
    InvalidBudget(world.redis).halt(60, "the token was refused")
    assert reconcile.settle_stuck(settings, world.redis, lease) == {
        "discord_settled_sent": 0, "discord_requeued": 0,
    }  # fmt: skip
    assert world.sandbox("GET", "arrivals/discord")["count"] == 0, "halted: nobody asked"
    world.redis.delete(HALT_KEY)
    counts = reconcile.settle_stuck(settings, world.redis, lease)
    assert counts == {"discord_settled_sent": 0, "discord_requeued": 6}
    arrivals = world.sandbox("GET", "arrivals/discord")
    assert arrivals["count"] == 13  # a DM channel and its history per fan, and who we are
    # 4.5 a second (90% of 5); one more may share a window with a request that reached the
    # stand-in late (the 13 requests went out within a tenth of a second before they were paced).
    assert arrivals["max_in_any_1s"] <= 6, arrivals
    assert arrivals["last"] - arrivals["first"] >= 12 / 4.5 * 0.9
    with transaction(world.settings.database_url) as session:
        statuses = session.scalars(select(Delivery.status).where(Delivery.id.in_(ids)))
        assert set(statuses) == {DeliveryStatus.QUEUED}

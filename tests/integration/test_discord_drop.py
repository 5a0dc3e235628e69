"""Drop day on Discord against the stand-in: one post per server, one DM per fan, whatever
happens (a killed worker, 429s, closed DMs, /stopalerts mid-run), and pre-saver roles."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from sqlalchemy import select

from bench.seed import SeededDiscord, mark_detected, seed_discord
from core.db import transaction
from core.models import (
    Delivery,
    DeliveryStatus,
    DiscordAnnouncement,
    DiscordBinding,
    DiscordRoleGrant,
    Event,
    Fan,
    MessageStatus,
    RoleGrantStatus,
    ScheduledMessage,
)
from core.services import discord_fans, notify, send_state
from core.timeutil import utcnow
from tests.integration.discord_helpers import CHANNEL, GUILD, ROLE, seed_guild
from tests.integration.drop_fixtures import DropWorld
from workers import reconcile
from workers.discord_transport import discord_limiter
from workers.enqueue import enqueue
from workers.fanout import start_drop
from workers.send_jobs import send_deliveries


def discord_drop(
    world: DropWorld, fans: int, keyword: str = "DISCO", first: int = 0, **knobs: object
) -> SeededDiscord:
    """Fans who ran /presave in the stand-in's server; the release found live."""
    seeded = seed_discord(
        world.settings, fans, guild=GUILD, channel=CHANNEL, role=ROLE, keyword=keyword, first=first
    )
    seed_guild(world.sandbox_url, members=tuple(seeded.user_ids), **knobs)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    return seeded


def dms(world: DropWorld, users: list[str]) -> dict[str, list[str]]:
    return {u: world.sandbox("GET", f"discord/users/{u}")["dms"] for u in users}


def posts(world: DropWorld) -> list[dict[str, object]]:
    found: list[dict[str, object]] = world.sandbox("GET", f"discord/channels/{CHANNEL}/messages")[
        "messages"
    ]
    return found


def test_every_fan_gets_one_dm_and_the_server_one_post(drop_world: DropWorld) -> None:
    world = drop_world
    seeded = discord_drop(world, 20)
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(lambda: world.sent_count() == 20 and len(posts(world)) == 1, what="DMs")
    got = dms(world, seeded.user_ids)
    assert all(len(texts) == 1 for texts in got.values()), got
    assert "Night Bloom** is out now! https://presave.example.test/r/" in got[seeded.user_ids[0]][0]
    post = posts(world)[0]
    assert post["pinged_roles"] == [ROLE] and f"<@&{ROLE}>" in str(post["content"])
    start_drop(world.redis, seeded.campaign_id)  # again: detection repeats, reconcile re-plans
    world.run_job(reconcile.reconcile)
    time.sleep(3)
    assert len(posts(world)) == 1
    assert all(len(t) == 1 for t in dms(world, seeded.user_ids).values())
    with transaction(world.settings.database_url) as session:
        post_status = session.scalars(select(DiscordAnnouncement.status)).all()
        channels = session.scalars(select(Fan.discord_dm_channel_id)).all()
    assert post_status == [DeliveryStatus.SENT]
    assert all(channels), "each fan's DM channel is kept for the next message"


def test_closed_dms_are_undeliverable_and_not_tried_again(drop_world: DropWorld) -> None:
    world = drop_world
    seeded = discord_drop(world, 6)
    closed = seeded.user_ids[:2]
    world.sandbox("POST", "config", json={"discord_dms_closed": closed})
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(
        lambda: (
            world.delivery_counts().get(DeliveryStatus.UNDELIVERABLE, 0) == 2
            and world.sent_count() == 4
        ),
        what="4 DMs sent, 2 refused",
    )
    refused = world.sandbox("GET", "stats")["discord"]["by_status"].get("403", 0)
    assert refused == 2
    with transaction(world.settings.database_url) as session:
        rows = session.execute(
            select(Fan.discord_user_id, Delivery.error_code, Fan.discord_dms_closed_at)
            .join(Fan, Fan.id == Delivery.fan_id)
            .where(Delivery.status == DeliveryStatus.UNDELIVERABLE)
        ).all()
        assert sorted(str(r[0]) for r in rows) == sorted(closed)
        assert all(r[1] == "50007" and r[2] is not None for r in rows)
        message = ScheduledMessage(
            campaign_id=seeded.campaign_id, kind="countdown", template="drop_alert",
            send_at=utcnow(), status=MessageStatus.SENDING,
        )  # fmt: skip
        session.add(message)
        session.flush()
        fan_ids = session.scalars(select(Fan.id).where(Fan.discord_user_id.in_(closed))).all()
        ids = notify.create_deliveries(session, message.id, seeded.campaign_id, fan_ids)
    counts = send_deliveries(world.settings, world.redis, ids["discord"])
    assert counts == {"claimed": 2}, "no request for fans whose DMs are closed"
    assert world.sandbox("GET", "stats")["discord"]["by_status"].get("403", 0) == 2


def test_a_429_is_retried_after_retry_after_and_a_global_one_pauses_every_worker(
    drop_world: DropWorld,
) -> None:
    world = drop_world
    seeded = discord_drop(world, 4)
    world.sandbox(
        "POST", "faults",
        json={"kind": "429", "service": "discord", "endpoint": "message_create", "count": 1,
              "retry_after_s": 3},
    )  # fmt: skip
    start_drop(world.redis, seeded.campaign_id)
    with transaction(world.settings.database_url) as session:
        ids = send_state.due(session, notify.on_channel("discord"))
    began = utcnow()
    counts = send_deliveries(world.settings, world.redis, ids)
    assert counts["sent"] == 3 and counts["retry"] == 1
    with transaction(world.settings.database_url) as session:
        held = session.scalars(
            select(Delivery.not_before).where(Delivery.status == DeliveryStatus.QUEUED)
        ).all()
    assert len(held) == 1 and held[0] is not None
    assert held[0] - began >= timedelta(seconds=2.9), "not before Discord's retry_after"
    world.start_worker()
    world.wait_until(lambda: world.sent_count() == 4, timeout=30, what="the retried DM")
    assert all(len(t) == 1 for t in dms(world, seeded.user_ids).values())
    # A global 429 pauses every worker's Discord requests, through the shared limiter.
    world.sandbox("POST", "config", json={"discord_global_rps": 1})
    limiter = discord_limiter(world.settings, world.redis)
    api = requests.Session()
    for _ in range(3):
        api.get(f"{world.sandbox_url}/discord/api/v10/users/@me", timeout=5,
                headers={"Authorization": "Bot other-program"})  # fmt: skip
    later = discord_drop(world, 2, keyword="LATER", first=50)
    start_drop(world.redis, later.campaign_id)
    with transaction(world.settings.database_url) as session:
        more = send_state.due(session, notify.on_channel("discord"))
    send_deliveries(world.settings, world.redis, more)
    assert limiter.paused_for() > 0 or limiter.current_rate() < limiter.max_rate


def test_a_worker_killed_mid_fan_out_leaves_no_fan_twice_or_never_told(
    drop_world: DropWorld,
) -> None:
    """Discord's nonce window is set to nothing here, so only reconcile's reading of each
    fan's DM channel stands between a killed worker's sends and a second DM."""
    world = drop_world
    seeded = discord_drop(world, 40, discord_latency_ms=400, discord_nonce_window_s=0)
    start_drop(world.redis, seeded.campaign_id)
    victim = world.start_worker()
    world.wait_until(lambda: world.sent_count() >= 3, what="first DMs")
    world.kill(victim)
    assert world.sent_count() < 40, "killed too late to prove anything"
    world.start_worker()
    world.reconcile_until(
        lambda: world.sent_count() == 40 and world.no_sending(),
        timeout=120,
        what="every Discord fan told after the kill",
    )
    got = dms(world, seeded.user_ids)
    assert {u: len(t) for u, t in got.items()} == {u: 1 for u in seeded.user_ids}


def test_stopalerts_mid_fan_out_stops_that_fans_dm(drop_world: DropWorld) -> None:
    world = drop_world
    world.env["DISCORD_MAX_RPS"] = "4"  # a slow bot: the DMs go out over seconds
    seeded = discord_drop(world, 12)
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(lambda: world.sent_count() >= 1, what="the first DM")
    stopper = seeded.user_ids[-1]
    with transaction(world.settings.database_url) as session:
        discord_fans.stop_alerts(session, stopper)
    world.reconcile_until(
        lambda: world.sent_count() == 11 and world.no_sending(),
        timeout=90,
        what="everyone else told",
    )
    assert dms(world, [stopper]) == {stopper: []}
    assert world.delivery_status(Fan.discord_user_id == stopper) == DeliveryStatus.CANCELLED


def test_roles_are_given_and_a_refused_role_waits_for_setup(drop_world: DropWorld) -> None:
    world = drop_world
    seeded = seed_discord(world.settings, 3, guild=GUILD, channel=CHANNEL, role=ROLE)
    left = seeded.user_ids[2]
    seed_guild(world.sandbox_url, members=tuple(seeded.user_ids[:2]))  # the third one left
    with transaction(world.settings.database_url) as session:
        binding = session.scalar(select(DiscordBinding.id))
        fans = session.scalars(select(Fan.id).order_by(Fan.id)).all()
        for fan_id in fans:
            session.add(DiscordRoleGrant(binding_id=binding, fan_id=fan_id, status="queued"))
    with transaction(world.settings.database_url) as session:
        grants = session.scalars(select(DiscordRoleGrant.id)).all()
    enqueue(world.redis, "roles", grants)
    world.start_worker()
    world.wait_until(
        lambda: roles_by_status(world) == {"granted": 2, "failed": 1}, what="roles given"
    )
    roles = {u: world.sandbox("GET", f"discord/users/{u}")["roles"] for u in seeded.user_ids}
    assert roles[seeded.user_ids[0]] == {GUILD: [ROLE]} and roles[left] == {}
    with transaction(world.settings.database_url) as session:
        assert session.scalar(select(Event.id).where(Event.kind == "discord_role")) is not None
    # The bot loses Manage Roles: the next grant is refused once, then waits for setup.
    world.sandbox("POST", "discord/guilds", json=guild_without_manage_roles(seeded.user_ids))
    more = seed_discord(world.settings, 2, guild=GUILD, channel=CHANNEL, role=ROLE,
                        keyword="MORE", first=100)  # fmt: skip
    with transaction(world.settings.database_url) as session:
        other = session.scalar(
            select(DiscordBinding.id).where(DiscordBinding.campaign_id == more.campaign_id)
        )
        new_fans = session.scalars(
            select(Fan.id).where(Fan.discord_user_id.in_(more.user_ids))
        ).all()
        for fan_id in new_fans:
            session.add(DiscordRoleGrant(binding_id=other, fan_id=fan_id, status="queued"))
    with transaction(world.settings.database_url) as session:
        queued = session.scalars(
            select(DiscordRoleGrant.id).where(DiscordRoleGrant.status == "queued")
        ).all()
    enqueue(world.redis, "roles", queued)
    world.wait_until(lambda: binding_error(world, more.campaign_id) is not None, what="refusal")
    time.sleep(2)
    puts = world.sandbox("GET", "stats")["discord"]["by_endpoint"]["member_role_put"]
    assert puts == 3 + 1, "the second grant waits instead of being refused again"
    assert roles_by_status(world).get(RoleGrantStatus.QUEUED) == 2


def roles_by_status(world: DropWorld) -> dict[str, int]:
    with transaction(world.settings.database_url) as session:
        found: dict[str, int] = {}
        for status in session.scalars(select(DiscordRoleGrant.status)):
            found[status] = found.get(status, 0) + 1
        return found


def binding_error(world: DropWorld, campaign_id: int) -> str | None:
    with transaction(world.settings.database_url) as session:
        return session.scalar(
            select(DiscordBinding.role_error).where(DiscordBinding.campaign_id == campaign_id)
        )


def guild_without_manage_roles(members: list[str]) -> dict[str, object]:
    return {
        "id": GUILD,
        "owner_id": "999999999999999999",
        "roles": [{"id": GUILD, "permissions": 3072}, {"id": ROLE, "name": "Pre-saver"}],
        "channels": [{"id": CHANNEL, "name": "drops"}],
        "members": [
            {"id": m} for m in [*members, *[str(600_000_000_000_000_100 + n) for n in range(2)]]
        ],
    }

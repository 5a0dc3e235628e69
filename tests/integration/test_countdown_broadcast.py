"""Countdown messages through real workers and the Twilio stand-in: the clock's tick plans
and sends a due message once per fan, a STOP between queueing and sending is honoured, and
a worker killed mid-broadcast texts nobody twice."""

from __future__ import annotations

from sqlalchemy import select

from bench.seed import daytime_zone, sandbox_users, seed
from core.db import transaction
from core.models import DeliveryStatus, Fan, MessageStatus, ScheduledMessage
from core.services import broadcast, schedule
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.sms_helpers import inbound, post_signed
from web import create_app
from workers import schedule_jobs

TICK = schedule_jobs.due_tick


def countdown_now(world: DropWorld, campaign_slug: str) -> int:
    """A countdown due now, scheduled as the artist would."""
    request = schedule.Request(slug=campaign_slug, template="countdown-1h", at="now")
    with transaction(world.settings.database_url) as session:
        done = schedule.add(
            session, world.settings.public_url, world.settings.program_name, request, utcnow()
        )
        return done.message.id


def slug_of(world: DropWorld, campaign_id: int) -> str:
    from core.models import Campaign

    with transaction(world.settings.database_url) as session:
        found = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
        assert found is not None
        return found


def message_status(world: DropWorld, message_id: int) -> str:
    with transaction(world.settings.database_url) as session:
        found = session.scalar(
            select(ScheduledMessage.status).where(ScheduledMessage.id == message_id)
        )
        return str(found)


def test_the_clock_sends_a_due_countdown_once_to_every_fan(drop_world: DropWorld) -> None:
    world = drop_world
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 30), zone=daytime_zone(utcnow()))
    message_id = countdown_now(world, slug_of(world, seeded.campaign_id))
    world.start_worker()
    world.run_job(TICK)
    world.wait_until(lambda: world.sent_count() == 30, what="the countdown to every fan")
    world.run_job(TICK)  # again: nothing new is planned; the message is done
    world.wait_until(lambda: message_status(world, message_id) == MessageStatus.DONE, what="done")
    with transaction(world.settings.database_url) as session:
        assert broadcast.due(session, utcnow()) == []  # and no later tick plans it again
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}
    body = world.sandbox("GET", "messages")["messages"][0]["body"]
    assert body.startswith("Presave alerts: ") and ' to go: Mira Vale\'s "Night Bloom"' in body
    assert "/p/" in body and body.endswith("Reply STOP to opt out.")


def test_stop_between_queueing_and_sending(drop_world: DropWorld) -> None:
    world = drop_world
    world.env["TWILIO_MPS"] = "3"  # a slow sender: the countdown goes out over seconds
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 12), zone=daytime_zone(utcnow()))
    countdown_now(world, slug_of(world, seeded.campaign_id))
    world.start_worker()
    world.run_job(TICK)
    world.wait_until(lambda: world.sent_count() >= 1, what="the first text")
    stopper = seeded.phones[-1]
    assert stopper not in world.messages_by_number()
    reply = post_signed(
        create_app(world.settings).test_client(), world.settings.public_url,
        "/webhooks/twilio/sms", inbound("STOP", from_number=stopper),
        token=world.env["TWILIO_AUTH_TOKEN"],
    )  # fmt: skip
    assert reply.status_code == 200
    world.reconcile_until(
        lambda: world.sent_count() == 11 and world.no_sending(), timeout=90, what="the others"
    )
    assert stopper not in world.messages_by_number()
    assert world.messages_by_number() == {p: 1 for p in seeded.phones[:-1]}  # the others once
    assert world.delivery_status(Fan.phone_e164 == stopper) == DeliveryStatus.CANCELLED


def test_a_worker_killed_mid_broadcast_texts_nobody_twice(drop_world: DropWorld) -> None:
    world = drop_world
    world.env["TWILIO_MPS"] = "20"
    world.sandbox("POST", "config", json={"twilio_latency_ms": 300})
    fans = 60
    seeded = seed(
        world.settings, sandbox_users(world.sandbox_url, fans), zone=daytime_zone(utcnow())
    )
    countdown_now(world, slug_of(world, seeded.campaign_id))
    victim = world.start_worker()
    world.run_job(TICK)
    world.wait_until(lambda: sum(world.messages_by_number().values()) >= 5, what="first texts")
    world.kill(victim)
    assert sum(world.messages_by_number().values()) < fans, "killed too late to prove anything"
    world.start_worker()
    world.run_job(TICK)
    world.reconcile_until(lambda: world.sent_count() == fans and world.no_sending(), timeout=120,
        what="every fan texted once after the kill",
    )  # fmt: skip
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}

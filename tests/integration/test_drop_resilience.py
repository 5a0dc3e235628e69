"""Drop day survives what goes wrong: killed workers, a flushed Redis, STOP mid-run, late
markets, and night-time in the fan's zone."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.seed import SENDER, mark_detected, sandbox_album, sandbox_users, seed
from core.db import transaction
from core.models import Delivery, DeliveryStatus, Fan, PreSave
from core.services import consent, drop, notify
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.sms_helpers import inbound, post_signed
from web import create_app
from workers.fanout import start_drop
from workers.ratelimit import TWILIO_HEADROOM, provider_limiter
from workers.send_jobs import send_deliveries


def test_worker_killed_mid_chunk_then_restarted(drop_world: DropWorld) -> None:
    world = drop_world
    fans = 100
    world.sandbox("POST", "config", json={"spotify_latency_ms": 300, "twilio_latency_ms": 100})
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, fans), expired=True)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    victim = world.start_worker()
    world.wait_until(lambda: world.presave_counts().get("saved", 0) >= 5, what="first saves")
    world.kill(victim)
    assert world.presave_counts().get("saved", 0) < fans, "killed too late to prove anything"
    world.start_worker()
    world.reconcile_until(
        lambda: world.all_saved_and_sent(fans) and world.no_sending(),
        timeout=120,
        what="every fan saved and told after the kill",
    )
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}


def test_flushed_redis_mid_run_loses_nothing(drop_world: DropWorld) -> None:
    world = drop_world
    fans = 50
    world.sandbox("POST", "config", json={"spotify_latency_ms": 100})
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, fans), expired=True)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(lambda: world.presave_counts().get("saved", 0) >= 3, what="first saves")
    world.redis.flushall()
    world.reconcile_until(
        lambda: world.all_saved_and_sent(fans) and world.no_sending(),
        timeout=120,
        what="every fan saved and told after FLUSHALL",
    )
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}


def test_stop_mid_fan_out_means_no_message_after_it(drop_world: DropWorld) -> None:
    world = drop_world
    fans = 12
    world.env["TWILIO_MPS"] = "2"  # slow sender: the drop alert goes out over seconds
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, fans), expired=False)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(lambda: sum(world.messages_by_number().values()) >= 1, what="first SMS")
    stopper = seeded.phones[-1]
    assert stopper not in world.messages_by_number()
    app = create_app(world.settings)
    reply = post_signed(
        app.test_client(), world.settings.public_url, "/webhooks/twilio/sms",
        inbound("STOP", from_number=stopper), token=world.env["TWILIO_AUTH_TOKEN"],
    )  # fmt: skip
    assert reply.status_code == 200
    world.reconcile_until(
        lambda: sum(world.messages_by_number().values()) == fans - 1 and world.no_sending(),
        timeout=90,
        what="everyone else told",
    )
    assert stopper not in world.messages_by_number()
    status = world.delivery_status(Fan.phone_e164 == stopper)
    assert status in (DeliveryStatus.CANCELLED, DeliveryStatus.FAILED)


def test_a_market_that_goes_live_later(drop_world: DropWorld) -> None:
    world = drop_world
    now = utcnow()
    sandbox_album(
        world.sandbox_url,
        {"NZ": now.isoformat(), "US": (now + timedelta(hours=13)).isoformat()},
    )
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 6), market=["NZ", "US"])
    mark_detected(world.settings, seeded.campaign_id, ["NZ"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(
        lambda: (
            world.presave_counts() == {"saved": 3, "queued_for_market": 3}
            and world.delivery_counts() == {"sent": 3}
        ),
        what="NZ fans saved and told, US fans waiting",
    )
    nz = {p for n, p in enumerate(seeded.phones) if n % 2 == 0}
    assert set(world.messages_by_number()) == nz
    world.sandbox("POST", "clock", json={"advance_s": 13 * 3600 + 60})
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.wait_until(lambda: world.all_saved_and_sent(6), what="US fans saved and told")
    assert world.messages_by_number() == {p: 1 for p in seeded.phones}


def test_night_in_the_fans_zone_holds_the_sms_not_the_save(drop_world: DropWorld) -> None:
    world = drop_world
    now = utcnow()
    night_offset = (3 - now.hour + 12) % 24 - 12  # a zone where it is about 3 a.m.
    zone = f"Etc/GMT{-night_offset:+d}" if night_offset else "Etc/UTC"
    sandbox_album(world.sandbox_url, {"US": now.isoformat()})
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 4), zone=zone)
    mark_detected(world.settings, seeded.campaign_id, ["US"])
    start_drop(world.redis, seeded.campaign_id)
    world.start_worker()
    world.wait_until(
        lambda: world.presave_counts() == {"saved": 4} and world.delivery_counts() == {"held": 4},
        what="saved now, SMS held",
    )
    assert world.messages_by_number() == {}
    with transaction(world.settings.database_url) as session:
        held = list(session.scalars(select(Delivery.not_before)))
        saved_at = list(session.scalars(select(PreSave.saved_at)))
    assert all(s is not None for s in saved_at)
    for moment in held:
        assert moment is not None
        local = moment.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (8, 0)
        assert timedelta(0) < moment - now < timedelta(hours=24)


def test_a_stop_while_a_message_waits_for_its_slot_stops_it(drop_world: DropWorld) -> None:
    """Consent is read before a message waits for its Twilio slot, and again after a long
    wait: a STOP that lands while the senders are paused by a 429 keeps the message back."""
    world = drop_world
    seeded = seed(world.settings, sandbox_users(world.sandbox_url, 1), expired=False)
    with transaction(world.settings.database_url) as session:
        fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == seeded.phones[0]))
        assert fan_id is not None
        message_id = drop.drop_message_id(session, seeded.campaign_id)
        delivery_ids = notify.create_deliveries(session, message_id, seeded.campaign_id, [fan_id])[
            "sms"
        ]
    limiter = provider_limiter(world.redis, "twilio", world.settings.twilio_mps, TWILIO_HEADROOM)
    limiter.penalize(1.5)  # Twilio answered 429: every sender waits a second and a half
    counts: dict[str, int] = {}
    sender = threading.Thread(
        target=lambda: counts.update(send_deliveries(world.settings, world.redis, delivery_ids))
    )
    sender.start()
    time.sleep(0.5)
    with transaction(world.settings.database_url) as session:
        consent.opt_out(session, fan_id, "sms", SENDER, reason="stop")
    sender.join(timeout=30)
    assert counts.get("no_consent") == 1, counts
    assert world.messages_by_number() == {}
    assert world.delivery_counts() == {DeliveryStatus.CANCELLED: 1}

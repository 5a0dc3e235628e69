"""SMS through the real send job and the Twilio stand-in at TWILIO_MPS: the default (1, a
long code's rate) and fractional rates go out, paced at the rate; without TWILIO_MPS a
campaign's texts go at its sender's rate (toll-free 3/s)."""

from __future__ import annotations

import socket
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.db import transaction
from core.models import Campaign, DeliveryStatus
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts, settings_at
from workers.send_jobs import send_deliveries
from workers.sms_transport import sender_limiter, twilio_limiter


@pytest.mark.parametrize(("mps", "fans"), [(None, 2), ("0.5", 2), ("0.1", 1)])
def test_texts_go_out_at_twilio_mps(drop_world: DropWorld, mps: str | None, fans: int) -> None:
    world = drop_world
    settings = settings_at(world, mps)
    rate = settings.twilio_mps
    assert rate == (1.0 if mps is None else float(mps)), "TWILIO_MPS unset means 1"
    world.sandbox("POST", "config", json={"twilio_mps": rate})  # 20429 above it
    _, ids = drop_alerts(settings, world, fans)
    began = time.monotonic()
    counts = send_deliveries(settings, world.redis, ids)
    took = time.monotonic() - began
    assert counts.get("sent") == fans, counts
    arrivals = world.sandbox("GET", "arrivals/twilio")
    assert arrivals["count"] == fans
    if fans > 1:  # one slot every 1 / (0.96 x MPS) seconds
        assert arrivals["last"] - arrivals["first"] >= 0.9 / rate  # (a request may land late)
        assert took < 1 / rate + 1.0
    # The next slot is a whole interval after the last one taken.
    wait = twilio_limiter(settings, world.redis).try_acquire()
    assert 0.5 / rate <= wait <= 1.05 / rate


def test_texts_go_back_to_the_queue_when_the_limiters_redis_is_gone(
    drop_world: DropWorld,
) -> None:
    """No slot to be had (Redis went away): the claims are released at once, nothing is
    sent unpaced, and nothing is left `sending` for reconcile to guess about."""
    world = drop_world
    _, ids = drop_alerts(world.settings, world, 3)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    began = time.monotonic()
    with pytest.raises(redis.ConnectionError):  # queueing the retry needs Redis too
        send_deliveries(world.settings, gone, ids)
    assert time.monotonic() - began < 5
    assert world.delivery_counts() == {DeliveryStatus.QUEUED: 3}
    assert world.sandbox("GET", "arrivals/twilio")["count"] == 0


def give_sender(world: DropWorld, campaign_id: int, kind: str, numbers: int = 1) -> None:
    """The campaign says what its SMS sender is (as `campaign create --sms-sender` does)."""
    with transaction(world.settings.database_url) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.sms_sender, campaign.sms_sender_numbers = kind, numbers


def test_a_toll_free_campaign_texts_at_three_a_second(drop_world: DropWorld) -> None:
    """TWILIO_MPS unset: the campaign's sender sets the pace (toll-free 3/s, not 1/s), and
    the budget is the sender's own, not the long code's."""
    world = drop_world
    settings = settings_at(world, None)
    world.sandbox("POST", "config", json={"twilio_mps": 3.0})  # 20429 above it
    seeded, ids = drop_alerts(settings, world, 7)
    give_sender(world, seeded.campaign_id, "toll_free")
    began = time.monotonic()
    counts = send_deliveries(settings, world.redis, ids)
    took = time.monotonic() - began
    assert counts.get("sent") == 7, counts
    arrivals = world.sandbox("GET", "arrivals/twilio")
    assert arrivals["count"] == 7
    assert arrivals["max_in_any_1s"] <= 3  # no 20429 at the sender's rate
    assert arrivals["last"] - arrivals["first"] >= 0.9 * 6 / 3  # paced: six intervals
    assert took < 6  # at the long code's 1/s it would take more than 6 s
    toll_free = sender_limiter(settings, world.redis, seeded.campaign_id)
    assert 0.5 / 3 <= toll_free.try_acquire() <= 1.05 / 3  # its next slot is one interval on
    assert twilio_limiter(settings, world.redis).try_acquire() == 0  # the long code's: untouched


def test_twilio_mps_overrides_the_senders_kind(drop_world: DropWorld) -> None:
    world = drop_world
    settings = settings_at(world, "0.5")
    world.sandbox("POST", "config", json={"twilio_mps": 0.5})
    seeded, ids = drop_alerts(settings, world, 2)
    give_sender(world, seeded.campaign_id, "short_code")
    counts = send_deliveries(settings, world.redis, ids)
    assert counts.get("sent") == 2, counts
    arrivals = world.sandbox("GET", "arrivals/twilio")
    assert arrivals["last"] - arrivals["first"] >= 0.9 / 0.5  # 0.5/s, not a short code's 100/s
    assert 0.5 / 0.5 <= twilio_limiter(settings, world.redis).try_acquire() <= 1.05 / 0.5

"""SMS through the real send job and the Twilio stand-in at TWILIO_MPS: the default (1, a
long code's rate) and fractional rates go out, paced at the rate."""

from __future__ import annotations

import time

import pytest

from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts, settings_at
from workers.send_jobs import send_deliveries
from workers.sms_transport import twilio_limiter


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
        assert arrivals["last"] - arrivals["first"] >= 1 / rate
        assert took < 1.5 / rate
    # The next slot is a whole interval after the last one taken.
    wait = twilio_limiter(settings, world.redis).try_acquire()
    assert 0.9 / rate <= wait <= 1.05 / rate

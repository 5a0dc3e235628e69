"""The sign-in limits' store watch: one line when an outage starts, one when it ends, and
the store pinged at most every RETRY_SECONDS in between."""

from __future__ import annotations

import logging

import pytest
import redis

from web.artist.limit_store import RETRY_SECONDS, StoreWatch


def test_one_line_per_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="web.artist.limit_store")
    now = [100.0]
    pings: list[float] = []
    answers = [False, True]

    def ping() -> bool:
        pings.append(now[0])
        return answers.pop(0)

    watch = StoreWatch(clock=lambda: now[0])
    assert watch.still_down(ping) is False and caplog.records == [] and pings == []
    for _ in range(5):
        watch.failed(redis.ConnectionError("Error 111 connecting to 127.0.0.1:1."))
    assert watch.still_down(ping) is True and pings == [], "no ping before RETRY_SECONDS"
    now[0] += RETRY_SECONDS
    assert watch.still_down(ping) is True and pings == [105.0], "pinged: still down"
    now[0] += 1
    assert watch.still_down(ping) is True and len(pings) == 1
    now[0] += RETRY_SECONDS
    assert watch.still_down(ping) is False and len(pings) == 2, "pinged: back"
    assert watch.still_down(ping) is False and len(pings) == 2
    watch.failed(OSError("timed out"))
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 3, said
    assert "off" in said[0] and "Error 111" in said[0]
    assert "on again" in said[1] and "after 11 s" in said[1]
    assert "off" in said[2] and "timed out" in said[2]
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in caplog.records)

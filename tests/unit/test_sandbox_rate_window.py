"""The stand-in's rolling rate window counts requests by when they arrived."""

from __future__ import annotations

import time

import pytest

from sandbox.state import RollingLimiter


def test_requests_are_counted_by_arrival_even_when_admitted_out_of_order() -> None:
    limiter = RollingLimiter()
    t0 = time.monotonic() - 5.0
    # Arrived at 0.0, 0.5 and 0.2 s; handled (after the added latency) in this order.
    for at in (0.0, 0.5, 0.2):
        assert limiter.admit("app", 3, 1.0, t0 + at) is None
    wait = limiter.admit("app", 3, 1.0, t0 + 0.9)  # a fourth within one second of arrivals
    assert wait == pytest.approx(0.1)
    assert limiter.admit("app", 3, 1.0, t0 + 1.05) is None, "the one from 0.0 has left"
    assert limiter.admit("other", 3, 1.0, t0 + 0.9) is None, "keys are counted apart"


def test_without_an_arrival_time_now_is_used_and_the_future_is_not_trusted() -> None:
    limiter = RollingLimiter()
    assert limiter.admit("app", 1, 1.0) is None
    wait = limiter.admit("app", 1, 1.0, time.monotonic() + 60.0)  # clamped to now
    assert wait is not None and 0 < wait <= 1.0

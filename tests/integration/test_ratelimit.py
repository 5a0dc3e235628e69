"""The shared rate limiter against the real Redis: accuracy, processes, 429 pauses, recovery."""

from __future__ import annotations

import bisect
import contextlib
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.redis_conn import EmbeddedRedis, connect
from tests.integration.stepped_clock import REAL_TIMEOUT, SteppedClock
from workers import ratelimit
from workers.ratelimit import (
    GATHER,
    HORIZON,
    REDIS_TIMEOUT,
    LimiterUnavailable,
    Reservation,
    SharedRateLimiter,
    limiter_for,
)


def unique(prefix: str) -> str:
    """A limiter name no other test or run shares."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def max_window(times: list[float], width: float = 1.0) -> int:
    """The most of the sorted `times` in any half-open window [t, t + width)."""
    return max((bisect.bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


class RecordingLimiter(SharedRateLimiter):
    """A limiter that keeps the Redis time of every slot it takes."""

    def __init__(self, connection: redis.Redis, name: str, max_rate: float, **kw: float) -> None:
        super().__init__(connection, name, max_rate, **kw)
        self.granted: list[float] = []

    def _reserve(self, want: int) -> Reservation:
        got = super()._reserve(want)
        self.granted.extend(got.times())
        return got

    def _take(self) -> tuple[float, float]:
        wait, granted_at = super()._take()
        if wait == 0.0:
            self.granted.append(granted_at)
        return wait, granted_at


def grant_times(limiter: RecordingLimiter, threads: int, start: float, end: float) -> list[float]:
    """Redis times of the slots `threads` threads take, acquiring from `start` until `end`."""

    def loop() -> None:
        time.sleep(max(0.0, start - time.time()))
        while (left := end - time.time()) > 0:
            if not limiter.acquire(timeout=left):
                break

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(limiter.granted)


def process_grants(url: str, name: str, rate: float, start: float, end: float) -> list[float]:
    """In a spawned process: 8 threads on their own client; the times of their slots."""
    connection = redis.Redis.from_url(url)
    try:
        return grant_times(RecordingLimiter(connection, name, rate), 8, start, end)
    finally:
        connection.close()


def assert_rate(grants: list[float], rate: float, end: float) -> None:
    """From the first slot on: at least 95% of the limit, never 2% above it in any second.

    The span ends at `end` or at the last slot, whichever is later: a thread that asked just
    before `end` may be given a slot reserved up to HORIZON ahead of its asking."""
    seconds = max(end, grants[-1]) - grants[0]
    assert 0.95 * rate * seconds <= len(grants) <= 1.02 * rate * seconds + 1, len(grants)
    assert max_window(grants) <= 1.02 * rate, max_window(grants)


def test_single_thread_keeps_the_rate(redis_conn: redis.Redis) -> None:
    limiter = RecordingLimiter(redis_conn, unique("one"), 100)
    start = time.time()
    grants = grant_times(limiter, 1, start, start + 2.0)
    assert_rate(grants, 100, start + 2.0)


def test_many_threads_share_the_rate(redis_conn: redis.Redis) -> None:
    limiter = RecordingLimiter(redis_conn, unique("threads"), 200)
    start = time.time()
    grants = grant_times(limiter, 32, start, start + 2.0)
    assert_rate(grants, 200, start + 2.0)


def test_two_processes_share_one_budget(redis_url: str) -> None:
    name = unique("procs")
    start = time.time() + 1.5  # both spawned processes are up by then
    end = start + 2.0
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parts = pool.starmap(process_grants, [(redis_url, name, 100.0, start, end)] * 2)
    grants = sorted(parts[0] + parts[1])
    assert_rate(grants, 100, end)
    assert min(len(parts[0]), len(parts[1])) >= 0.3 * len(grants), "both processes got slots"


def test_penalize_pauses_every_worker_and_slows_down(
    redis_conn: redis.Redis, redis_url: str
) -> None:
    name = unique("pause")
    other = redis.Redis.from_url(redis_url)  # another worker: its own client and pool
    mine = SharedRateLimiter(redis_conn, name, 200, recover_seconds=60)
    theirs = RecordingLimiter(other, name, 200, recover_seconds=60)
    start = time.time()
    stop = start + 1.5
    grants: list[float] = []
    worker = threading.Thread(target=lambda: grants.extend(grant_times(theirs, 4, start, stop)))
    worker.start()
    time.sleep(0.3)
    called = time.time()
    mine.penalize(0.5)
    returned = time.time()
    assert 0.45 < mine.paused_for() <= 0.5
    assert mine.current_rate() == pytest.approx(160, abs=0.01)
    assert mine.try_acquire() == pytest.approx(0.5, abs=0.05), "no slot, even for a try"
    worker.join()
    other.close()
    before = [t for t in grants if t < called]
    # Slots the other process reserved before it heard of the pause may still be used:
    # at most HORIZON's worth.
    during = [t for t in grants if returned + HORIZON <= t < called + 0.5]
    # Up to `stop`: the last threads to ask may be handed slots up to HORIZON past it.
    after = [t for t in grants if returned + 0.5 <= t < stop]
    slower = 160 * (stop - returned - 0.5)
    assert during == []
    assert len(before) >= 0.8 * 200 * (called - start), "the other worker was getting slots"
    # + 4: the lateness credit (10 ms of slots), the window edge and the slow recovery.
    assert 0.9 * slower <= len(after) <= slower + 4, "slower after the pause"


def test_rate_recovers_linearly_after_the_pause(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(redis_conn, unique("recover"), 100, recover_seconds=1.0)
    limiter.penalize(0.3)
    assert limiter.current_rate() == pytest.approx(80, abs=0.01)
    time.sleep(0.2)
    assert limiter.current_rate() == pytest.approx(80, abs=0.01), "no recovery while paused"
    time.sleep(0.6)  # half-way through the recovery
    assert 86 <= limiter.current_rate() <= 94
    time.sleep(0.6)
    assert limiter.current_rate() == pytest.approx(100)
    assert limiter.paused_for() == 0.0


def test_a_burst_of_429s_lowers_the_rate_once(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(
        redis_conn, unique("burst"), 100, recover_seconds=3600, penalty_window=0.3
    )
    for _ in range(10):
        limiter.penalize(0)
    assert limiter.current_rate() == pytest.approx(80, abs=0.01)
    time.sleep(0.35)  # past the window: a new burst
    limiter.penalize(0.5)
    limiter.penalize(0.5)
    assert limiter.current_rate() == pytest.approx(64, abs=0.01)
    time.sleep(0.35)  # past the window, but a 429 during the pause answers a request sent before it
    limiter.penalize(0.5)
    assert limiter.current_rate() == pytest.approx(64, abs=0.01)
    assert limiter.paused_for() > 0.45, "the pause is extended all the same"


def test_the_rate_never_drops_below_min_rate(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(
        redis_conn, unique("floor"), 100, min_rate=30, recover_seconds=3600, penalty_window=0
    )
    for _ in range(20):
        limiter.penalize(0)
    assert limiter.current_rate() == pytest.approx(30, abs=0.01)


def test_acquire_gives_up_at_its_timeout(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(redis_conn, unique("timeout"), 2)
    assert limiter.acquire(timeout=0.1)
    began = time.monotonic()
    assert not limiter.acquire(timeout=0.3)
    assert time.monotonic() - began < 0.35
    assert limiter.acquire(timeout=1.0), "the next slot, half a second on"
    assert 0.4 <= time.monotonic() - began <= 0.6
    limiter.penalize(5)
    began = time.monotonic()
    assert not limiter.acquire(timeout=0.5)
    assert time.monotonic() - began < 0.55


def test_try_acquire_takes_nothing_when_it_must_wait(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(redis_conn, unique("try"), 10)
    assert limiter.try_acquire() == 0.0
    first = limiter.try_acquire()
    second = limiter.try_acquire()
    assert 0.05 < first <= 0.1
    assert 0 <= first - second < 0.02, "the second try was not pushed back by the first"
    time.sleep(second)
    assert limiter.try_acquire() == 0.0


def test_keys_expire(redis_conn: redis.Redis) -> None:
    name = unique("ttl")
    limiter = SharedRateLimiter(redis_conn, name, 5, recover_seconds=0.2, penalty_window=0.1)
    assert limiter.acquire(timeout=0.1)
    assert limiter.try_acquire() > 0
    queued = threading.Thread(target=limiter.acquire, kwargs={"timeout": 0.1})
    queued.start()
    queued.join()
    limiter.penalize(0.2)
    keys = list(redis_conn.scan_iter(match=f"presave:rl:{name}:*"))
    assert len(keys) >= 3
    assert all(0 < int(redis_conn.pttl(key)) <= 2000 for key in keys)
    time.sleep(1.7)
    assert list(redis_conn.scan_iter(match=f"presave:rl:{name}:*")) == []


def test_reset_forgets_pause_and_slowdown(redis_conn: redis.Redis) -> None:
    limiter = SharedRateLimiter(redis_conn, unique("reset"), 50)
    limiter.penalize(30)
    assert limiter.paused_for() > 29
    limiter.reset()
    assert limiter.paused_for() == 0.0
    assert limiter.current_rate() == 50
    assert limiter.try_acquire() == 0.0


def test_constructor_talks_to_no_redis_and_limiter_for_caches() -> None:
    nowhere = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    limiter = limiter_for(nowhere, "spotify", 300)
    assert limiter_for(nowhere, "spotify", 300) is limiter
    assert limiter_for(nowhere, "twilio", 3) is not limiter
    assert limiter_for(redis.Redis(host="127.0.0.1", port=1), "spotify", 300) is not limiter
    with pytest.raises(redis.ConnectionError):
        limiter.try_acquire()
    with pytest.raises(ValueError, match="min_rate"):
        SharedRateLimiter(nowhere, "bad", 1, min_rate=2)


class CountingLimiter(RecordingLimiter):
    """A recording limiter that also counts its reserve calls (its Redis round trips)."""

    def __init__(self, connection: redis.Redis, name: str, max_rate: float, **kw: float) -> None:
        super().__init__(connection, name, max_rate, **kw)
        self.calls = 0

    def _reserve(self, want: int) -> Reservation:
        self.calls += 1
        return super()._reserve(want)


def test_one_round_trip_serves_several_waiting_threads(redis_conn: redis.Redis) -> None:
    limiter = CountingLimiter(redis_conn, unique("batch"), 400)
    start = time.time() + 0.1
    grants = grant_times(limiter, 16, start, start + 1.0)
    assert_rate(grants, 400, start + 1.0)
    # 16 threads waiting at 400/s: a reservation holds up to 400 x HORIZON = 10 slots.
    assert limiter.calls <= 0.5 * len(grants), (limiter.calls, len(grants))


def test_queued_waiters_time_out_without_stalling_the_others(redis_conn: redis.Redis) -> None:
    limiter = RecordingLimiter(redis_conn, unique("queue"), 5)  # a slot every 0.2 s
    results: dict[str, bool] = {}
    finished: dict[str, float] = {}
    began = time.monotonic()

    def ask(label: str, timeout: float) -> None:
        results[label] = limiter.acquire(timeout=timeout)
        finished[label] = time.monotonic() - began

    threads = [threading.Thread(target=ask, args=(f"short{i}", 0.5)) for i in range(6)]
    threads += [threading.Thread(target=ask, args=(f"long{i}", 3.0)) for i in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # queued in this order
    for thread in threads:
        thread.join()
    shorts = [results[f"short{i}"] for i in range(6)]
    # Slots at about 0, 0.2 and 0.4 s fit a 0.5 s patience; the rest give up on time.
    assert 2 <= sum(shorts) <= 3, shorts
    assert all(finished[f"short{i}"] < 0.65 for i in range(6)), finished
    assert results["long0"] and results["long1"], "the patient ones still get the next slots"
    assert max(finished.values()) < 1.2, finished
    assert max_window(sorted(limiter.granted)) <= 5 + 1


class FailingOnceLimiter(SharedRateLimiter):
    """A limiter whose first reserve call fails as if Redis went away."""

    failed = False

    def _reserve(self, want: int) -> Reservation:
        if not self.failed:
            self.failed = True
            time.sleep(0.1)  # the others queue up behind the leader meanwhile
            raise redis.ConnectionError("Redis went away")
        return super()._reserve(want)


def test_a_redis_error_reaches_every_waiter_at_once_and_the_next_call_leads(
    redis_conn: redis.Redis,
) -> None:
    limiter = FailingOnceLimiter(redis_conn, unique("fail"), 100)
    outcomes: list[object] = []

    def ask() -> None:
        try:
            outcomes.append(limiter.acquire(timeout=2.0))
        except redis.ConnectionError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for thread in threads:
        thread.start()
        time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in threads), "a waiter was left asleep"
    assert len(outcomes) == 5 and all(isinstance(o, LimiterUnavailable) for o in outcomes)
    assert limiter.acquire(timeout=1.0), "the next call asks Redis again"


def acquire_in_threads(limiter: SharedRateLimiter, count: int) -> list[Thread]:
    """`count` threads, started, each acquiring once."""
    threads = [Thread(limiter) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


class Thread(threading.Thread):
    """One acquire: its outcome (True/False or the exception) and how long it took."""

    def __init__(self, limiter: SharedRateLimiter) -> None:
        super().__init__()
        self.limiter = limiter
        self.outcome: object = None
        self.took = 0.0

    def run(self) -> None:
        began = time.monotonic()
        try:
            self.outcome = self.limiter.acquire(timeout=60)
        except redis.RedisError as exc:
            self.outcome = exc
        self.took = time.monotonic() - began


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis server of this test's own, stopped (and resumed first, if paused) after it."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        if server.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGCONT)
        server.stop()


def test_a_stalled_redis_fails_every_waiter_within_a_second_or_two(
    throwaway_redis: EmbeddedRedis,
) -> None:
    """Redis stops answering (paused, as in a failover or a long fork): acquire raises at
    once for every thread, instead of each waiting out the client's timeouts and retries
    in turn; once Redis answers again, slots are granted again."""
    client = connect(throwaway_redis.url)  # as the workers connect: 5 s timeouts, retries
    limiter = SharedRateLimiter(client, unique("stall"), 5)
    assert limiter.acquire(timeout=1.0)
    assert throwaway_redis.pid is not None
    os.kill(throwaway_redis.pid, signal.SIGSTOP)
    try:
        threads = acquire_in_threads(limiter, 8)
        for thread in threads:
            thread.join(timeout=5.0)
        stuck = sum(thread.is_alive() for thread in threads)
    finally:
        os.kill(throwaway_redis.pid, signal.SIGCONT)
    for thread in threads:
        thread.join(timeout=60)
    assert stuck == 0, f"{stuck} of 8 threads still waiting after 5 s"
    assert all(isinstance(t.outcome, LimiterUnavailable) for t in threads), threads
    # A thread that came after the leader's failure leads once more: two timeouts at most.
    assert max(t.took for t in threads) < 3 * REDIS_TIMEOUT + 0.5
    assert limiter.acquire(timeout=2.0), "Redis is back: slots again"


def test_a_redis_that_is_gone_fails_acquire_at_once(throwaway_redis: EmbeddedRedis) -> None:
    client = connect(throwaway_redis.url)
    limiter = SharedRateLimiter(client, unique("gone"), 5)
    assert limiter.acquire(timeout=1.0)
    throwaway_redis.stop()
    began = time.monotonic()
    with pytest.raises(LimiterUnavailable):
        limiter.acquire(timeout=30)
    assert time.monotonic() - began < 0.5


def test_every_call_on_a_redis_that_is_not_there_raises_limiter_unavailable() -> None:
    """Not only acquire: a try, a 429's penalty, the state and a reset fail as the limiter's
    own error (the client's retries are not used), so callers handle one exception."""
    nowhere = redis.Redis(host="127.0.0.1", port=1)  # a default client, which would retry
    limiter = SharedRateLimiter(nowhere, unique("nowhere"), 10)
    calls = {
        "acquire": lambda: limiter.acquire(timeout=30),
        "try_acquire": limiter.try_acquire,
        "penalize": lambda: limiter.penalize(1.0),
        "current_rate": limiter.current_rate,
        "paused_for": limiter.paused_for,
        "reset": limiter.reset,
    }
    for name, call in calls.items():
        with pytest.raises(LimiterUnavailable, match="rate limiter"):
            call()
            pytest.fail(f"{name} did not raise")


def test_a_rate_under_one_per_second_is_accepted_and_kept(redis_conn: redis.Redis) -> None:
    """TWILIO_MPS=1 paced under is 0.96/s; 0.1 is allowed too: a 429 may slow it further."""
    for rate in (0.96, 0.5, 0.096):
        limiter = SharedRateLimiter(redis_conn, unique("slow"), rate)
        assert limiter.min_rate <= rate
        assert limiter.acquire(timeout=0.1)
        assert limiter.try_acquire() == pytest.approx(1 / rate, abs=0.05)
        limiter.penalize(0)
        assert limiter.current_rate() == pytest.approx(rate * 0.8, abs=0.001)


class AskingLimiter(RecordingLimiter):
    """A recording limiter that keeps when (its own clock) each reserve call was made."""

    def __init__(self, connection: redis.Redis, name: str, max_rate: float, **kw: float) -> None:
        super().__init__(connection, name, max_rate, **kw)
        self.asked: list[float] = []

    def _reserve(self, want: int) -> Reservation:
        self.asked.append(self._asked_at)  # set by the leader just before it calls
        return super()._reserve(want)


def one_arrival_a_millisecond(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch, arrivals: int
) -> AskingLimiter:
    """`arrivals` threads acquiring once each, one a millisecond of a stepped clock, far
    below the rate: the limiter's round trips, on any machine however loaded."""
    clock = SteppedClock()
    monkeypatch.setattr(ratelimit, "time", clock)  # the limiter's monotonic and sleep

    class Waiter(ratelimit._Waiter):
        def __init__(self, deadline: float) -> None:
            super().__init__(deadline)
            self.wake = clock.wake_lock()  # type: ignore[assignment]

    monkeypatch.setattr(ratelimit, "_Waiter", Waiter)
    # 40 slots take 0.4 ms at this rate: Redis, on its real clock, never says "wait".
    limiter = AskingLimiter(redis_conn, unique("gather"), 100_000)
    threads = []
    for _ in range(arrivals):
        threads.append(clock.start(limiter.acquire))
        clock.settle()  # it has asked, or sleeps, or waits in the queue
        clock.step(0.001)
        clock.settle()
    for _ in range(1000):
        if not any(thread.is_alive() for thread in threads):
            break
        clock.step(0.001)
        clock.settle()
    for thread in threads:
        thread.join(timeout=REAL_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread never got its slot"
    return limiter


def test_threads_arriving_one_by_one_share_round_trips(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the rate nobody queues behind a slot, yet calls are gathered GATHER apart, so
    threads arriving one by one share them (a stepped clock: the same calls on any machine)."""
    limiter = one_arrival_a_millisecond(redis_conn, monkeypatch, 40)
    assert len(limiter.granted) == 40
    gaps = [b - a for a, b in zip(limiter.asked, limiter.asked[1:], strict=False)]
    assert min(gaps) >= GATHER, gaps
    # 40 ms of arrivals: a call every GATHER at most, the first one at once.
    assert len(limiter.asked) <= 0.040 / GATHER + 1, limiter.asked
    # Without gathering, each thread arriving alone makes its own call.
    monkeypatch.setattr(ratelimit, "GATHER", 0.0)
    alone = one_arrival_a_millisecond(redis_conn, monkeypatch, 40)
    assert len(alone.granted) == 40 and len(alone.asked) == 40, alone.asked


def test_a_slot_woken_too_late_is_let_go_and_another_taken(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With max_late, a thread that wakes up well after its slot (its process was busy)
    takes a later slot instead of leaving in a bunch with the punctual ones."""
    limiter = SharedRateLimiter(redis_conn, unique("late"), 20.0, max_late=0.02)
    real_sleep = time.sleep
    oversleeps = [0.08]  # the first wait overshoots its slot by 80 ms

    def late_sleep(seconds: float) -> None:
        real_sleep(seconds + (oversleeps.pop() if oversleeps else 0.0))

    monkeypatch.setattr(time, "sleep", late_sleep)  # every thread's sleeps, the limiter's too
    began = time.monotonic()
    assert limiter.acquire(timeout=5)
    assert limiter.missed == 1
    assert time.monotonic() - began >= 0.08
    punctual = SharedRateLimiter(redis_conn, unique("on-time"), 20.0, max_late=0.02)
    assert punctual.acquire(timeout=5) and punctual.missed == 0
    lax = SharedRateLimiter(redis_conn, unique("lax"), 20.0)  # no max_late: a late slot counts
    slots: list[float | None] = []
    real_slot = lax._slot

    def counted_slot(timeout: float) -> float | None:
        slots.append(real_slot(timeout))
        return slots[-1]

    monkeypatch.setattr(lax, "_slot", counted_slot)
    oversleeps.append(0.08)
    assert lax.acquire(timeout=5) and lax.missed == 0
    assert oversleeps == []  # it did wake up late, and kept its slot: one slot taken
    assert len(slots) == 1 and slots[0] is not None

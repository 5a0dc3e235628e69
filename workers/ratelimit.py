"""A rate limiter shared by every worker process through Redis (GCRA on the server's clock).

No library paces many processes against one provider budget: the schedule lives in Redis
(workers.ratelimit_store), and each process reserves a few slots at a time for its
threads. A Redis that fails or stalls raises LimiterUnavailable at once, to every thread
waiting: a limiter call is never retried, and waits at most REDIS_TIMEOUT for an answer.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque

import redis

from core.services.send_plan import SMS_HEADROOM
from workers.ratelimit_store import REDIS_TIMEOUT as REDIS_TIMEOUT
from workers.ratelimit_store import LimiterUnavailable as LimiterUnavailable
from workers.ratelimit_store import Reservation as Reservation
from workers.ratelimit_store import Schedule

SLOWDOWN = 0.8  # multiplicative decrease on a 429
PENALTY_WINDOW = 1.0  # 429s within this many seconds of a decrease decrease the rate once
# acquire() reserves slots for its process up to this far ahead, several per Redis call, so
# a busy process makes a call per batch of slots instead of one per slot. The price: slots
# reserved before another process's 429 may still be used, at most this long into the pause.
HORIZON = 0.025
# Reserve calls from one process are at least this far apart: below the rate, threads come
# one at a time and would each make a call; a thread may wait this much longer for its
# slot, and one thread alone can take at most 1 / GATHER slots a second.
GATHER = 0.005
# A slot taken up to this late keeps the schedule, so waking up late costs no rate; in any
# window of W seconds at most rate * (W + LATENESS_CREDIT) + 1 slots are granted.
LATENESS_CREDIT = 0.010


class _Waiter:
    """One thread waiting in `acquire`: woken once, either with a slot or to lead."""

    __slots__ = ("at", "deadline", "error", "lead", "wake")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.at: float | None = None  # the slot handed to it (local clock)
        self.lead = False  # asked to take over refilling
        self.error: LimiterUnavailable | None = None  # the leader's call to Redis failed
        self.wake = threading.Lock()
        self.wake.acquire()


class SharedRateLimiter:
    """At most `max_rate` slots per second across every process sharing `name` in Redis.

    Threads of one process wait in a FIFO queue. One of them at a time leads: it reserves a
    few slots from Redis for the whole queue and hands each waiter its slot, waking only
    that thread; the others sleep until woken (no polling, no herd on every refill).
    When Redis fails, every thread waiting then gets LimiterUnavailable at once.
    """

    def __init__(
        self,
        connection: redis.Redis,
        name: str,
        max_rate: float,
        *,
        min_rate: float | None = None,
        recover_seconds: float = 10.0,
        penalty_window: float = PENALTY_WINDOW,
        max_late: float | None = None,
    ) -> None:
        if min_rate is None:  # a tenth of the rate, at most 1/s (TWILIO_MPS may be 0.1)
            min_rate = min(1.0, max_rate / 10)
        if not 0 < min_rate <= max_rate:
            raise ValueError(f"need 0 < min_rate <= max_rate, got {min_rate} and {max_rate}")
        if recover_seconds < 0 or penalty_window < 0:
            raise ValueError("need recover_seconds >= 0 and penalty_window >= 0")
        self.given = connection  # kept: limiter_for caches by its id
        self.name = name
        self.max_rate = float(max_rate)
        self.min_rate = float(min_rate)
        self.recover_seconds = float(recover_seconds)
        self.penalty_window = float(penalty_window)
        self.max_late = max_late
        self.missed = 0  # slots let go because their thread woke up too late for them
        self._redis = Schedule(connection, name, self.max_rate, self.recover_seconds)
        self._mu = threading.Lock()
        self._slots: deque[float] = deque()  # reserved, not yet handed out (local clock)
        self._queue: deque[_Waiter] = deque()
        self._led = False  # a waiter is leading
        self._not_before = 0.0  # Redis said: nothing to reserve before this (local clock)
        self._asked_at = -GATHER  # the last reserve call (local clock)

    def _take(self) -> tuple[float, float]:
        """One call: (0.0, granted_at) for a slot taken now, else (wait, 0.0)."""
        got = self._redis.reserve(1, 0.0, LATENESS_CREDIT)
        return (0.0, got.times()[0]) if got.slots else (got.wait, 0.0)

    def _reserve(self, want: int) -> Reservation:
        """One call: reserve up to `want` slots within HORIZON, or learn the wait."""
        return self._redis.reserve(want, HORIZON, LATENESS_CREDIT)

    def try_acquire(self) -> float:
        """Take one slot and return 0.0, or take nothing and return the seconds to wait."""
        return self._take()[0]

    def acquire(self, timeout: float = 60.0) -> bool:
        """Block until a slot is taken (True) or the next one is beyond `timeout` (False).

        With `max_late`, a slot whose thread woke up more than that after it (the process was
        busy elsewhere) is let go and another one taken: late requests then never leave in a
        bunch with punctual ones, and in any window of W seconds at most
        rate * (W + max_late + LATENESS_CREDIT) + 1 of them leave.
        """
        deadline = time.monotonic() + timeout
        while True:
            at = self._slot(max(0.0, deadline - time.monotonic()))
            if at is None:
                return False
            if self.max_late is None or time.monotonic() - at <= self.max_late:
                return True
            self.missed += 1

    def _slot(self, timeout: float) -> float | None:
        """Wait for a slot and sleep until it; its time, or None past `timeout`."""
        waiter = _Waiter(time.monotonic() + timeout)
        with self._mu:
            spare = bool(self._slots) and not self._queue  # and nobody ahead for it
            if spare:
                waiter.at = self._slots.popleft()
                if waiter.at > waiter.deadline:
                    self._slots.appendleft(waiter.at)  # someone with more patience takes it
                    return None
            else:
                self._queue.append(waiter)
                lead = not self._led
                self._led = True
        if spare:
            return _sleep_until(waiter.at)
        if lead:
            return self._lead(waiter)
        waiter.wake.acquire(timeout=max(0.0, waiter.deadline - time.monotonic()))
        with self._mu:
            lead = waiter.lead
            if waiter.at is None and not lead and waiter in self._queue:
                self._queue.remove(waiter)  # timed out in the queue
        if waiter.error is not None:
            raise waiter.error
        if waiter.at is not None:
            return _sleep_until(waiter.at)
        # Promoted to lead (even past its deadline: it must hand the lead on), or woken
        # without a slot because its deadline came first, or timed out.
        return self._lead(waiter) if lead else None

    def _lead(self, me: _Waiter) -> float | None:
        """Reserve slots for the queue and hand them out until `me` has one (or gives up)."""
        try:
            while True:
                with self._mu:
                    self._hand_out(me)
                    if me.at is not None or me not in self._queue:
                        break
                    want = len(self._queue)
                    now = time.monotonic()
                    pause = self._not_before - now
                    gather = self._asked_at + GATHER - now
                if now >= me.deadline or self._not_before > me.deadline:
                    break
                if pause > 0:
                    # Jittered by up to a quarter horizon (half a horizon is free when the
                    # pause ends): processes asking in lockstep would starve the later one.
                    pause += random.uniform(-HORIZON / 4, HORIZON / 4)
                    time.sleep(min(max(pause, 0.0), me.deadline - now))
                    continue
                if gather > 0:  # threads arriving meanwhile share the next round trip
                    time.sleep(min(gather, me.deadline - now))
                    continue
                self._asked_at = time.monotonic()
                try:
                    got = self._reserve(want)
                except redis.RedisError as exc:
                    self._fail_waiters(me, exc)
                    raise self._redis.unavailable(exc) from exc
                received = time.monotonic()
                with self._mu:
                    if got.slots:
                        # Redis time -> local clock, by offsets from the script's `now`:
                        # counted from the moment the answer arrived (later than that `now`),
                        # no slot is used early.
                        self._slots.extend(received + at - got.now for at in got.times())
                        # The schedule now reaches HORIZON ahead: asking again before half of
                        # it has passed would only be told to wait.
                        end = got.first + got.slots * got.interval - got.now
                        self._not_before = received + end - HORIZON / 2
                    else:
                        self._not_before = received + got.wait
        finally:
            with self._mu:
                if me.at is None and me in self._queue:
                    self._queue.remove(me)
                self._pass_lead()
        return _sleep_until(me.at) if me.at is not None else None

    def _fail_waiters(self, me: _Waiter, exc: redis.RedisError) -> None:
        """Wake every other waiter with the error (asking Redis again, one after the
        other, would keep the last of them waiting for as many timeouts)."""
        with self._mu:
            for waiter in self._queue:
                if waiter is not me:
                    waiter.error = self._redis.unavailable(exc)
                    waiter.wake.release()
            self._queue = deque(w for w in self._queue if w is me)

    def _hand_out(self, me: _Waiter) -> None:
        """With the lock held: give reserved slots to the queue in order, waking each waiter;
        a waiter whose deadline comes before its slot is woken without one."""
        while self._slots and self._queue:
            waiter = self._queue.popleft()
            if self._slots[0] <= waiter.deadline:
                waiter.at = self._slots.popleft()
            if waiter is not me:
                waiter.wake.release()

    def _pass_lead(self) -> None:
        """With the lock held: the next waiter in the queue leads, or nobody does."""
        self._led = bool(self._queue)
        if self._queue:
            self._queue[0].lead = True
            self._queue[0].wake.release()

    def penalize(self, retry_after: float) -> None:
        """After a 429: pause every process until now + `retry_after` and slow the rate down.

        This process's reserved slots are dropped at once; another process may use the
        ones it reserved before it hears of the pause (at most HORIZON of them)."""
        wait, window = round(max(retry_after, 0.0) * 1e6), round(self.penalty_window * 1e6)
        _rate, pause_us = self._redis.run("penalize", self.min_rate, wait, window, SLOWDOWN)
        with self._mu:
            self._slots.clear()
            self._not_before = max(self._not_before, time.monotonic() + int(pause_us) / 1e6)

    def current_rate(self) -> float:
        """The rate slots are granted at now (slots per second)."""
        return self._redis.state()[0]

    def paused_for(self) -> float:
        """Seconds left before any slot is granted again (0.0 when not paused)."""
        return self._redis.state()[1]

    def reset(self) -> None:
        """Forget the schedule, the pause and any slowdown (tests and benchmarks)."""
        self._redis.reset()
        with self._mu:
            self._slots.clear()
            self._not_before = 0.0


def _sleep_until(at: float | None) -> float:
    """Sleep until local monotonic time `at` (the slot is taken); return `at`."""
    assert at is not None
    time.sleep(max(0.0, at - time.monotonic()))
    return at


_limiters: dict[tuple[int, str], SharedRateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(
    connection: redis.Redis, name: str, max_rate: float, **kw: float
) -> SharedRateLimiter:
    """The process's one limiter for (`connection`, `name`); the first call's settings win."""
    key = (id(connection), name)
    with _limiters_lock:
        found = _limiters.get(key)
        if found is None:  # the cached limiter keeps `connection` (`given`): its id stays unique
            found = SharedRateLimiter(connection, name, max_rate, **kw)
            _limiters[key] = found
        return found


# Provider limits are paced a little under: a schedule exactly at the limit still lands a
# request or two over it in some one-second window (threads granted a slot reach the socket
# late, in bunches), and each such 429 pauses every worker and lowers the rate for half a
# minute. How these were chosen: docs/benchmarks.md, "Limiter headroom and reservations".
SPOTIFY_HEADROOM = 0.90
TWILIO_HEADROOM = SMS_HEADROOM  # 0.96; send planning counts on it (core.services.send_plan)


def provider_limiter(
    connection: redis.Redis, name: str, provider_rate: float, headroom: float, **kw: float
) -> SharedRateLimiter:
    """The shared limiter for a provider budget of `provider_rate` requests/s, paced under it."""
    return limiter_for(connection, name, provider_rate * headroom, **kw)

"""A rate limiter shared by every worker process through Redis (GCRA on the server's clock)."""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

KEY_PREFIX = "presave:rl"
SLOWDOWN = 0.8  # multiplicative decrease on a 429
PENALTY_WINDOW = 1.0  # 429s within this many seconds of a decrease decrease the rate once
# acquire() reserves slots for its process up to this far ahead, several per Redis call.
# The price: slots reserved before another process's 429 may still be used, at most this
# long into the pause. (A call per slot, two to six with waiting, cost a third of a core at
# 900 slots/s on the drop benchmark; a reservation serves up to rate x HORIZON slots.)
HORIZON = 0.025
# Reserve calls from one process are at least this far apart: below the rate, threads come
# one at a time and would each make a call (the Redis client's own CPU is most of a call's
# cost); a thread may wait this much longer for its slot, and one thread alone can take at
# most 1 / GATHER slots a second.
GATHER = 0.005
# A slot taken up to this late keeps the schedule, so waking up late costs no rate; in any
# window of W seconds at most rate * (W + LATENESS_CREDIT) + 1 slots are granted.
LATENESS_CREDIT = 0.010
# A limiter call fails after this long without an answer, and is never retried: with Redis
# gone or stalled, every sending thread learns it at once instead of waiting for minutes.
REDIS_TIMEOUT = 1.0

# The current rate: the last decrease (`floor`) climbs linearly back to max over `recover`,
# starting when that decrease's pause ends (`since`). Times are microseconds of Redis TIME.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max_rate = tonumber(ARGV[1])
local recover = tonumber(ARGV[2])
local rate = max_rate
local st = redis.call('HMGET', KEYS[3], 'floor', 'since', 'lowered')
local floor, since, lowered = tonumber(st[1]), tonumber(st[2]), tonumber(st[3])
if floor then
  if now <= since then
    rate = floor
  elseif now - since < recover then
    rate = floor + (max_rate - floor) * (now - since) / recover
  end
  rate = math.min(max_rate, rate)
end
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
"""

# try_acquire(): take the next slot if it is due now, else say how long until it is.
# ARGV: max_rate, recover_us, credit_us -> {1, granted_at_us} or {0, wait_us}
_TAKE = (
    _PRELUDE
    + """
if pause > now then return {0, pause - now} end
local interval = 1000000 / rate
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if now >= tat then
  tat = math.max(tat, now - tonumber(ARGV[3])) + interval
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX',
             math.ceil((tat - now) / 1000) + 1000)
  return {1, now}
end
return {0, math.max(1, math.ceil(tat - now))}
"""
)

# acquire(): reserve up to `want` consecutive slots, none more than `horizon` ahead. Slot i
# is at first + i * interval (Redis time, microseconds; interval in nanoseconds so a rate
# like 285/s keeps its fraction). With no slot inside the horizon: how long to wait.
# ARGV: max_rate, recover_us, credit_us, want, horizon_us
# -> {count, first_us, interval_ns, now_us} (count 0: first_us is the wait)
_RESERVE = (
    _PRELUDE
    + """
if pause > now then return {0, pause - now, 0, now} end
local interval = 1000000 / rate
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = math.max(tat, now - tonumber(ARGV[3]))
local horizon = tonumber(ARGV[5])
if first - now > horizon then
  return {0, math.ceil(first - now - horizon / 2), 0, now}
end
local count = math.min(tonumber(ARGV[4]), math.floor((now + horizon - first) / interval) + 1)
tat = first + count * interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {count, string.format('%.0f', first), string.format('%.0f', interval * 1000), now}
"""
)

# ARGV: max_rate, recover_us, min_rate, retry_after_us, window_us, slowdown -> {rate_mHz, pause_us}
_PENALIZE = (
    _PRELUDE
    + """
local min_rate, window = tonumber(ARGV[3]), tonumber(ARGV[5])
local pause_end = math.max(pause, now + tonumber(ARGV[4]))
if pause_end > pause and pause_end > now then
  redis.call('SET', KEYS[2], string.format('%.0f', pause_end), 'PX',
             math.ceil((pause_end - now) / 1000))
end
local resume = math.max(pause_end, now)
if pause <= now and (not lowered or now - lowered >= window) then
  rate = math.max(min_rate, rate * tonumber(ARGV[6]))
  redis.call('HSET', KEYS[3], 'floor', string.format('%.6f', rate),
             'since', string.format('%.0f', resume), 'lowered', string.format('%.0f', now))
elseif floor then
  redis.call('HSET', KEYS[3], 'since', string.format('%.0f', math.max(since, resume)))
  resume = math.max(since, resume)
else
  return {math.floor(rate * 1000), resume - now}
end
local ttl = math.max(resume - now + recover, window)
redis.call('PEXPIRE', KEYS[3], math.ceil(ttl / 1000) + 1000)
return {math.floor(rate * 1000), resume - now}
"""
)

# ARGV: max_rate, recover_us -> {rate_mHz, pause_us}
_STATE = _PRELUDE + "return {math.floor(rate * 1000), math.max(0, pause - now)}\n"


class LimiterUnavailable(redis.ConnectionError):
    """The limiter's Redis failed or is gone: no slot was taken."""


def _fail_fast(connection: redis.Redis) -> redis.Redis:
    """A client for `connection`'s server whose calls fail within REDIS_TIMEOUT, unretried."""
    pool = connection.connection_pool
    kwargs = {
        **pool.connection_kwargs,
        "socket_timeout": REDIS_TIMEOUT,
        "socket_connect_timeout": REDIS_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
    }
    fast = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=fast)


class Reservation(NamedTuple):
    """What one reserve call said: `slots` slots from `first` every `interval` seconds (Redis
    time, which was `now` then), or none and `wait` seconds to come back after."""

    slots: int
    first: float
    interval: float
    wait: float
    now: float

    def next_after(self) -> float:
        """Seconds after `now` when a reserve call would find half a horizon free again."""
        return self.first + self.slots * self.interval - self.now - HORIZON / 2

    def times(self) -> list[float]:
        """When each slot may be used, Redis time (a slot behind `now`, by the lateness
        credit, is used at once)."""
        return [max(self.first + i * self.interval, self.now) for i in range(self.slots)]


@dataclass(frozen=True)
class _Scripts:
    """The limiter's Lua scripts, registered on one client."""

    take: Script
    reserve: Script
    penalize: Script
    state: Script


_scripts: weakref.WeakKeyDictionary[redis.Redis, _Scripts] = weakref.WeakKeyDictionary()
_scripts_lock = threading.Lock()


def _scripts_for(connection: redis.Redis) -> _Scripts:
    """The scripts registered on `connection`, registering them the first time (no Redis call)."""
    with _scripts_lock:
        found = _scripts.get(connection)
        if found is None:
            found = _Scripts(
                take=connection.register_script(_TAKE),
                reserve=connection.register_script(_RESERVE),
                penalize=connection.register_script(_PENALIZE),
                state=connection.register_script(_STATE),
            )
            _scripts[connection] = found
        return found


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
        self.connection = _fail_fast(connection)
        self.name = name
        self.max_rate = float(max_rate)
        self.min_rate = float(min_rate)
        self.recover_seconds = float(recover_seconds)
        self.penalty_window = float(penalty_window)
        self.max_late = max_late
        self.missed = 0  # slots let go because their thread woke up too late for them
        prefix = f"{KEY_PREFIX}:{name}"
        self.keys = [f"{prefix}:tat", f"{prefix}:pause", f"{prefix}:rate"]
        self._scripts = _scripts_for(self.connection)
        self._mu = threading.Lock()
        self._slots: deque[float] = deque()  # reserved, not yet handed out (local clock)
        self._queue: deque[_Waiter] = deque()
        self._led = False  # a waiter is leading
        self._not_before = 0.0  # Redis said: nothing to reserve before this (local clock)
        self._asked_at = -GATHER  # the last reserve call (local clock)

    def _common_args(self) -> list[float]:
        """The arguments every script starts with (see `_PRELUDE`)."""
        return [self.max_rate, round(self.recover_seconds * 1e6)]

    def _take(self) -> tuple[float, float]:
        """One script call: (0.0, granted_at) for a slot taken now, else (wait, 0.0)."""
        args = [*self._common_args(), round(LATENESS_CREDIT * 1e6)]
        granted, micros = self._scripts.take(keys=self.keys, args=args)
        if granted:
            return 0.0, int(micros) / 1e6
        return max(int(micros), 1) / 1e6, 0.0

    def _reserve(self, want: int) -> Reservation:
        """One script call: reserve up to `want` slots within HORIZON, or learn the wait."""
        args = [*self._common_args(), round(LATENESS_CREDIT * 1e6), want, round(HORIZON * 1e6)]
        count, first, interval_ns, now = self._scripts.reserve(keys=self.keys, args=args)
        if int(count) == 0:
            return Reservation(0, 0.0, 0.0, max(int(first), 1) / 1e6, int(now) / 1e6)
        return Reservation(
            int(count), int(first) / 1e6, int(interval_ns) / 1e9, 0.0, int(now) / 1e6
        )

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
                    reservation = self._reserve(want)
                except redis.RedisError as exc:
                    self._fail_waiters(me, exc)
                    raise LimiterUnavailable(f"rate limiter {self.name!r}: {exc}") from exc
                received = time.monotonic()
                with self._mu:
                    if reservation.slots:
                        # Redis time -> local clock, by offsets from the script's `now`:
                        # counted from the moment the answer arrived (later than that `now`),
                        # no slot is used early.
                        self._slots.extend(
                            received + at - reservation.now for at in reservation.times()
                        )
                        # The schedule now reaches HORIZON ahead: asking again before half of
                        # it has passed would only be told to wait.
                        self._not_before = received + reservation.next_after()
                    else:
                        self._not_before = received + reservation.wait
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
                    waiter.error = LimiterUnavailable(f"rate limiter {self.name!r}: {exc}")
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
        args = [
            *self._common_args(),
            self.min_rate,
            round(max(retry_after, 0.0) * 1e6),
            round(self.penalty_window * 1e6),
            SLOWDOWN,
        ]
        _rate, pause_us = self._scripts.penalize(keys=self.keys, args=args)
        with self._mu:
            self._slots.clear()
            self._not_before = max(self._not_before, time.monotonic() + int(pause_us) / 1e6)

    def _state(self) -> tuple[float, float]:
        """The current rate and the seconds of pause left, as Redis sees them now."""
        rate_mhz, pause_us = self._scripts.state(keys=self.keys, args=self._common_args())
        return int(rate_mhz) / 1000, int(pause_us) / 1e6

    def current_rate(self) -> float:
        """The rate slots are granted at now (slots per second)."""
        return self._state()[0]

    def paused_for(self) -> float:
        """Seconds left before any slot is granted again (0.0 when not paused)."""
        return self._state()[1]

    def reset(self) -> None:
        """Forget the schedule, the pause and any slowdown (tests and benchmarks)."""
        self.connection.delete(*self.keys)
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
# minute. Measured on the drop benchmark: at 0.95 Spotify saw 0-1 429s in 4,000 requests.
# SMS: the drop benchmark once needed 0.90 to see no Twilio 429 (18 at 0.95, when texts went
# out from save jobs on 32 threads a batch); since they share one sending pool, 0.96 gives
# none there (20,000 texts) and none in the countdown benchmark, where at most 98-99 of 100
# messages arrive in any second. (Real Twilio queues above MPS instead of refusing.)
SPOTIFY_HEADROOM = 0.90
TWILIO_HEADROOM = 0.96


def provider_limiter(
    connection: redis.Redis, name: str, provider_rate: float, headroom: float, **kw: float
) -> SharedRateLimiter:
    """The shared limiter for a provider budget of `provider_rate` requests/s, paced under it."""
    return limiter_for(connection, name, provider_rate * headroom, **kw)

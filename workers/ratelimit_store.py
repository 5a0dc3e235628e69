"""The shared rate limiter's state in Redis: GCRA in Lua scripts, on the server's clock.

Every process asks the same keys, so the schedule is one however many workers share it,
and each script is one atomic round trip. Times are microseconds of Redis TIME.
Keys: the theoretical arrival time of the next slot (`tat`), a pause until (`pause`), and
the last slowdown (`rate`).

A call fails fast: within REDIS_TIMEOUT, never retried, as LimiterUnavailable.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

KEY_PREFIX = "presave:rl"
# A limiter call fails after this long without an answer, and is never retried: with Redis
# gone or stalled, every sending thread learns it at once instead of waiting for minutes.
REDIS_TIMEOUT = 1.0

# The current rate: the last decrease (`floor`) climbs linearly back to max over `recover`,
# starting when that decrease's pause ends (`since`).
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

# Reserve up to `want` consecutive slots, none more than `horizon` ahead (0: only a slot due
# now). Slot i is at first + i * interval (interval in nanoseconds, so a rate like 285/s
# keeps its fraction). A slot up to `credit` late keeps the schedule: waking up late costs
# no rate. With no slot inside the horizon: how long to wait.
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

# A 429: pause until now + retry_after, and lower the rate once per penalty window.
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


class Reservation(NamedTuple):
    """What one reserve call said: `slots` slots from `first` every `interval` seconds (Redis
    time, which was `now` then), or none and `wait` seconds to come back after."""

    slots: int
    first: float
    interval: float
    wait: float
    now: float

    def times(self) -> list[float]:
        """When each slot may be used, Redis time (a slot behind `now`, within the lateness
        credit, is used at once)."""
        return [max(self.first + i * self.interval, self.now) for i in range(self.slots)]


class LimiterUnavailable(redis.ConnectionError):
    """The limiter's Redis failed or is gone: no slot was taken."""


@dataclass(frozen=True)
class Scripts:
    """The limiter's scripts, registered on one client."""

    reserve: Script
    penalize: Script
    state: Script


_registered: weakref.WeakKeyDictionary[redis.Redis, Scripts] = weakref.WeakKeyDictionary()
_registered_lock = threading.Lock()


def scripts_for(connection: redis.Redis) -> Scripts:
    """The scripts registered on `connection`, registering them the first time (no Redis call)."""
    with _registered_lock:
        found = _registered.get(connection)
        if found is None:
            found = Scripts(
                reserve=connection.register_script(_RESERVE),
                penalize=connection.register_script(_PENALIZE),
                state=connection.register_script(_STATE),
            )
            _registered[connection] = found
        return found


def reservation(answer: list[int | bytes]) -> Reservation:
    """The reserve script's answer, in seconds."""
    count, first, interval_ns, now = (int(v) for v in answer)
    if count == 0:
        return Reservation(0, 0.0, 0.0, max(first, 1) / 1e6, now / 1e6)
    return Reservation(count, first / 1e6, interval_ns / 1e9, 0.0, now / 1e6)


def fail_fast(connection: redis.Redis) -> redis.Redis:
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


class Schedule:
    """One limiter's keys in Redis, and the calls on them."""

    def __init__(self, connection: redis.Redis, name: str, max_rate: float, recover: float) -> None:
        self.connection = fail_fast(connection)
        self.name = name
        prefix = f"{KEY_PREFIX}:{name}"
        self.keys = [f"{prefix}:tat", f"{prefix}:pause", f"{prefix}:rate"]
        self.scripts = scripts_for(self.connection)
        self.common = [max_rate, round(recover * 1e6)]  # the arguments of _PRELUDE

    def unavailable(self, exc: redis.RedisError) -> LimiterUnavailable:
        """The error a waiting thread raises."""
        if isinstance(exc, LimiterUnavailable):  # said once is enough
            return LimiterUnavailable(*exc.args)
        return LimiterUnavailable(f"rate limiter {self.name!r}: {exc}")

    def run(self, script: str, *args: float) -> Any:
        """One script call; a Redis error is LimiterUnavailable, at once."""
        try:
            return getattr(self.scripts, script)(keys=self.keys, args=[*self.common, *args])
        except redis.RedisError as exc:
            raise self.unavailable(exc) from exc

    def reserve(self, want: int, horizon: float, credit: float) -> Reservation:
        """Up to `want` slots within `horizon` seconds (0: one due now), or the wait."""
        return reservation(self.run("reserve", round(credit * 1e6), want, round(horizon * 1e6)))

    def state(self) -> tuple[float, float]:
        """The current rate and the seconds of pause left, as Redis sees them now."""
        rate_mhz, pause_us = self.run("state")
        return int(rate_mhz) / 1000, int(pause_us) / 1e6

    def reset(self) -> None:
        """Forget the schedule, the pause and any slowdown."""
        try:
            self.connection.delete(*self.keys)
        except redis.RedisError as exc:
            raise self.unavailable(exc) from exc

"""A rate limiter shared by every worker process through Redis (GCRA on the server's clock)."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import NamedTuple

import redis
from redis.commands.core import Script

KEY_PREFIX = "presave:rl"
SLOWDOWN = 0.8  # multiplicative decrease on a 429
PENALTY_WINDOW = 1.0  # 429s within this many seconds of a decrease decrease the rate once
MAX_STEP = 0.05  # acquire re-asks Redis at least this often, so it notices pauses
# A slot taken up to this late keeps the schedule, so waking up late costs no rate; in any
# window of W seconds at most rate * (W + LATENESS_CREDIT) + burst slots are granted.
LATENESS_CREDIT = 0.010
NO_APPOINTMENT = -1  # the ticket of try_acquire(): take a free slot or say when, queue nowhere

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

# Waiters in acquire() get an appointment (a time, carried as a ticket) behind the last one
# (`queue`), so they wake one per slot instead of all at every slot. Appointments take nothing:
# the GCRA check on `tat` alone grants slots. Ticket -1 is try_acquire(): no appointment; nor
# is one made past the caller's timeout, so a waiter who gives up leaves no gap in the queue.
# ARGV: max_rate, recover_us, burst, credit_us, ticket_us, timeout_us
# -> {1, granted_at_us, 0} or {0, wait_us, ticket}
_ACQUIRE = (
    _PRELUDE
    + """
if pause > now then return {0, pause - now, 0} end
local ticket = tonumber(ARGV[5])
if ticket > now then return {0, ticket - now, ticket} end
local interval = 1000000 / rate
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowed_at = tat - (tonumber(ARGV[3]) - 1) * interval
local tail = tonumber(redis.call('GET', KEYS[4]) or '0')
if now >= allowed_at and (ticket ~= 0 or tail <= now) then
  tat = math.max(tat, now - tonumber(ARGV[4])) + interval
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX',
             math.ceil((tat - now) / 1000) + 1000)
  return {1, now, 0}
end
if ticket == -1 or (ticket > 0 and allowed_at - now <= interval / 2) then
  return {0, math.max(1, math.ceil(allowed_at - now)), ticket}
end
local at = math.ceil(math.max(tail + interval, allowed_at))
if at - now > tonumber(ARGV[6]) then return {0, at - now, 0} end
redis.call('SET', KEYS[4], string.format('%.0f', at), 'PX', math.ceil((at - now) / 1000) + 1000)
return {0, at - now, at}
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
  redis.call('DEL', KEYS[4])
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


class Attempt(NamedTuple):
    """What one script call said: a slot taken (wait 0.0, at Redis time `granted_at`) or not."""

    wait: float
    ticket: int
    granted_at: float


@dataclass(frozen=True)
class _Scripts:
    """The limiter's Lua scripts, registered on one client."""

    acquire: Script
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
                acquire=connection.register_script(_ACQUIRE),
                penalize=connection.register_script(_PENALIZE),
                state=connection.register_script(_STATE),
            )
            _scripts[connection] = found
        return found


class SharedRateLimiter:
    """At most `max_rate` slots per second across every process sharing `name` in Redis."""

    def __init__(
        self,
        connection: redis.Redis,
        name: str,
        max_rate: float,
        *,
        min_rate: float = 1.0,
        recover_seconds: float = 30.0,
        burst: float = 1.0,
        penalty_window: float = PENALTY_WINDOW,
    ) -> None:
        if not 0 < min_rate <= max_rate:
            raise ValueError(f"need 0 < min_rate <= max_rate, got {min_rate} and {max_rate}")
        if burst < 1 or recover_seconds < 0 or penalty_window < 0:
            raise ValueError("need burst >= 1, recover_seconds >= 0 and penalty_window >= 0")
        self.connection = connection
        self.name = name
        self.max_rate = float(max_rate)
        self.min_rate = float(min_rate)
        self.recover_seconds = float(recover_seconds)
        self.burst = float(burst)
        self.penalty_window = float(penalty_window)
        prefix = f"{KEY_PREFIX}:{name}"
        self.keys = [f"{prefix}:tat", f"{prefix}:pause", f"{prefix}:rate", f"{prefix}:queue"]
        self._scripts = _scripts_for(connection)

    def _common_args(self) -> list[float]:
        """The arguments every script starts with (see `_PRELUDE`)."""
        return [self.max_rate, round(self.recover_seconds * 1e6)]

    def _attempt(self, ticket: int, timeout: float = 0.0) -> Attempt:
        """One script call: take a slot, or learn how long to wait (and the appointment)."""
        credit, timeout_us = round(LATENESS_CREDIT * 1e6), round(max(timeout, 0.0) * 1e6)
        args = [*self._common_args(), self.burst, credit, ticket, timeout_us]
        granted, micros, ticket = self._scripts.acquire(keys=self.keys, args=args)
        if granted:
            return Attempt(0.0, 0, int(micros) / 1e6)
        return Attempt(max(int(micros), 1) / 1e6, int(ticket), 0.0)

    def try_acquire(self) -> float:
        """Take one slot and return 0.0, or take nothing and return the seconds to wait."""
        return self._attempt(NO_APPOINTMENT).wait

    def acquire(self, timeout: float = 60.0) -> bool:
        """Block until a slot is taken (True) or the next one is beyond `timeout` (False)."""
        deadline = time.monotonic() + timeout
        ticket, remaining = 0, timeout
        while True:
            wait, ticket, _ = self._attempt(ticket, remaining)
            if wait == 0.0:
                return True
            remaining = deadline - time.monotonic()
            if wait > remaining:
                return False
            time.sleep(min(wait, MAX_STEP))

    def penalize(self, retry_after: float) -> None:
        """After a 429: pause every process until now + `retry_after` and slow the rate down."""
        args = [
            *self._common_args(),
            self.min_rate,
            round(max(retry_after, 0.0) * 1e6),
            round(self.penalty_window * 1e6),
            SLOWDOWN,
        ]
        self._scripts.penalize(keys=self.keys, args=args)

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


_limiters: dict[tuple[int, str], SharedRateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(
    connection: redis.Redis, name: str, max_rate: float, **kw: float
) -> SharedRateLimiter:
    """The process's one limiter for (`connection`, `name`); the first call's settings win."""
    key = (id(connection), name)
    with _limiters_lock:
        found = _limiters.get(key)
        if found is None:  # the cached limiter keeps `connection`, so its id stays unique
            found = SharedRateLimiter(connection, name, max_rate, **kw)
            _limiters[key] = found
        return found

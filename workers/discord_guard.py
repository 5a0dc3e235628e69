"""Discord bans a bot for a while after 10,000 invalid requests (401, 403, 429) in 10
minutes. Every worker counts the ones it causes in Redis, and all of them stop asking
Discord once the count reaches a quarter of that, or at once when the token is refused."""

from __future__ import annotations

import threading
import time

import redis

KEY = "presave:discord:invalid"
HALT_KEY = "presave:discord:halt"
WINDOW = 600  # seconds, Discord's
BUCKET = 60
BUDGET = 2_500  # a quarter of Discord's 10,000: far below it, whatever other bots on the token do
RECHECK = 1.0  # seconds a reading of the count is trusted


class InvalidBudget:
    """The shared count of invalid requests over the last 10 minutes, in one-minute buckets."""

    def __init__(self, connection: redis.Redis, budget: int = BUDGET) -> None:
        self.connection = connection
        self.budget = budget
        self._lock = threading.Lock()
        self._read_at = -RECHECK
        self._wait = 0.0

    def record(self) -> None:
        """One more invalid answer from Discord."""
        bucket = f"{KEY}:{int(time.time()) // BUCKET}"
        pipe = self.connection.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, WINDOW + BUCKET)
        pipe.execute()
        with self._lock:
            self._read_at = -RECHECK  # read again before the next request

    def halt(self, seconds: float, reason: str) -> None:
        """Stop every worker's Discord requests for `seconds` (a refused bot token)."""
        self.connection.set(HALT_KEY, reason, ex=max(1, int(seconds)))
        with self._lock:
            self._read_at = -RECHECK

    def wait(self) -> float:
        """0.0 when a request may go out now, else seconds until one may."""
        with self._lock:
            if time.monotonic() - self._read_at < RECHECK:
                return self._wait
        now = int(time.time())
        current = now // BUCKET
        keys = [f"{KEY}:{b}" for b in range(current - WINDOW // BUCKET + 1, current + 1)]
        pipe = self.connection.pipeline()
        pipe.mget(keys)
        pipe.ttl(HALT_KEY)
        counts, halted = pipe.execute()
        used = sum(int(c) for c in counts if c)
        wait = float(halted) if halted and halted > 0 else 0.0
        if used >= self.budget:  # the oldest bucket leaves the window at the next minute
            wait = max(wait, float(BUCKET - now % BUCKET))
        with self._lock:
            self._read_at, self._wait = time.monotonic(), wait
        return wait

    def used(self) -> int:
        """Invalid requests counted over the last 10 minutes (for the artist's view, tests)."""
        current = int(time.time()) // BUCKET
        keys = [f"{KEY}:{b}" for b in range(current - WINDOW // BUCKET + 1, current + 1)]
        return sum(int(c) for c in self.connection.mget(keys) if c)

"""The app-wide Spotify quota stop, kept in Redis so every worker's saves stop together."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import redis

from core.services.library import QuotaStop

KEY = "presave:spotify:quota-until"
# How long one process trusts what it last read (a save makes several requests a second).
READ_EVERY_SECONDS = 1.0


class RedisQuotaStop(QuotaStop):
    """QuotaStop whose end lives in Redis (the key expires at the end of the stop)."""

    def __init__(self, connection: redis.Redis) -> None:
        super().__init__()
        self.connection = connection
        self._read_at = float("-inf")
        self._seen: datetime | None = None
        self._mu = threading.Lock()

    def until(self) -> datetime | None:
        """The end of the stop (read from Redis at most once a second per process)."""
        with self._mu:
            if time.monotonic() - self._read_at >= READ_EVERY_SECONDS:
                raw = self.connection.get(KEY)
                self._seen = datetime.fromtimestamp(float(raw), UTC) if raw else None
                self._read_at = time.monotonic()
            seen = self._seen
        if seen is not None and seen <= datetime.now(UTC):
            return None
        return seen

    def stop(self, until: datetime) -> None:
        """Stop every worker's saves until `until` (a later end wins)."""
        stamp = until.timestamp()
        current = self.connection.get(KEY)
        if current is not None and float(current) >= stamp:
            return
        self.connection.set(KEY, f"{stamp:.3f}", pxat=max(int(stamp * 1000), 1))
        with self._mu:
            self._seen, self._read_at = until, time.monotonic()

"""Per-token rate limits for /api/v1 on our Redis (the limits library, Flask-Limiter's
engine): reads and writes counted apart. When Redis cannot be reached the API stays open
and says so once, until Redis answers again."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)
READ_LIMIT = "600/minute"
WRITE_LIMIT = "120/minute"
NAMESPACE = "presave-api"


class TokenLimits:
    """Counts each token's requests in fixed one-minute windows."""

    def __init__(self, storage_uri: str) -> None:
        self.storage_uri = storage_uri
        self._limiter: FixedWindowRateLimiter | None = None
        self._warned = False

    def _strategy(self) -> FixedWindowRateLimiter:
        """Built on first use: no connection is made when the app is created."""
        if self._limiter is None:
            options: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1}
            self._limiter = FixedWindowRateLimiter(storage_from_string(self.storage_uri, **options))
        return self._limiter

    def retry_after(self, token_key: str, kind: str, limit: str) -> int | None:
        """Count one request; the seconds to wait when the token is over `limit`, else None."""
        item = parse(limit)
        key = f"{kind}:{token_key}"
        try:
            strategy = self._strategy()
            if strategy.hit(item, NAMESPACE, key):
                self._warned = False
                return None
            reset = strategy.get_window_stats(item, NAMESPACE, key).reset_time
        except Exception as exc:  # any storage failure: fail open, say it once
            if not self._warned:
                log.warning("API rate limits are off: Redis did not answer (%s)", exc)
                self._warned = True
            return None
        return max(1, math.ceil(reset - time.time()))

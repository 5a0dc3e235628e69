"""The sign-in limits when their store (Redis) cannot be reached: fail open, say so once.

Flask-Limiter's own `swallow_errors` logs a traceback on every request while Redis is down.
`guard(limiter)` replaces its check: an unreachable store lets the request through (argon2
still makes guessing slow) and logs one warning line when an outage starts and one line when
the store answers again, whatever the number of sign-ins in between. During an outage the
store is pinged at most every RETRY_SECONDS instead of being tried on every request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from flask_limiter import Limiter, RateLimitExceeded

log = logging.getLogger(__name__)
STORE_ERRORS = (redis.RedisError, OSError)
RETRY_SECONDS = 5.0


class StoreWatch:
    """Whether the store is down now; logs only when that changes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.down_since: float | None = None
        self._pinged_at = 0.0

    def failed(self, exc: BaseException) -> None:
        """A check could not reach the store: the first failure of an outage is logged."""
        with self._lock:
            if self.down_since is not None:
                return
            self.down_since = self._pinged_at = self._clock()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.warning(
            "sign-in rate limits are off: their store (Redis) can't be reached (%s); "
            "sign-in still works; this is logged once until the store is back",
            reason,
        )

    def still_down(self, ping: Callable[[], bool]) -> bool:
        """False when the store is up (or answers `ping` again: that is logged); True, with
        the store left alone, during an outage between pings."""
        if self.down_since is None:
            return False
        with self._lock:
            now = self._clock()
            if self.down_since is None or now - self._pinged_at < RETRY_SECONDS:
                return self.down_since is not None
            self._pinged_at = now
        if not ping():
            return True
        with self._lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning(
                "sign-in rate limits are on again: their store answered after %.0f s",
                now - since,
            )
        return False


def guard(limiter: Limiter) -> StoreWatch:
    """Wrap `limiter`'s request check (the hook and the per-view decorators both call it)
    so a store error is one line per outage; `limiter` must not swallow errors itself."""
    watch = StoreWatch()
    check = limiter._check_request_limit

    def checked(callable_name: str | None = None, in_middleware: bool = True) -> None:
        if watch.still_down(limiter.storage.check):
            return
        try:
            check(callable_name=callable_name, in_middleware=in_middleware)
        except RateLimitExceeded:
            raise
        except STORE_ERRORS as exc:
            watch.failed(exc)

    limiter._check_request_limit = checked  # type: ignore[method-assign]
    return watch

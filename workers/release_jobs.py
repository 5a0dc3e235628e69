"""The release watch tick (core.services.release_tick) within a small request budget.

A new live market starts the drop fan-out once, after the commit. The watch spends at most
`WATCH_SHARE` of SPOTIFY_MAX_RPS, counted in Redis per tick-sized window so parallel ticks
share it, and stops every watch for the length of a 429's Retry-After. A quota 429
(QUOTA_EXCEEDED) is the app-wide stop instead: the same Redis stop the saves obey
(workers.quota_stop), so nothing calls Spotify until its reset, then the watch resumes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime

import redis
from rq import get_current_job

from core import runtime
from core.providers.spotify import app_from_settings
from core.services import release_tick
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers.quota_stop import RedisQuotaStop

log = logging.getLogger(__name__)

# Share of our Spotify request budget (SPOTIFY_MAX_RPS) the watch may use.
WATCH_SHARE = 0.05
# How often the clock runs the tick (workers/schedule.py), and the budget's window.
TICK_SECONDS = 20
BUDGET_KEY = "presave:release-watch:budget:{window}"
PAUSE_KEY = "presave:release-watch:paused"

StartDrop = Callable[[redis.Redis, int], object]


def budget_per_tick(settings: Settings) -> int:
    """Lookups one tick window may make: WATCH_SHARE of the rate budget, at least one."""
    return max(1, math.floor(WATCH_SHARE * settings.spotify_max_rps * TICK_SECONDS))


def start_drop(connection: redis.Redis, campaign_id: int) -> None:
    """Start the drop fan-out for a campaign (imported late: workers.fanout owns it)."""
    from workers.fanout import start_drop as start

    start(connection, campaign_id)


def take_budget(connection: redis.Redis, wanted: int, limit: int) -> int:
    """Reserve up to `wanted` lookups in this window's shared budget; how many were granted."""
    window = int(time.time() // TICK_SECONDS)
    key = BUDGET_KEY.format(window=window)
    used = int(connection.incrby(key, wanted))
    connection.expire(key, TICK_SECONDS * 3)
    return max(0, min(wanted, limit - (used - wanted)))


def pause(connection: redis.Redis, seconds: float) -> None:
    """Stop every watch for `seconds` (Spotify's Retry-After)."""
    connection.set(PAUSE_KEY, "1", px=max(1000, int(seconds * 1000)))


def paused(connection: redis.Redis) -> bool:
    """Whether a 429 told us to wait and the wait is not over."""
    return bool(connection.exists(PAUSE_KEY))


def _connection(settings: Settings) -> redis.Redis:
    job = get_current_job()
    return job.connection if job is not None else runtime.redis_client(settings)


def start_live(
    connection: redis.Redis,
    campaign_id: int,
    markets: tuple[str, ...] | list[str],
    on_live: StartDrop | None = None,
) -> list[str]:
    """Start the drop once per newly live market; the markets whose start went through."""
    start = on_live or start_drop
    started = []
    for market in markets:
        log.info("release watch: campaign %s is live in %s; starting the drop", campaign_id, market)
        try:
            start(connection, campaign_id)
        except Exception:  # the detection is committed; the fan-out's reconcile picks it up
            log.exception("release watch: could not start the drop of campaign %s", campaign_id)
            continue
        started.append(market)
    return started


def start_live_job(campaign_id: int, markets: list[str]) -> list[str]:
    """start_live as a job, on the job's Redis (the CLI calls start_live in-process)."""
    return start_live(_connection(load_settings()), campaign_id, markets)


def _obey(connection: redis.Redis, quota: RedisQuotaStop, done: release_tick.TickDone) -> None:
    """A quota 429 stops every Spotify call of the app; a rate-limit 429 pauses the watch."""
    if done.quota_until is not None:
        log.warning("release watch: Spotify's quota is used up until %s; every Spotify call "
                    "stops until then", done.quota_until.isoformat())  # fmt: skip
        quota.stop(done.quota_until)
    elif done.retry_after is not None:
        log.warning("release watch: Spotify said wait %gs; watches paused", done.retry_after)
        pause(connection, done.retry_after)


def watch_tick(
    connection: redis.Redis | None = None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    budget: int | None = None,
    on_live: StartDrop | None = None,
) -> int:
    """Look up due campaigns within the budget; return how many lookups were made."""
    settings = settings or load_settings()
    app = app_from_settings(settings)
    if app is None:
        log.info("release watch: no Spotify app configured")
        return 0
    redis_conn = connection if connection is not None else _connection(settings)
    quota = RedisQuotaStop(redis_conn)
    if paused(redis_conn) or quota.until() is not None:
        return 0
    limit = budget if budget is not None else budget_per_tick(settings)
    done = release_tick.run(
        settings.database_url, app, now or utcnow(), limit,
        take=lambda wanted: take_budget(redis_conn, wanted, limit),
        live=lambda campaign_id, markets: start_live(redis_conn, campaign_id, markets, on_live),
    )  # fmt: skip
    _obey(redis_conn, quota, done)
    return done.made

"""The release watch tick: look due campaigns up on Spotify within a small request budget.

Each campaign is claimed in a short transaction, looked up with no database session open,
and its findings recorded in another. A new live market starts the drop fan-out once, after
the commit. The watch spends at most `WATCH_SHARE` of SPOTIFY_MAX_RPS, counted in Redis
per tick-sized window so parallel ticks share it, and stops every watch for the length of
a 429's Retry-After.
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
from core.db import transaction
from core.models import Campaign
from core.providers import ProviderError, RateLimited
from core.providers.spotify import SpotifyApp, app_from_settings
from core.services import missing_source, release_watch
from core.services.release_watch import Lookup, Plan
from core.settings import Settings, load_settings
from core.timeutil import utcnow

log = logging.getLogger(__name__)

# Share of our Spotify request budget (SPOTIFY_MAX_RPS) the watch may use.
WATCH_SHARE = 0.05
# How often the clock runs the tick (workers/schedule.py), and the budget's window.
TICK_SECONDS = 20
# A tick stops claiming campaigns after this long (the periodic queue's timeout is 120 s).
TICK_DEADLINE_SECONDS = 60.0
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


def _look(
    app: SpotifyApp, plan: Plan, markets: tuple[str, ...]
) -> tuple[list[Lookup], int, float | None]:
    """Look each market up: the answers, requests made, and a 429's Retry-After (stops)."""
    results: list[Lookup] = []
    assert plan.target is not None
    for made, market in enumerate(markets, start=1):
        try:
            results.append(release_watch.lookup(app, plan.target, market))
        except RateLimited as exc:
            return results, made, exc.retry_after
        except ProviderError as exc:
            log.warning("release watch: campaign %s market %s: %s", plan.campaign_id, market, exc)
    return results, len(markets), None


def _give_back(url: str, campaign_id: int, now: datetime) -> None:
    """No budget left for a claimed campaign: due again at once, nothing recorded."""
    with transaction(url) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None:
            release_watch.release_lease(campaign, now)


def _record(
    url: str,
    plan: Plan,
    results: list[Lookup],
    retry_after: float | None,
    short: bool,
    now: datetime,
) -> tuple[str, ...]:
    """Record findings and the next look; the markets newly live."""
    with transaction(url) as session:
        campaign = session.get(Campaign, plan.campaign_id)
        if campaign is None:
            return ()
        outcome = release_watch.apply(session, campaign, results, now)
        missing_source.mark(session, campaign, now)
        if retry_after is not None:
            release_watch.postpone(campaign, retry_after, now)
        elif short:
            release_watch.release_lease(campaign, now)
    return outcome.new_markets


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
    connection = connection if connection is not None else _connection(settings)
    if paused(connection):
        return 0
    limit = budget if budget is not None else budget_per_tick(settings)
    now = now or utcnow()
    seen: list[int] = []
    made = 0
    deadline = time.monotonic() + TICK_DEADLINE_SECONDS
    while made < limit and time.monotonic() < deadline:
        with transaction(settings.database_url) as session:
            plan = release_watch.claim_next_due(session, now, seen)
        if plan is None:
            break
        seen.append(plan.campaign_id)
        if not plan.markets or plan.target is None:
            continue
        granted = take_budget(connection, min(len(plan.markets), limit - made), limit)
        if granted == 0:
            _give_back(settings.database_url, plan.campaign_id, now)
            break
        results, requests, retry_after = _look(app, plan, plan.markets[:granted])
        made += requests
        short = granted < len(plan.markets)
        new = _record(settings.database_url, plan, results, retry_after, short, now)
        start_live(connection, plan.campaign_id, new, on_live)
        if retry_after is not None:
            log.warning("release watch: Spotify said wait %gs; watches paused", retry_after)
            pause(connection, retry_after)
            break
        if short:
            break
    return made

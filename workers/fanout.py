"""Drop-day fan-out jobs: start a drop, and save chunks of pre-save ids (core.services.drop_day).

Here is what runs on the worker's side: the Redis queue, the shared rate limiter, Spotify's
clients, and the Notifier that texts fans from the save job as their saves finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import redis
from rq import get_current_job

from core.crypto import TokenCipher
from core.providers import Unavailable
from core.providers import spotify as spotify_provider
from core.providers.spotify_library import http_clients
from core.services import drop_day
from core.services.library import Gate, Throttle
from core.services.notify import ByChannel
from core.settings import Settings, load_settings
from workers.enqueue import (
    enqueue_after,
    enqueue_by_channel,
    enqueue_posts,
    enqueue_saves,
    enqueue_sends,
    seconds_until,
)
from workers.quota_stop import RedisQuotaStop
from workers.ratelimit import SPOTIFY_HEADROOM, provider_limiter
from workers.send_jobs import send_deliveries

log = logging.getLogger(__name__)
ACQUIRE_TIMEOUT = 120.0
# A save job sends its fans' notifications itself, beside its saves, in small batches with
# few in flight: every message in flight is one the job must wait for before it ends.
NOTIFY_BATCH = 50
NOTIFY_BATCHES = 2
Sender = Callable[[Settings, redis.Redis, list[int]], dict[str, int]]


def start_drop(connection: redis.Redis, campaign_id: int) -> int:
    """The release is live somewhere: save for the fans of live markets, tell the others now.

    Safe to call again (every detection, reconcile, or by hand). Returns how many pre-saves
    were queued.
    """
    started = drop_day.start(load_settings().database_url, campaign_id)
    enqueue_posts(connection, started.posts)
    enqueue_saves(connection, campaign_id, started.presave_ids)
    enqueue_by_channel(connection, started.deliveries)
    told = sum(len(ids) for ids in started.deliveries.values())
    log.info(
        "drop %s: %d pre-saves queued, %d fans told now, %d server posts",
        campaign_id, len(started.presave_ids), told, len(started.posts),
    )  # fmt: skip
    return len(started.presave_ids)


def _throttle(connection: redis.Redis, name: str, rate: float) -> Throttle:
    limiter = provider_limiter(connection, name, rate, SPOTIFY_HEADROOM)

    def wait_for_slot() -> None:
        if not limiter.acquire(timeout=ACQUIRE_TIMEOUT):
            raise Unavailable("spotify", f"no {name} request slot within the limiter timeout")

    return Throttle(wait=wait_for_slot, penalize=limiter.penalize)


def _save_run(connection: redis.Redis, settings: Settings) -> drop_day.SaveRun:
    """Spotify's clients and the limiter's gate: SPOTIFY_MAX_RPS for the Web API, and a
    budget of its own for the token endpoint."""
    app = spotify_provider.app_from_settings(settings)
    if app is None:
        raise RuntimeError("Spotify is not configured (SPOTIFY_CLIENT_ID) and no sandbox is set")
    rate = settings.spotify_max_rps
    gate = Gate(
        api=_throttle(connection, "spotify", rate),
        accounts=_throttle(connection, "spotify-accounts", rate),
        quota=RedisQuotaStop(connection),
    )
    return drop_day.SaveRun(
        http=http_clients(app), gate=gate, cipher=TokenCipher(settings.token_encryption_keys),
        threads=settings.fanout_threads, backoff_seconds=settings.retry_backoff_seconds,
        lease_seconds=settings.claim_lease_seconds,
    )  # fmt: skip


class Notifier:
    """Tell fans while their neighbours are still being saved: texts whose save is final
    are sent from this job, a batch at a time beside the saves, instead of waiting in the
    messages queue behind them. A batch that fails to send is queued as a send job (and
    reconcile finds anything a killed worker left), so nothing is lost either way.

    Discord DMs go to their own queue at once: at the bot's 50 requests/s they would hold
    the job's end (and so the saves) for minutes.
    """

    def __init__(
        self, settings: Settings, connection: redis.Redis, send: Sender = send_deliveries
    ) -> None:
        self.settings, self.connection, self.send = settings, connection, send
        self.pending: list[int] = []
        self.batches: dict[Future[dict[str, int]], list[int]] = {}
        self.pool = ThreadPoolExecutor(NOTIFY_BATCHES, thread_name_prefix="notify")

    def add(self, delivery_ids: ByChannel) -> None:
        """Deliveries whose save is final; texts go out once NOTIFY_BATCH are pending."""
        others = {ch: ids for ch, ids in delivery_ids.items() if ch != "sms"}
        enqueue_by_channel(self.connection, others)
        self.pending += delivery_ids.get("sms", [])
        if len(self.pending) >= NOTIFY_BATCH:
            self._submit()

    def _submit(self) -> None:
        ids, self.pending = self.pending, []
        if ids:
            future = self.pool.submit(self.send, self.settings, self.connection, ids)
            self.batches[future] = ids

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._submit()
        self.pool.shutdown(wait=True)
        for future, ids in self.batches.items():
            error = future.exception()
            if error is not None:
                log.warning("notifying %d fans failed (%s); queued as send jobs", len(ids), error)
                enqueue_sends(self.connection, ids)


def save_chunk(campaign_id: int, presave_ids: list[int]) -> dict[str, int]:
    """Save a chunk of pre-saves (claimed first), telling each fan once their save is done."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "save_chunk runs inside an RQ job"
    connection = job.connection
    run = _save_run(connection, settings)
    with Notifier(settings, connection) as notifier:
        out = drop_day.Outlets(queue=partial(enqueue_by_channel, connection), tell=notifier.add)
        done = drop_day.save_chunk(settings.database_url, campaign_id, presave_ids, run, out)
    saves = partial(enqueue_saves, connection, campaign_id)
    enqueue_after(saves, seconds_until(done.early))  # the scheduler ran us before they were due
    enqueue_saves(connection, campaign_id, done.released)  # handed back before their lease ran out
    enqueue_after(saves, done.retry)  # 429: seconds; 5xx: backoff; invalid_grant: 5 minutes
    return done.counts()

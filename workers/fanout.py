"""Drop-day fan-out: save jobs over chunks of pre-save ids, each telling its own fans.

Jobs take ids, reload their rows, and are safe to run twice: claims in the database decide
who works on what. Inside a job, Spotify calls run on a bounded thread pool so provider
latency does not serialize, all paced by the shared Redis rate limiter, and the fans whose
save is done are notified from the same job as it goes (send_jobs.send_deliveries).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta

import redis
from rq import get_current_job

from core.crypto import TokenCipher
from core.db import transaction
from core.models import PreSaveStatus
from core.providers import Unavailable
from core.providers import spotify as spotify_provider
from core.providers.spotify_library import http_clients
from core.services import discord_announce, drop, notify
from core.services.library import Gate, SaveOutcome, SaveTask, Throttle, save_one
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
from workers.ratelimit import SPOTIFY_HEADROOM, provider_limiter
from workers.send_jobs import send_deliveries

log = logging.getLogger(__name__)
RECORD_EVERY = 50
ACQUIRE_TIMEOUT = 120.0
# A save job sends its fans' notifications itself, beside its saves, in small batches with
# few in flight: every message in flight is one the job must wait for before it ends.
NOTIFY_BATCH = 50
NOTIFY_BATCHES = 2
Sender = Callable[[Settings, redis.Redis, list[int]], dict[str, int]]


def start_drop(connection: redis.Redis, campaign_id: int) -> int:
    """The release is live somewhere: save for the fans of live markets, tell the others now.

    Safe to call again (every detection, reconcile, or by hand): only due, unclaimed rows
    are queued and deliveries are unique. Returns how many pre-saves were queued.
    """
    settings = load_settings()
    with transaction(settings.database_url) as session:
        message_id = drop.drop_message_id(session, campaign_id)
        presave_ids = drop.plan(session, campaign_id)
        delivery_ids: ByChannel = {}
        posts: list[int] = []
        if drop.live_markets(session, campaign_id):
            fans = notify.fans_to_tell_now(session, campaign_id)
            delivery_ids = notify.create_deliveries(session, message_id, campaign_id, fans)
            posts = discord_announce.create(session, message_id, campaign_id)
    enqueue_posts(connection, posts)
    enqueue_saves(connection, campaign_id, presave_ids)
    enqueue_by_channel(connection, delivery_ids)
    told = sum(len(ids) for ids in delivery_ids.values())
    log.info(
        "drop %s: %d pre-saves queued, %d fans told now, %d server posts",
        campaign_id, len(presave_ids), told, len(posts),
    )  # fmt: skip
    return len(presave_ids)


def _throttle(connection: redis.Redis, name: str, rate: float) -> Throttle:
    limiter = provider_limiter(connection, name, rate, SPOTIFY_HEADROOM)

    def wait_for_slot() -> None:
        if not limiter.acquire(timeout=ACQUIRE_TIMEOUT):
            raise Unavailable("spotify", f"no {name} request slot within the limiter timeout")

    return Throttle(wait=wait_for_slot, penalize=limiter.penalize)


def _gate(connection: redis.Redis, settings: Settings) -> Gate:
    """SPOTIFY_MAX_RPS for the Web API; the token endpoint gets a budget of its own."""
    rate = settings.spotify_max_rps
    return Gate(
        api=_throttle(connection, "spotify", rate),
        accounts=_throttle(connection, "spotify-accounts", rate),
    )


@dataclass(frozen=True)
class _Drop:
    """What every batch of one save job writes with: looked up once per job."""

    settings: Settings
    campaign_id: int
    message_id: int
    cipher: TokenCipher


def _record(job: _Drop, outcomes: list[SaveOutcome]) -> ByChannel:
    """Store a batch of outcomes and create the deliveries of fans whose fate is final."""
    with transaction(job.settings.database_url) as session:
        final_fans = drop.record(session, outcomes, job.cipher)
        return notify.create_deliveries(session, job.message_id, job.campaign_id, final_fans)


def _run_tasks(
    job: _Drop, connection: redis.Redis, tasks: list[SaveTask], deadline: float
) -> tuple[list[SaveOutcome], list[int]]:
    """Save on a thread pool kept full while this thread records results in batches.

    A task that would start after `deadline` (the claim lease running out) is not run: its
    id comes back in the second list, to be released and queued again.
    """
    settings = job.settings
    app = spotify_provider.app_from_settings(settings)
    if app is None:
        raise RuntimeError("Spotify is not configured (SPOTIFY_CLIENT_ID) and no sandbox is set")
    gate, http = _gate(connection, settings), http_clients(app)
    backoff = settings.retry_backoff_seconds

    def run(task: SaveTask) -> SaveOutcome | None:
        if time.monotonic() >= deadline:
            return None
        return save_one(http, task, gate, backoff)

    done: list[SaveOutcome] = []
    batch: list[SaveOutcome] = []
    released: list[int] = []
    notifier = Notifier(settings, connection)
    with notifier, ThreadPoolExecutor(settings.fanout_threads, thread_name_prefix="save") as pool:
        futures = {pool.submit(run, task): task.presave_id for task in tasks}
        for future in as_completed(futures):
            outcome = future.result()
            if outcome is None:
                released.append(futures[future])
                continue
            batch.append(outcome)
            if len(batch) >= RECORD_EVERY:
                notifier.add(_record(job, batch))
                done.extend(batch)
                batch = []
        if batch:
            notifier.add(_record(job, batch))
            done.extend(batch)
    return done, released


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
    lease = timedelta(seconds=settings.claim_lease_seconds)
    cipher = TokenCipher(settings.token_encryption_keys)
    with transaction(settings.database_url) as session:
        claimed = drop.claim(session, presave_ids, lease)
        taken = set(claimed)
        early = drop.not_yet_due(session, [i for i in presave_ids if i not in taken])
        tasks = drop.load_tasks(session, claimed, cipher)
        orphans = drop.close_without_grant(session, claimed, {t.presave_id for t in tasks})
        message_id = drop.drop_message_id(session, campaign_id)
        delivery_ids = notify.create_deliveries(session, message_id, campaign_id, orphans)
    enqueue_by_channel(connection, delivery_ids)

    def saves(ids: list[int], delay: float) -> int:
        return enqueue_saves(connection, campaign_id, ids, delay)

    enqueue_after(saves, seconds_until(early))  # the scheduler ran us before they were due
    deadline = time.monotonic() + settings.claim_lease_seconds * 0.8
    drop_job = _Drop(settings, campaign_id, message_id, cipher)
    outcomes, released = _run_tasks(drop_job, connection, tasks, deadline)
    if released:  # the lease would run out before we got to them: hand them back now
        with transaction(settings.database_url) as session:
            drop.release(session, released)
        enqueue_saves(connection, campaign_id, released)
    retry = {o.presave_id: o.retry_in for o in outcomes if o.retry_in}
    enqueue_after(saves, retry)  # 429: seconds; 5xx: backoff; invalid_grant: 5 minutes
    saved = sum(1 for o in outcomes if o.status is PreSaveStatus.SAVED)
    return {"claimed": len(claimed), "saved": saved, "retry": len(retry), "released": len(released)}

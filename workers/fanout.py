"""Drop-day fan-out: save jobs over chunks of pre-save ids, send jobs over chunks of deliveries.

Jobs take ids, reload their rows, and are safe to run twice: claims in the database decide
who works on what. Inside a job, Spotify calls run on a bounded thread pool so provider
latency does not serialize, all paced by the shared Redis rate limiter.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timedelta

import redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from core.crypto import TokenCipher
from core.db import transaction
from core.models import PreSaveStatus
from core.providers import Unavailable
from core.providers import spotify as spotify_provider
from core.providers.spotify_library import http_clients
from core.services import drop, notify
from core.services.library import Gate, SaveOutcome, SaveTask, Throttle, save_one
from core.settings import Settings, load_settings
from core.timeutil import utcnow
from workers import queues
from workers.ratelimit import limiter_for

log = logging.getLogger(__name__)
SAVE_CHUNK = 200
SEND_CHUNK = 100
RECORD_EVERY = 50
ACQUIRE_TIMEOUT = 120.0
LIVE_STATES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def _enqueue_unique(
    connection: redis.Redis,
    queue_name: str,
    func: str,
    args: tuple[object, ...],
    job_id: str,
    delay: float = 0.0,
) -> bool:
    """Enqueue unless a live job with this id exists (a duplicate would only find no claims)."""
    try:
        existing = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=False) in LIVE_STATES:
        return False
    queue = queues.queue(queue_name, connection)
    options = {"job_id": job_id, "result_ttl": 600, "failure_ttl": 86400}
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), func, *args, **options)
    else:
        queue.enqueue(func, *args, **options)
    return True


def _enqueue_chunks(
    connection: redis.Redis,
    queue_name: str,
    func: str,
    ids: Sequence[int],
    size: int,
    name: str,
    lead: tuple[object, ...],
    delay: float,
) -> int:
    """Queue `func(*lead, chunk)` over chunks of ids (job ids name the chunk and its time)."""
    count = 0
    stamp = int(time.time() + delay)
    for chunk in _chunks(sorted(ids), size):
        job_id = f"{name}-{chunk[0]}-{chunk[-1]}-{len(chunk)}-{stamp}"
        count += _enqueue_unique(connection, queue_name, func, (*lead, chunk), job_id, delay)
    return count


def enqueue_saves(
    connection: redis.Redis, campaign_id: int, presave_ids: Sequence[int], delay: float = 0.0
) -> int:
    """Queue save jobs over chunks of pre-save ids; returns how many jobs were queued."""
    return _enqueue_chunks(
        connection, queues.SAVES, "workers.fanout.save_chunk", presave_ids, SAVE_CHUNK,
        f"save-{campaign_id}", (campaign_id,), delay,
    )  # fmt: skip


def enqueue_sends(connection: redis.Redis, delivery_ids: Sequence[int], delay: float = 0.0) -> int:
    """Queue send jobs over chunks of delivery ids."""
    return _enqueue_chunks(
        connection, queues.MESSAGES, "workers.send_jobs.send_chunk", delivery_ids, SEND_CHUNK,
        "send", (), delay,
    )  # fmt: skip


def enqueue_after(enqueue: Callable[[list[int], float], int], waits: Mapping[int, float]) -> None:
    """Queue each id again after its wait, one job per distinct whole second.

    One second is added: RQ's scheduler may run a delayed job up to a second early, and a
    job that comes before its rows are due finds nothing to claim.
    """
    groups: dict[int, list[int]] = {}
    for row_id, wait in waits.items():
        groups.setdefault(max(1, math.ceil(wait) + 1), []).append(row_id)
    for delay, ids in groups.items():
        enqueue(ids, float(delay))


def seconds_until(when: Mapping[int, datetime]) -> dict[int, float]:
    """Seconds from now until each time."""
    now = utcnow()
    return {row_id: (at - now).total_seconds() for row_id, at in when.items()}


def start_drop(connection: redis.Redis, campaign_id: int) -> int:
    """The release is live somewhere: save for the fans of live markets, tell the others now.

    Safe to call again (every detection, reconcile, or by hand): only due, unclaimed rows
    are queued and deliveries are unique. Returns how many pre-saves were queued.
    """
    settings = load_settings()
    with transaction(settings.database_url) as session:
        message_id = drop.drop_message_id(session, campaign_id)
        presave_ids = drop.plan(session, campaign_id)
        if drop.live_markets(session, campaign_id):
            fans = notify.fans_to_tell_now(session, campaign_id)
            delivery_ids = notify.create_deliveries(session, message_id, campaign_id, fans)
        else:
            delivery_ids = []
    enqueue_saves(connection, campaign_id, presave_ids)
    enqueue_sends(connection, delivery_ids)
    log.info(
        "drop %s: %d pre-saves queued, %d fans told now",
        campaign_id, len(presave_ids), len(delivery_ids),
    )  # fmt: skip
    return len(presave_ids)


def _throttle(connection: redis.Redis, name: str, rate: float) -> Throttle:
    limiter = limiter_for(connection, name, rate)

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


def _record(
    settings: Settings, campaign_id: int, outcomes: list[SaveOutcome], cipher: TokenCipher
) -> list[int]:
    """Store a batch of outcomes and create the deliveries of fans whose fate is final."""
    with transaction(settings.database_url) as session:
        final_fans = drop.record(session, outcomes, cipher)
        message_id = drop.drop_message_id(session, campaign_id)
        return notify.create_deliveries(session, message_id, campaign_id, final_fans)


def _run_tasks(
    settings: Settings,
    connection: redis.Redis,
    campaign_id: int,
    tasks: list[SaveTask],
    deadline: float,
) -> tuple[list[SaveOutcome], list[int]]:
    """Save on a thread pool kept full while this thread records results in batches.

    A task that would start after `deadline` (the claim lease running out) is not run: its
    id comes back in the second list, to be released and queued again.
    """
    app = spotify_provider.app_from_settings(settings)
    if app is None:
        raise RuntimeError("Spotify is not configured (SPOTIFY_CLIENT_ID) and no sandbox is set")
    cipher = TokenCipher(settings.token_encryption_keys)
    gate, http = _gate(connection, settings), http_clients(app)
    backoff = settings.retry_backoff_seconds

    def run(task: SaveTask) -> SaveOutcome | None:
        if time.monotonic() >= deadline:
            return None
        return save_one(http, task, gate, backoff)

    done: list[SaveOutcome] = []
    batch: list[SaveOutcome] = []
    released: list[int] = []
    to_send: list[int] = []
    with ThreadPoolExecutor(settings.fanout_threads, thread_name_prefix="save") as pool:
        futures = {pool.submit(run, task): task.presave_id for task in tasks}
        for future in as_completed(futures):
            outcome = future.result()
            if outcome is None:
                released.append(futures[future])
                continue
            batch.append(outcome)
            if len(batch) >= RECORD_EVERY:
                to_send += _record(settings, campaign_id, batch, cipher)
                done.extend(batch)
                batch = []
            if len(to_send) >= SEND_CHUNK:
                enqueue_sends(connection, to_send)
                to_send = []
    if batch:
        to_send += _record(settings, campaign_id, batch, cipher)
        done.extend(batch)
    enqueue_sends(connection, to_send)
    return done, released


def save_chunk(campaign_id: int, presave_ids: list[int]) -> dict[str, int]:
    """Save a chunk of pre-saves (claimed first), then queue their drop notifications."""
    settings = load_settings()
    job = get_current_job()
    assert job is not None, "save_chunk runs inside an RQ job"
    connection = job.connection
    lease = timedelta(seconds=settings.claim_lease_seconds)
    cipher = TokenCipher(settings.token_encryption_keys)
    with transaction(settings.database_url) as session:
        claimed = drop.claim(session, presave_ids, lease)
        early = drop.not_yet_due(session, [i for i in presave_ids if i not in set(claimed)])
        tasks = drop.load_tasks(session, claimed, cipher)
        orphans = drop.close_without_grant(session, claimed, {t.presave_id for t in tasks})
        delivery_ids = notify.create_deliveries(
            session, drop.drop_message_id(session, campaign_id), campaign_id, orphans
        )
    enqueue_sends(connection, delivery_ids)

    def saves(ids: list[int], delay: float) -> int:
        return enqueue_saves(connection, campaign_id, ids, delay)

    enqueue_after(saves, seconds_until(early))  # the scheduler ran us before they were due
    deadline = time.monotonic() + settings.claim_lease_seconds * 0.8
    outcomes, released = _run_tasks(settings, connection, campaign_id, tasks, deadline)
    if released:  # the lease would run out before we got to them: hand them back now
        with transaction(settings.database_url) as session:
            drop.release(session, released)
        enqueue_saves(connection, campaign_id, released)
    retry = {o.presave_id: o.retry_in for o in outcomes if o.retry_in}
    enqueue_after(saves, retry)  # 429: seconds; 5xx: backoff; invalid_grant: 5 minutes
    saved = sum(1 for o in outcomes if o.status is PreSaveStatus.SAVED)
    return {"claimed": len(claimed), "saved": saved, "retry": len(retry), "released": len(released)}
